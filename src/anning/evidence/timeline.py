"""Figures about a set of stored messages: the harassment timeline in numbers. Pure functions, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

WEEKDAYS = 7
HOURS = 24


@dataclass
class Timeline:
    messages: int = 0  # SMS and MMS
    calls: int = 0
    incoming: int = 0
    first: str | None = None
    last: str | None = None
    days_span: int = 0  # calendar days from the first to the last record, both included
    active_days: int = 0
    numbers: int = 0  # distinct other-party numbers
    night: int = 0  # records between the night start and end hours
    undated: int = 0
    busiest_day: str | None = None
    busiest_day_count: int = 0
    per_day: dict[str, int] = field(default_factory=dict)
    hour_weekday: list[list[int]] = field(default_factory=lambda: [[0] * HOURS for _ in range(WEEKDAYS)])
    top_senders: list[tuple[str, int]] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    behaviours: list[dict[str, Any]] = field(default_factory=list)  # behaviour, label, count, laws
    laws: list[dict[str, Any]] = field(default_factory=list)  # id, title, binding level, source, count


def build_timeline(messages: Sequence[Any], night_start: int, night_end: int,
                   behaviour_labels: dict[str, str] | None = None, top: int = 10) -> Timeline:
    """``messages``: stored messages (``received_at`` ISO in China time, ``verdict`` dict or None);
    ``behaviour_labels``: behaviour id → label in the report's language."""
    behaviour_labels = behaviour_labels or {}
    t = Timeline()
    days: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    behaviour_count: Counter[str] = Counter()
    behaviour_laws: dict[str, list[str]] = {}
    law_count: Counter[str] = Counter()
    law_info: dict[str, dict[str, Any]] = {}
    times: list[datetime] = []
    for m in messages:
        if m.record_type == "call":
            t.calls += 1
        else:
            t.messages += 1
        t.incoming += m.direction == "in"
        if m.sender:
            senders[m.sender] += 1
        if m.received_at:
            at = datetime.fromisoformat(m.received_at)
            times.append(at)
            days[at.date().isoformat()] += 1
            t.hour_weekday[at.weekday()][at.hour] += 1
            t.night += at.hour >= night_start or at.hour < night_end
        else:
            t.undated += 1
        verdict = m.verdict or {}
        if m.kind:
            kinds[m.kind] += 1
        flags.update(m.flags)
        seen_behaviours: set[str] = set()
        seen_laws: set[str] = set()
        for v in verdict.get("violations", []):
            b = v.get("behaviour") or "other"
            if b not in seen_behaviours:
                seen_behaviours.add(b)
                behaviour_count[b] += 1
            behaviour_laws.setdefault(b, [])
            if v["id"] not in behaviour_laws[b]:
                behaviour_laws[b].append(v["id"])
            if v["id"] not in seen_laws:
                seen_laws.add(v["id"])
                law_count[v["id"]] += 1
                law_info.setdefault(v["id"], {k: v.get(k) for k in ("id", "title", "basis", "binding_level",
                                                                     "binding_label", "source")})
    if times:
        times.sort()
        t.first, t.last = times[0].isoformat(), times[-1].isoformat()
        t.days_span = (times[-1].date() - times[0].date()).days + 1
        t.active_days = len(days)
        t.busiest_day, t.busiest_day_count = max(sorted(days.items()), key=lambda kv: kv[1])
        t.per_day = _fill_days(days, times[0].date(), times[-1].date())
    t.numbers = len(senders)
    t.top_senders = senders.most_common(top)
    t.kinds = dict(kinds.most_common())
    t.flags = dict(flags.most_common())
    t.behaviours = [{"behaviour": b, "label": behaviour_labels.get(b, b), "count": n, "laws": behaviour_laws[b]}
                    for b, n in behaviour_count.most_common()]
    t.laws = [dict(law_info[i], count=n) for i, n in law_count.most_common()]
    return t


def _fill_days(days: Counter[str], first: date, last: date) -> dict[str, int]:
    """Every calendar day from first to last, with 0 for quiet days (so gaps show on the chart)."""
    from datetime import timedelta

    out = {}
    day = first
    while day <= last:
        out[day.isoformat()] = days.get(day.isoformat(), 0)
        day += timedelta(days=1)
    return out
