"""Presentation helpers: turn the verdict dict (``anning.explain.verdict_to_dict``) into what the page shows.

No analysis here: the same choices as the terminal renderer (``anning.render``) — which signals are
highlighted, laws grouped by behaviour — applied to HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anning.knowledge import Knowledge
from anning.render import MAX_LAWS_PER_BEHAVIOUR, by_behaviour


@dataclass(frozen=True)
class Segment:
    text: str
    signals: tuple[int, ...]  # indexes into the verdict's signals; empty = plain text


def highlight_segments(text: str, signals: list[dict[str, Any]]) -> list[Segment]:
    """Split the message into runs covered by the same set of highlighted signals.

    A signal is highlighted, as in the terminal, when it is visible and raises a flag or adds weight.
    Overlapping spans are fine: a run lists every signal that covers it."""
    cover: list[set[int]] = [set() for _ in text]
    for i, sig in enumerate(signals):
        if not sig.get("visible", True) or not (sig["flags"] or sig["weight"] > 0):
            continue
        for start, end in sig.get("spans") or []:
            if 0 <= start < end <= len(text):
                for pos in range(start, end):
                    cover[pos].add(i)
    out: list[Segment] = []
    for pos, ch in enumerate(text):
        key = tuple(sorted(cover[pos]))
        if out and out[-1].signals == key:
            out[-1] = Segment(out[-1].text + ch, key)
        else:
            out.append(Segment(ch, key))
    return out


def laws_by_behaviour(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Violations grouped by the behaviour they answer, in verdict order; the first few shown open."""
    return [{"behaviour": b, "why": laws[0]["why"], "shown": laws[:MAX_LAWS_PER_BEHAVIOUR],
             "more": laws[MAX_LAWS_PER_BEHAVIOUR:]} for b, laws in by_behaviour(violations)]


def kind_description(k: Knowledge, kind: str, lang: str) -> str:
    for entry in k.taxonomy.get("kinds", []):
        if entry.get("id") == kind:
            return str(entry.get(f"description_{lang}") or entry.get("description_zh") or "")
    return ""


def weight_text(weight: float) -> str:
    return f"{'+' if weight > 0 else ''}{weight:g}" if weight else "0"


PASTE_EXCERPT = 60  # characters of each pasted message shown in the list


def pasted_row(text: str, m: dict[str, Any]) -> dict[str, Any]:
    """One message of a paste (``anning.paste.paste_to_dict``) as the check page lists it."""
    v = m["verdict"]
    body = text[m["start"]:m["end"]]
    flat = " ".join(body.split())
    at = (m["received_at"] or "")[:16]
    return {"text": body, "excerpt": flat if len(flat) <= PASTE_EXCERPT else flat[:PASTE_EXCERPT] + "…",
            "sender": m["sender"] or "", "at": at, "when": at.replace("T", " "), "kind": v["kind"],
            "kind_label": v["kind_label"], "risk": v["risk"], "risk_level": v["risk_level"],
            "risk_label": v["risk_label"]}
