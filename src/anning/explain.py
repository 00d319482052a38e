"""The one canonical, JSON-ready form of a verdict (DESIGN.md contract). CLI, batch, evidence store
and letters all consume this dict; field names may grow but never change meaning.

The laws, scenario and next steps repeat from verdict to verdict: the engine returns the same cached
objects for the same behaviours, date and language. Their JSON-ready forms and JSON text are cached
here too, keyed by the identity of those objects (``shared_verdict_dict``, ``part_json``), for the
writers of ``anning batch`` that only serialise them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from anning.model import Action, Hit, Scenario, Verdict, Violation

SCHEMA_VERSION = 1
SHARED_PARTS = ("violations", "scenario", "actions")

K = TypeVar("K")
V = TypeVar("V")


class IdentityCache(Generic[K, V]):
    """``build(source)`` cached by the identity of ``source``, for immutable objects that are reused (the
    engine's cached violations, scenario and actions). Cheaper than hashing a tuple of dataclasses.
    Each entry keeps its source alive, so its id cannot be reused by another object while cached."""

    def __init__(self, build: Callable[[K], V], limit: int = 4096):
        self._build = build
        self._limit = limit
        self._entries: dict[int, tuple[K, V]] = {}

    def __call__(self, source: K) -> V:
        entry = self._entries.get(id(source))
        if entry is not None and entry[0] is source:
            return entry[1]
        value = self._build(source)
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[id(source)] = (source, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def violation_list(violations: tuple[Violation, ...]) -> list[dict[str, Any]]:
    return [
        {"id": x.id, "title": x.title, "basis": x.basis, "binding_level": x.binding_level,
         "binding_label": x.binding_label, "source": x.source, "why": x.why, "behaviour": x.behaviour,
         "confidence": x.confidence}
        for x in violations
    ]


def scenario_dict(s: Scenario) -> dict[str, Any]:
    return {"id": s.id, "title": s.title, "summary": s.summary, "alternatives": list(s.alternatives)}


def action_list(actions: tuple[Action, ...]) -> list[dict[str, Any]]:
    return [
        {"id": a.id, "title": a.title, "detail": a.detail, "guide": a.guide,
         "channels": [{"id": c.id, "name": c.name, "number": c.number} for c in a.channels]}
        for a in actions
    ]


_PART_LIMIT = 4096  # distinct parts cached; more than a batch sees with one knowledge pack

# JSON text of the shared part objects, by their identity: id(data) -> (data, text)
_part_texts: dict[int, tuple[Any, str]] = {}


def _shared(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``build`` whose results are registered with their JSON text (see ``part_json``)."""

    def build_shared(source: Any) -> Any:
        data = build(source)
        if len(_part_texts) >= 3 * _PART_LIMIT:
            _clear_shared()
        _part_texts[id(data)] = (data, dumps(data))
        return data

    return build_shared


_shared_violations: IdentityCache[tuple[Violation, ...], list[dict[str, Any]]] = IdentityCache(
    _shared(violation_list), _PART_LIMIT)
_shared_scenario: IdentityCache[Scenario, dict[str, Any]] = IdentityCache(_shared(scenario_dict), _PART_LIMIT)
_shared_actions: IdentityCache[tuple[Action, ...], list[dict[str, Any]]] = IdentityCache(
    _shared(action_list), _PART_LIMIT)


def _clear_shared() -> None:
    # all together: a cached part whose text was forgotten would never be registered again
    for cache in (_shared_violations, _shared_scenario, _shared_actions):
        cache.clear()
    _part_texts.clear()


def part_json(value: Any) -> str | None:
    """The JSON text (``json.dumps(value, ensure_ascii=False)``) of a shared part of a
    ``shared_verdict_dict``, or None for any other object."""
    entry = _part_texts.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else None


def _make_dumps() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False)`` with one encoder built once, where json.dumps builds two
    objects per call (a few microseconds: it adds up over the columns of a million rows). Without the
    circular-reference check: verdict data has no cycles (a cycle would raise RecursionError)."""
    from json.encoder import c_make_encoder, encode_basestring

    encoder = json.JSONEncoder(ensure_ascii=False)
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C encoder
        return encoder.encode
    try:  # a private interface of the json module: if another Python changed it, use the public one
        encode = c_make_encoder(None, encoder.default, encode_basestring, None, ": ", ", ", False, False, True)
        probe = {"a": [1, 2.5, None, True, "安宁"]}
        if "".join(encode(probe, 0)) != encoder.encode(probe):
            return encoder.encode
    except Exception:  # pragma: no cover - depends on the Python version
        return encoder.encode

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    return dumps


dumps = _make_dumps()


def signals_and_evidence(hits: Iterable[Hit]) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The ``signals`` and ``flag_evidence`` fields of the verdict dict."""
    signals = []
    flag_evidence: dict[str, list[dict[str, Any]]] = {}
    for h in hits:
        sig = h.signal
        spans = sig.spans
        first = spans[0] if spans else None
        signals.append({
            "rule": sig.rule,
            "label": h.label,
            "detector": sig.detector,
            "span": [first.start, first.end] if first else None,
            "spans": [[s.start, s.end] for s in spans],
            "evidence": first.text if first else sig.evidence,
            "weight": h.weight,
            "risk": h.risk,
            "flags": list(h.flags),
            "behaviours": list(h.behaviours),
            "visible": h.visible,
        })
        if h.flags:
            _add_flag_evidence(flag_evidence, h)
    return signals, flag_evidence


