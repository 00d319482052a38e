"""Lenders named in the text: a message that names an online lender or a consumer-finance company (by its
name or an alias in ``platforms.yaml``) is about borrowing, which is the debt context some rules need.
Which platform types count is ``lender_platform_types`` in scoring.yaml; banks do not (most bank messages
are not about a loan)."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.detectors.rules import MAX_SPANS_PER_RULE
from anning.knowledge import Knowledge
from anning.model import Signal, Span


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    found = p.entities.get("platforms")
    if not found:
        return []
    types = k.scoring.get("lender_platform_types", ())
    lenders = [e for e in found if e["id"] is not None and k.platforms[e["id"]].type in types]
    if not lenders:
        return []
    spans = tuple(sorted({Span(e["span"][0], e["span"][1], e["text"]) for e in lenders[:MAX_SPANS_PER_RULE]},
                         key=lambda s: (s.start, s.end)))
    return [Signal("LENDER_NAMED", "platforms", spans, spans[0].text,
                   {"platforms": sorted({e["id"] for e in lenders})})]
