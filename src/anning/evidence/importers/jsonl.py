"""JSON Lines: one object per line with ``text``/``sender``/``received_at`` (or the CSV aliases).

Empty lines are skipped; a line that is not a JSON object is rejected with its line number and the
import goes on. ``received_at`` may be a date string or a Unix epoch (seconds or milliseconds).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from anning.evidence.records import RawRecord, Rejected

from ._common import check_file, resolve_columns, sniff_text_encoding
from .csv_export import build_record

FORMAT = "jsonl"


def read(path: Path, mapping: Mapping[str, str] | None = None) -> Iterator[RawRecord | Rejected]:
    """Checks the file and its encoding now (ImportFormatError before anything is read), then streams."""
    check_file(path)
    return _read(path, sniff_text_encoding(path), mapping)


def _read(path: Path, encoding: str, mapping: Mapping[str, str] | None) -> Iterator[RawRecord | Rejected]:
    with path.open("r", encoding=encoding, errors="strict", newline=None) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            ref = f"line {number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Rejected(ref, f"不是有效的 JSON（{exc.msg}，第 {exc.colno} 列） / invalid JSON: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                yield Rejected(ref, f"不是 JSON 对象 / not a JSON object (got {type(obj).__name__})")
                continue
            keys = [str(k) for k in obj]
            try:
                columns = resolve_columns(keys, mapping)
            except KeyError as exc:
                yield Rejected(ref, str(exc.args[0]))
                continue
            if "text" not in columns:
                yield Rejected(ref, f"没有内容字段（有：{'、'.join(keys)}） / no text field (keys: {', '.join(keys)})")
                continue
            yield build_record(obj, columns, ref, FORMAT)
