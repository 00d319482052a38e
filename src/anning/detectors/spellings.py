"""Keywords written in letters to slip past filters (yq for 逾期, v信 for 微信): the normaliser reads them
as the keyword (``data/variants.yaml``) so every rule sees it; this detector says that it happened and
points at the letters."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.detectors.rules import MAX_SPANS_PER_RULE
from anning.knowledge import Knowledge
from anning.model import Signal
from anning.text.variants import keyword_of

SIGNAL = "TEXT_RESPELLED"


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    spans = p.nt.respelled
    if not spans or SIGNAL not in k.rules:
        return []
    shown = spans[:MAX_SPANS_PER_RULE]
    return [Signal(SIGNAL, "spellings", shown, "、".join(s.text for s in shown),
                   {"keywords": [keyword_of(s.text) for s in shown]})]
