"""The one canonical, JSON-ready form of a verdict (DESIGN.md contract). CLI, batch, evidence store
and letters all consume this dict; field names may grow but never change meaning."""

from __future__ import annotations

from typing import Any

from anning.model import Verdict

SCHEMA_VERSION = 1


def verdict_to_dict(v: Verdict) -> dict[str, Any]:
    signals = []
    flag_evidence: dict[str, list[dict[str, Any]]] = {}
    for h in v.hits:
        spans = h.signal.spans
        first = spans[0] if spans else None
        signals.append({
            "rule": h.signal.rule,
            "label": h.label,
            "detector": h.signal.detector,
            "span": [first.start, first.end] if first else None,
            "spans": [[s.start, s.end] for s in spans],
            "evidence": first.text if first else h.signal.evidence,
            "weight": h.weight,
            "risk": h.risk,
            "flags": list(h.flags),
            "behaviours": list(h.behaviours),
            "visible": h.visible,
        })
        for f in h.flags:
            items = flag_evidence.setdefault(f, [])
            if spans:
                items.extend({"rule": h.signal.rule, "span": [s.start, s.end], "evidence": s.text} for s in spans)
            else:
                items.append({"rule": h.signal.rule, "span": None, "evidence": h.signal.evidence})
    m = v.message
    return {
        "kind": v.kind,
        "kind_label": v.kind_label,
        "confidence": v.confidence,
        "risk": v.risk,
        "risk_level": v.risk_level,
        "risk_label": v.risk_label,
        "flags": list(v.flags),
        "flag_evidence": flag_evidence,
        "signals": signals,
        "entities": v.entities,
        "violations": [
            {"id": x.id, "title": x.title, "basis": x.basis, "binding_level": x.binding_level,
             "binding_label": x.binding_label, "source": x.source, "why": x.why, "behaviour": x.behaviour,
             "confidence": x.confidence}
            for x in v.violations
        ],
        "scenario": {"id": v.scenario.id, "title": v.scenario.title, "summary": v.scenario.summary,
                     "alternatives": list(v.scenario.alternatives)},
        "actions": [
            {"id": a.id, "title": a.title, "detail": a.detail, "guide": a.guide,
             "channels": [{"id": c.id, "name": c.name, "number": c.number} for c in a.channels]}
            for a in v.actions
        ],
        "kind_scores": v.kind_scores,
        "decided_by": v.decided_by,
        "lang": v.lang,
        "message": {"id": m.id, "text": m.text, "sender": m.sender,
                    "received_at": m.received_at.isoformat() if m.received_at else None},
        "schema_version": SCHEMA_VERSION,
        "engine_version": v.engine_version,
        "knowledge_version": v.knowledge_version,
    }
