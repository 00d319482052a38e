"""Judging a paste of several SMS: each message on its own, and which one most needs attention.

``anning.text.paste`` finds the messages; here each is analysed as if pasted alone, so the reasons of
one message never mix with another's. The message that most needs attention is the one whose kind
carries the highest base risk (scoring.yaml ``kind_risk``: a scam before a collection message), then
the highest risk score, then the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anning.model import Verdict
from anning.text.paste import Piece, split_paste

if TYPE_CHECKING:
    from anning.engine import Engine


@dataclass(frozen=True, slots=True)
class PastedMessage:
    piece: Piece
    verdict: Verdict


def analyze_paste(engine: Engine, text: str, sender: str | None = None, received_at: str | None = None,
                  lang: str | None = None) -> list[PastedMessage]:
    """The verdict of every message in ``text`` when it holds several, else an empty list. A message
    whose header names no sender or time takes ``sender`` / ``received_at``. Raises what ``analyze``
    raises for the first message that cannot be analysed."""
    pieces = split_paste(text)
    if not pieces:
        return []
    results = engine.analyze_batch([(text[p.start:p.end], p.sender or sender, p.received_at or received_at, None)
                                    for p in pieces], lang)
    out = []
    for piece, result in zip(pieces, results, strict=True):
        if isinstance(result, Exception):
            raise result
        out.append(PastedMessage(piece, result))
    return out


def most_serious(messages: list[PastedMessage], kind_risk: dict[str, float]) -> int:
    """The index of the message that most needs attention."""
    return max(range(len(messages)), key=lambda i: (kind_risk.get(messages[i].verdict.kind, 0),
                                                    messages[i].verdict.risk, -i))


def rebased(d: dict[str, Any], offset: int) -> dict[str, Any]:
    """A verdict dict of one pasted message with its spans moved ``offset`` characters on, so they index
    the whole paste (changes ``d`` in place and returns it)."""
    for sig in d["signals"]:
        if sig["span"] is not None:
            sig["span"] = [sig["span"][0] + offset, sig["span"][1] + offset]
        sig["spans"] = [[a + offset, b + offset] for a, b in sig["spans"]]
    for items in d["flag_evidence"].values():
        for item in items:
            if item["span"] is not None:
                item["span"] = [item["span"][0] + offset, item["span"][1] + offset]
    d["entities"] = _shift_spans(d["entities"], offset)
    return d


def _shift_spans(value: Any, offset: int) -> Any:
    if isinstance(value, dict):
        return {key: ([item[0] + offset, item[1] + offset] if key == "span" and _is_span(item)
                      else _shift_spans(item, offset)) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift_spans(item, offset) for item in value]
    return value


def _is_span(value: Any) -> bool:
    return (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in value))


def paste_to_dict(text: str, messages: list[PastedMessage], kind_risk: dict[str, float],
                  sender: str | None = None, received_at: str | None = None) -> dict[str, Any]:
    """The JSON verdict of a paste: the fields of the message that most needs attention, its spans
    indexing the whole paste and ``message`` being the whole paste; ``messages`` lists every message
    (``start``/``end`` into the paste, its sender and time, and its own ``verdict``, spans also indexing
    the whole paste); ``chosen_message`` is the index of the one whose fields are on top."""
    from anning.explain import verdict_to_dict
    from anning.personal import message_id

    chosen = most_serious(messages, kind_risk)
    listed = []
    for m in messages:
        one = rebased(verdict_to_dict(m.verdict), m.piece.start)
        message = one.pop("message")
        listed.append({"start": m.piece.start, "end": m.piece.end, "sender": message["sender"],
                       "received_at": message["received_at"], "verdict": one})
    top = rebased(verdict_to_dict(messages[chosen].verdict), messages[chosen].piece.start)
    top["message"] = {"id": message_id(text), "text": text, "sender": sender, "received_at": received_at}
    top["messages"] = listed
    top["chosen_message"] = chosen
    return top


def check_to_dict(engine: Engine, text: str, sender: str | None = None, received_at: str | None = None,
                  lang: str | None = None, split: bool = True) -> dict[str, Any]:
    """What ``anning check`` and the web page show: the verdict dict of ``text``, or, when ``split`` and the
    text is a paste of several messages, ``paste_to_dict`` of them. Raises what ``Engine.analyze`` raises."""
    from anning.explain import verdict_to_dict

    whole = verdict_to_dict(engine.analyze(text, sender, received_at, lang=lang))
    pasted = analyze_paste(engine, text, sender, received_at, lang) if split else []
    if not pasted:
        return whole
    return paste_to_dict(text, pasted, engine.k.scoring["kind_risk"], whole["message"]["sender"],
                         whole["message"]["received_at"])