def flag_evidence(hits: Iterable[Hit]) -> dict[str, list[dict[str, Any]]]:
    """The ``flag_evidence`` field of the verdict dict: for each flag, the spans that set it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for h in hits:
        if h.flags:
            _add_flag_evidence(out, h)
    return out


def _add_flag_evidence(out: dict[str, list[dict[str, Any]]], h: Hit) -> None:
    sig = h.signal
    for f in h.flags:
        items = out.setdefault(f, [])
        if sig.spans:
            items.extend({"rule": sig.rule, "span": [s.start, s.end], "evidence": s.text} for s in sig.spans)
        else:
            items.append({"rule": sig.rule, "span": None, "evidence": sig.evidence})


def verdict_to_dict(v: Verdict) -> dict[str, Any]:
    """The verdict as a dict of fresh objects: the caller may change it."""
    return _verdict_dict(v, violation_list(v.violations), scenario_dict(v.scenario), action_list(v.actions))


def shared_verdict_dict(v: Verdict, *, message: bool = True) -> dict[str, Any]:
    """``verdict_to_dict`` with ``violations``, ``scenario`` and ``actions`` shared between verdicts
    (cached by the identity of the verdict's parts): never change those three; ``part_json`` gives
    their JSON text. ``message=False``: without the ``message`` field."""
    return _verdict_dict(v, _shared_violations(v.violations), _shared_scenario(v.scenario),
                         _shared_actions(v.actions), message)


def _verdict_dict(v: Verdict, violations: list[dict[str, Any]], scenario: dict[str, Any],
                  actions: list[dict[str, Any]], message: bool = True) -> dict[str, Any]:
    signals, evidence = signals_and_evidence(v.hits)
    d: dict[str, Any] = {
        "kind": v.kind,
        "kind_label": v.kind_label,
        "confidence": v.confidence,
        "risk": v.risk,
        "risk_level": v.risk_level,
        "risk_label": v.risk_label,
        "flags": list(v.flags),
        "flag_evidence": evidence,
        "signals": signals,
        "entities": v.entities,
        "violations": violations,
        "scenario": scenario,
        "actions": actions,
        "kind_scores": v.kind_scores,
        "decided_by": v.decided_by,
        "lang": v.lang,
    }
    if message:
        m = v.message
        d["message"] = {"id": m.id, "text": m.text, "sender": m.sender,
                        "received_at": m.received_at.isoformat() if m.received_at else None}
    d["schema_version"] = SCHEMA_VERSION
    d["engine_version"] = v.engine_version
    d["knowledge_version"] = v.knowledge_version
    return d
