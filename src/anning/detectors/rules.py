"""Pattern rules from ``data/rules/*.yaml``: every match becomes a signal with its spans."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.knowledge import Knowledge
from anning.model import Signal

MAX_SPANS_PER_RULE = 8


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    text = p.nt.text
    signals = []
    for rule in k.rules_for("rules"):
        spans = []
        for pattern in rule.patterns:
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
