"""Time of contact: night-time messages (22:00–08:00 local, per GB/T 45251—2025 and the banking
association's 2026 guideline; the hours are data in scoring.yaml)."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.knowledge import Knowledge
from anning.model import Signal


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    if p.local_time is None:
        return []
    night = k.scoring["night"]
    hour = p.local_time.hour
    if hour >= night["start_hour"] or hour < night["end_hour"]:
        return [Signal("NIGHT_CONTACT", "clock", (), p.local_time.strftime("%H:%M"),
                       {"local_time": p.local_time.isoformat()})]
    return []
