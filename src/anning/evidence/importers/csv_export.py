"""CSV/TSV exports (phone tools, spreadsheets): a header row, then one message per row.

Columns are found by their header (Chinese or English aliases, see ``_common.ALIASES``) or by the
``mapping`` given by the user (``--map text=内容``). The encoding is UTF-16 (with BOM, Excel's
"Unicode text"), else strict UTF-8 (BOM allowed), else GB18030, checked over the whole file before
the first row is read. The delimiter (comma, tab or semicolon) is the most frequent one in the header.
Rows are streamed. Times without an offset are China time; a row without text or with an unreadable
time is rejected and the import goes on.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from anning.evidence.records import RawRecord, Rejected

from ._common import (
    DateError,
    check_file,
    clean_optional,
    fail,
    parse_datetime,
    parse_direction,
    resolve_columns,
    sniff_text_encoding,
)

FORMAT = "csv"
DELIMITERS = (",", "\t", ";")
MAP_HINT = "--map text=内容列名 --map sender=号码列名 --map received_at=时间列名"


def pick_delimiter(header_line: str) -> str:
    return max(DELIMITERS, key=header_line.count)


def read(path: Path, mapping: Mapping[str, str] | None = None) -> Iterator[RawRecord | Rejected]:
    """Checks encoding and columns now (ImportFormatError before anything is read), then streams rows."""
    check_file(path)
    encoding = sniff_text_encoding(path)
    csv.field_size_limit(min(sys.maxsize, 1 << 30))
    fh = path.open("r", encoding=encoding, errors="strict", newline="")
    try:
        first = fh.readline()
        fh.seek(0)
        reader = csv.reader(fh, delimiter=pick_delimiter(first))
        try:
            headers = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            raise fail("CSV 文件没有表头", "the CSV has no header row", path) from None
        try:
            columns = resolve_columns(headers, mapping)
        except KeyError as exc:
            raise fail(f"{exc.args[0]}；文件中的列：{'、'.join(headers)}",
                       f"columns found: {', '.join(headers)}", path) from None
        if "text" not in columns:
            raise fail(
                f"CSV 中找不到短信内容列（找到的列：{'、'.join(headers) or '无'}）；"
                f"请用 {MAP_HINT} 指定",
                f"no message-text column in the CSV (columns found: {', '.join(headers) or 'none'}); "
                "name it with --map text=COLUMN (also sender=, received_at=, direction=, contact_name=)",
                path,
            )
    except BaseException:
        fh.close()
        raise
    return _rows(fh, reader, headers, columns, path)


def _rows(fh: TextIO, reader: Any, headers: list[str], columns: dict[str, str],
          path: Path) -> Iterator[RawRecord | Rejected]:
    with fh:
        number = 1  # the header is row 1, as in a spreadsheet
        try:
            for row in reader:
                number += 1
                if not any(cell.strip() for cell in row):
                    continue
                yield _record(row, headers, columns, f"row {number}")
        except (csv.Error, UnicodeDecodeError) as exc:
            raise fail(f"CSV 在第 {number + 1} 行（文件第 {reader.line_num} 行）无法读取",
                       f"the CSV cannot be read at row {number + 1}, line {reader.line_num} ({exc})", path) from None


def _record(row: list[str], headers: list[str], columns: dict[str, str], ref: str) -> RawRecord | Rejected:
    raw = {header or f"column {i + 1}": (row[i] if i < len(row) else "") for i, header in enumerate(headers)}
    extra = row[len(headers):]
    if extra:
        raw["__extra__"] = "\u241f".join(extra)  # cells beyond the header, kept for provenance
    return build_record(raw, columns, ref, FORMAT)


def build_record(values: Mapping[str, object], columns: dict[str, str], ref: str,
                 source_format: str) -> RawRecord | Rejected:
    """A record from one row/object whose fields are named by ``columns`` (shared with JSONL)."""
    text = values.get(columns["text"]) if "text" in columns else None
    if text is None or not isinstance(text, str) or not text.strip():
        return Rejected(ref, "内容为空 / empty message text" if text is None or isinstance(text, str)
                        else f"内容不是文字 / message text is not a string: {text!r}")
    when: str | None = None
    time_value = values.get(columns["received_at"]) if "received_at" in columns else None
    if time_value is not None and str(time_value).strip():
        try:
            when = parse_datetime(str(time_value))
        except DateError as exc:
            return Rejected(ref, str(exc))
    sender = clean_optional(values.get(columns["sender"])) if "sender" in columns else None
    direction = parse_direction(values.get(columns["direction"])) if "direction" in columns else "unknown"
    contact = clean_optional(values.get(columns["contact_name"])) if "contact_name" in columns else None
    return RawRecord(
        record_type="sms", text=text, sender=sender, received_at=when, direction=direction,
        source_format=source_format, source_ref=ref, contact_name=contact, raw=dict(values),
    )
