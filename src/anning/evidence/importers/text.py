"""Plain pasted text: one message per block, blocks separated by one or more blank lines.

A block's leading header lines are read, then the rest is the message:

* a line that is only a number (``10690000123``, ``+86 138 0013 8000``, ``95588``) or
  ``号码：…`` / ``发件人：…`` / ``来自：…`` / ``From: …`` gives the sender;
* ``时间：…`` / ``日期：…`` / ``Time: …`` gives the time (China time unless it has an offset).

Everything else is the text, lines kept as written (trailing spaces trimmed). A message that itself
contains blank lines is therefore split in two; use CSV or JSONL for such messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from anning.evidence.records import RawRecord, Rejected
from anning.text.paste import NUMBER_ONLY as _NUMBER_ONLY
from anning.text.paste import SENDER_LINE as _SENDER_LINE
from anning.text.paste import TIME_LINE as _TIME_LINE
from anning.text.paste import line_prefix, split_paste

from ._common import DateError, check_file, fail, parse_datetime, sniff_text_encoding

FORMAT = "text"


def read(path: Path) -> Iterator[RawRecord | Rejected]:
    """Checks the file and its encoding now (ImportFormatError before anything is read), then streams."""
    check_file(path)
    return _read(path, sniff_text_encoding(path))


def _read(path: Path, encoding: str) -> Iterator[RawRecord | Rejected]:
    block: list[str] = []
    start = 0
    count = 0
    with path.open("r", encoding=encoding, errors="strict", newline=None) as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip()
            if line.strip():
                if not block:
                    start = number
                block.append(line)
                continue
            if block:
                count += 1
                yield from _records(block, count, start)
                block = []
        if block:
            count += 1
            yield from _records(block, count, start)
    if count == 0:
        raise fail("文件只有空白，没有短信", "the file contains only blank lines", path)


def _records(lines: list[str], count: int, start: int) -> Iterator[RawRecord | Rejected]:
    """The block's messages: usually one; several when it holds several headed messages."""
    block = "\n".join(lines)
    pieces = split_paste(block)
    if not pieces:
        yield _record(lines, f"block {count} (line {start})")
        return
    head = 0
    for number, piece in enumerate(pieces, 1):
        # the piece's own header lines (and a one-line header's prefix) run from the previous piece's end
        first_line = block.count("\n", 0, head) + (block[head:head + 1] == "\n")
        yield _record(block[head:piece.end].strip("\n").split("\n"),
                      f"block {count} (line {start + first_line}), message {number}")
        head = piece.end


def _record(lines: list[str], ref: str) -> RawRecord | Rejected:
    sender: str | None = None
    when: str | None = None
    header: dict[str, str] = {}
    body = list(lines)
    while body:
        line = body[0].strip()
        if sender is None and (m := _SENDER_LINE.fullmatch(line)):
            sender = header["sender"] = m["v"].strip()
        elif sender is None and len(body) > 1 and _NUMBER_ONLY.fullmatch(line):
            sender = header["sender"] = line.replace(" ", "").replace("-", "")
        elif when is None and (m := _TIME_LINE.fullmatch(line)):
            header["received_at"] = m["v"].strip()
            try:
                when = parse_datetime(m["v"])
            except DateError as exc:
                return Rejected(ref, str(exc))
        else:
            if prefix := line_prefix(line):  # "[2026-11-20 09:15] 10690000123: text"
                body[0] = line[prefix[2]:]
                if prefix[0] and sender is None:
                    sender = header["sender"] = prefix[0]
                if prefix[1] and when is None:
                    header["received_at"] = prefix[1]
                    when = parse_datetime(prefix[1])
            break
        body.pop(0)
    text = "\n".join(body).strip()
    if not text:
        return Rejected(ref, "只有号码或时间、没有短信内容 / a sender or time line without message text")
    return RawRecord(
        record_type="sms", text=text, sender=sender, received_at=when, direction="unknown",
        source_format=FORMAT, source_ref=ref, raw={"block": "\n".join(lines), **header},
    )
