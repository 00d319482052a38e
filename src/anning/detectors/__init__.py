"""Detectors turn a prepared message into signals with spans. Each kind of evidence is one module;
what counts as evidence (patterns, number classes, domain lists) comes from the knowledge pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anning.model import Message
from anning.text.normalize import NormalizedText


@dataclass(slots=True)
class Prepared:
    """A message plus everything computed once and shared by all detectors."""

    message: Message
    nt: NormalizedText
    local_time: datetime | None
    entities: dict[str, Any]
