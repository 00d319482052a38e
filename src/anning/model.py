"""Plain, frozen result types shared by every layer. No I/O, no third-party imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    """One SMS as received. ``text`` is never modified; normalisation works on a copy."""

    text: str
    sender: str | None = None
    received_at: datetime | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets ``[start, end)`` into the ORIGINAL message text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Signal:
    """What a detector saw. Weights and votes are looked up from the rule data by ``rule``."""

    rule: str
    detector: str
    spans: tuple[Span, ...] = ()
    evidence: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    """A signal after scoring: what it was worth and what it set."""

    signal: Signal
    label: str
    weight: float
    risk: int
    flags: tuple[str, ...]
    behaviours: tuple[str, ...]
    visible: bool = True


@dataclass(frozen=True, slots=True)
class Violation:
    id: str
    title: str
    basis: str
    binding_level: str
    binding_label: str
    source: str
    why: str
    behaviour: str
    confidence: str


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    number: str | None


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    title: str
    detail: str
    guide: str | None = None
    channels: tuple[Channel, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    title: str
    summary: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    kind_label: str
    confidence: float
    risk: int
    risk_level: str
    risk_label: str
    flags: tuple[str, ...]
    hits: tuple[Hit, ...]
    entities: dict[str, Any]
    violations: tuple[Violation, ...]
    scenario: Scenario
    actions: tuple[Action, ...]
    kind_scores: dict[str, float]
    lang: str
    decided_by: str
    engine_version: str
    knowledge_version: str
    message: Message
