"""Keywords written in letters or split characters to slip past filters (yq for 逾期, v信 for 微信, 亻昔 for
借): the normaliser reads them as the keyword (``data/variants.yaml``) so every rule sees it; this detector
says that it happened and points at what was written."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.detectors.rules import MAX_SPANS_PER_RULE
from anning.knowledge import Knowledge
from anning.model import Signal

SIGNAL = "TEXT_RESPELLED"


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    read = p.nt.respelled[:MAX_SPANS_PER_RULE]
    if not read or SIGNAL not in k.rules:
        return []
    spans = tuple(span for span, _ in read)
    return [Signal(SIGNAL, "spellings", spans, "、".join(s.text for s in spans),
                   {"keywords": [keyword for _, keyword in read]})]
