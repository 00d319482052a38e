"""Several SMS pasted as one text: where each message starts and ends, and its sender and time.

People copy a screenful of messages from their phone and paste it whole. Judged as one message, the
reasons of one SMS would mix with another's (a lender's name in the first, a link in the third). This
module only finds the pieces; ``anning.paste`` judges them.

A message starts with header lines (all optional, in any order) and then its text:

* a sender line: ``号码：…`` / ``发件人：…`` / ``来自：…`` / ``From: …``, or a line that is only a number
  (``10690000123``, ``+86 138 0013 8000``) when more lines follow;
* a time line: ``时间：…`` / ``日期：…`` / ``Time: …``, or a line that is only a date and time
  (``2026-11-20 09:15``, ``2026年11月20日 21:40``, ``11/20 21:40``), possibly after a sender number;
* or a single line ``2026-11-20 09:15 10690000123：text`` (date and time, optional sender, then the text).

A header after some text starts the next message. A block after a blank line without a header is a
message of its own only when it carries its own SMS signature (``【借呗】…`` at its start or end) and
some words besides; with no header anywhere, every block must: a letter whose paragraphs are separated
by blank lines stays one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENDER_LINE = re.compile(r"(?:号码|发件人|发信人|发送号码|来自|from|sender)\s*[:：]\s*(?P<v>\S.*)", re.IGNORECASE)
TIME_LINE = re.compile(r"(?:时间|日期|接收时间|time|date)\s*[:：]\s*(?P<v>\S.*)", re.IGNORECASE)
NUMBER_ONLY = re.compile(r"\+?\d[\d \-]{2,24}")
_STAMP = (r"(?:(?P<y>20\d\d)\s*[-/.年]\s*)?(?P<mo>1[0-2]|0?[1-9])\s*[-/.月]\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*日?"
          r"(?:\s*(?:星期|周)[一二三四五六日天])?[ T]*(?:上午|下午|晚上|凌晨|中午)?\s*"
          r"(?P<h>[01]?\d|2[0-3])\s*[:：]\s*(?P<mi>[0-5]\d)(?:\s*[:：]\s*(?P<s>[0-5]\d))?")
_SENDER = r"(?P<sender>\+?\d[\d \-]{2,24}\d)"
STAMP_LINE = re.compile(rf"\[?{_STAMP}\]?(?:\s+{_SENDER})?")
SENDER_STAMP_LINE = re.compile(rf"{_SENDER}\s+\[?{_STAMP}\]?")
# a message's first line carrying its header: "[2026-11-20 09:15] text" or "2026-11-20 09:15 10690000123: text"
BRACKET_PREFIX = re.compile(rf"\[{_STAMP}\]\s*(?:{_SENDER}\s*)?[:：]?\s*(?=\S)")
SENDER_PREFIX = re.compile(rf"{_STAMP}\s+{_SENDER}\s*[:：]\s*(?=\S)")
SIGNATURE = re.compile(r"^\s*【[^【】\n]{2,16}】|【[^【】\n]{2,16}】\s*$")  # at a block's start or end
MAX_SENDER = 40  # a longer "来自：…" line is text, not a header
MIN_SIGNED_TEXT = 10  # letters (CJK or Latin) besides the signature for a block to count as a message of its own


@dataclass(frozen=True, slots=True)
class Piece:
    """One message of a paste: its text is ``paste[start:end]``; ``received_at`` is an ISO time (China
    time) when its header gave a full date and time, else None."""

    start: int
    end: int
    sender: str | None
    received_at: str | None


@dataclass(slots=True)
class _Draft:
    header: bool = False
    sender: str | None = None
    received_at: str | None = None
    start: int = -1
    end: int = -1


def split_paste(text: str) -> list[Piece]:
    """The messages of ``text`` when it holds at least two, else an empty list."""
    drafts = _drafts(text)
    if len(drafts) < 2:
        return []
    if not any(d.header for d in drafts[1:]):  # blank lines only: each block must be a signed SMS
        if not all(_signed(text[d.start:d.end]) for d in drafts):
            return []
        return [Piece(d.start, d.end, d.sender, d.received_at) for d in drafts]
    merged: list[_Draft] = []
    for d in drafts:  # an unsigned block without a header is a paragraph of the message before
        if merged and not d.header and not _signed(text[d.start:d.end]):
            merged[-1].end = d.end
        else:
            merged.append(d)
    if len(merged) < 2:
        return []
    return [Piece(d.start, d.end, d.sender, d.received_at) for d in merged]


def _drafts(text: str) -> list[_Draft]:
    lines = _lines(text)
    drafts: list[_Draft] = []
    current = _Draft()
    blank_before = True
    for i, (start, end) in enumerate(lines):
        raw = text[start:end]
        line = raw.strip()
        if not line:
            blank_before = True
            continue
        first = start + len(raw) - len(raw.lstrip())  # where the line's text starts
        last = start + len(raw.rstrip())
        header = _header(line, blank_before or current.start < 0, _next_is_time(text, lines, i))
        if header is not None:
            if current.start >= 0 or _clashes(current, header):
                drafts.append(current)
                current = _Draft()
            current.header = True
            current.sender = current.sender or header[0]
            current.received_at = current.received_at or header[1]
            if header[2] is not None:  # "[time] sender: text" on one line
                current.start, current.end = first + header[2], last
        elif current.start < 0:
            current.start, current.end = first, last
        elif blank_before:
            drafts.append(current)
            current = _Draft(start=first, end=last)
        else:
            current.end = last
        blank_before = False
    drafts.append(current)
    return [d for d in drafts if d.start >= 0]


def _lines(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        out.append((pos, pos + len(body)))
        pos += len(line)
    return out


def _next_is_time(text: str, lines: list[tuple[int, int]], i: int) -> bool:
    """Whether the next non-blank line after line ``i`` is a time line."""
    for a, b in lines[i + 1:]:
        line = text[a:b].strip()
        if line:
            m = TIME_LINE.fullmatch(line)
            return bool(STAMP_LINE.fullmatch(m["v"].strip()) if m else STAMP_LINE.fullmatch(line))
    return False


def _header(line: str, block_start: bool, time_follows: bool) -> tuple[str | None, str | None, int | None] | None:
    """(sender, ISO time, where the text starts within the line or None) when ``line`` is a header.
    A bare number is a sender only at the start of a block or right before a time line (a service
    number alone on a line inside a message is text)."""
    if (m := SENDER_LINE.fullmatch(line)) and len(m["v"]) <= MAX_SENDER:
        value = m["v"].strip()
        return _number(value) if NUMBER_ONLY.fullmatch(value) else value, None, None
    if (m := TIME_LINE.fullmatch(line)) and (stamp := STAMP_LINE.fullmatch(m["v"].strip())):
        return _number(stamp["sender"]), _iso(stamp), None
    if m := STAMP_LINE.fullmatch(line) or SENDER_STAMP_LINE.fullmatch(line):
        return _number(m["sender"]), _iso(m), None
    if NUMBER_ONLY.fullmatch(line) and (block_start or time_follows):
        return _number(line), None, None
    return line_prefix(line)


def line_prefix(line: str) -> tuple[str | None, str | None, int] | None:
    """(sender, ISO time, where the text starts) when ``line`` opens with a one-line header
    (``[2026-11-20 09:15] 10690000123: …`` or ``2026-11-20 09:15 10690000123: …``), else None."""
    m = BRACKET_PREFIX.match(line) or SENDER_PREFIX.match(line)
    return (_number(m["sender"]), _iso(m), m.end()) if m else None


def _clashes(draft: _Draft, header: tuple[str | None, str | None, int | None]) -> bool:
    """A second sender or time for a message that has one: the first message had no text."""
    return bool((header[0] and draft.sender) or (header[1] and draft.received_at))


def _number(value: str | None) -> str | None:
    return value.replace(" ", "").replace("-", "") if value else None


def _iso(m: re.Match[str]) -> str | None:
    if not m["y"]:
        return None
    return (f"{m['y']}-{int(m['mo']):02d}-{int(m['d']):02d}T{int(m['h']):02d}:{m['mi']}:{m['s'] or '00'}"
            "+08:00")


def _signed(block: str) -> bool:
    m = SIGNATURE.search(block)
    if m is None:
        return False
    rest = block[:m.start()] + block[m.end():]
    return sum(ch.isalpha() for ch in rest) >= MIN_SIGNED_TEXT
