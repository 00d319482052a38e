"""Pattern rules from ``data/rules/*.yaml``: every match becomes a signal with its spans.

A literal prefilter (``prefilter.py``) skips the patterns that cannot match a message; the result is
the same as running every pattern, only faster."""

from __future__ import annotations

from functools import lru_cache

from anning.detectors import Prepared
from anning.detectors.prefilter import Prefilter
from anning.knowledge import Knowledge
from anning.model import Signal

MAX_SPANS_PER_RULE = 8


@lru_cache(maxsize=4)
def _prefilter(k: Knowledge) -> Prefilter:
    return Prefilter([(r.id, i, p) for r in k.rules_for("rules") for i, p in enumerate(r.patterns)])


_analysed: set[int] = set()


def detect(p: Prepared, k: Knowledge, use_prefilter: bool | None = None) -> list[Signal]:
    """``use_prefilter`` None: from the second message on (building the automaton costs more than one
    unfiltered message, so a one-off ``anning check`` skips it)."""
    text = p.nt.text
    if use_prefilter is None:
        use_prefilter = id(k) in _analysed
        _analysed.add(id(k))
    prefilter = _prefilter(k) if use_prefilter else None
    found = prefilter.scan(text) if prefilter is not None else None
    signals = []
    for rule in k.rules_for("rules"):
        spans = []
        for index, pattern in enumerate(rule.patterns):
            key = (rule.id, index)
            if found is not None:
                if key not in found:
                    continue
                if prefilter is not None and key in prefilter.pure:
                    spans.extend(p.nt.span(a, b) for a, b in prefilter.literal_matches(found[key]))
                    continue
            for m in pattern.finditer(text):
                if m.end() == m.start():
                    continue
                if "ev" in pattern.groupindex and m.group("ev") is not None:
                    spans.append(p.nt.span(m.start("ev"), m.end("ev")))
                else:
                    spans.append(p.nt.span(m.start(), m.end()))
                if len(spans) >= MAX_SPANS_PER_RULE:
                    break
        if spans:
            unique = sorted(set(spans), key=lambda s: (s.start, s.end))
            signals.append(Signal(rule.id, "rules", tuple(unique), unique[0].text))
    return signals
