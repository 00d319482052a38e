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
    return Prefilter([(r.id, i, src) for r in k.rules_for("rules") for i, src in enumerate(r.sources)])


@lru_cache(maxsize=4)
def _rule_order(k: Knowledge) -> dict[str, int]:
    return {rule.id: i for i, rule in enumerate(k.rules_for("rules"))}


_analysed: set[int] = set()


def detect(p: Prepared, k: Knowledge, use_prefilter: bool | None = None) -> list[Signal]:
    """``use_prefilter``: True (automaton), False (every pattern) or None — plain substring checks for
    the first message (a one-off ``anning check`` need not build the automaton), the automaton after."""
    text = p.nt.text
    prefilter = _prefilter(k)
    pure = prefilter.pure
    found: dict | None = None
    allowed: set | None = None
    if use_prefilter is None:
        if id(k) in _analysed:
            found = prefilter.scan(text)
        else:
            allowed = prefilter.quick_candidates(text)
            _analysed.add(id(k))
    elif use_prefilter:
        found = prefilter.scan(text)
    signals = []
    rules = k.rules_for("rules")
    if found is not None:  # visit only the rules the prefilter let through, in their usual order
        order = _rule_order(k)
        wanted = sorted({order[rule_id] for rule_id, _ in found})
        rules = [rules[i] for i in wanted]
    for rule in rules:
        spans = []
        for index in range(len(rule.sources)):
            key = (rule.id, index)
            if found is not None:
                if key not in found:
                    continue
                if key in pure:
                    spans.extend(p.nt.span(a, b) for a, b in prefilter.literal_matches(found[key]))
                    continue
            elif allowed is not None and key not in allowed:
                continue
            pattern = rule.pattern(index)
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
