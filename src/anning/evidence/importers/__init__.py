"""Importers for the evidence locker: phone SMS exports → :class:`RawRecord` / :class:`Rejected`.

Formats (``detect_format`` looks at the content, the suffix only breaks ties):

``android-xml``  "SMS Backup & Restore" ``<smses>`` (sms + mms) and ``<calls>`` backups
``ios-sms.db``   the iPhone Messages SQLite database (``sms.db``; a Mac's ``chat.db`` too)
``csv``          CSV/TSV with a header row (Chinese or English column names, or ``mapping``)
``jsonl``        one JSON object per line
``text``         pasted text, one message per blank-line-separated block

``read_export`` checks the file and detects the format when called (ImportFormatError at once for
a missing, empty, directory, binary or unknown file) and returns an iterator. Per-entry problems
are yielded as :class:`Rejected` and reading goes on; a file that breaks part-way (truncated XML,
a corrupt database) yields everything read before the break, then raises ImportFormatError naming
where it breaks. Every ImportFormatError message is Chinese first, then English after " / ".
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path

from anning.evidence.records import ImportFormatError, RawRecord, Rejected

from ._common import ALIASES, CHUNK, FIELDS, check_file, fail, normalise_header

FORMATS = ("android-xml", "ios-sms.db", "csv", "jsonl", "text")
_FORMAT_NAMES = {
    "android-xml": "android-xml", "android": "android-xml", "xml": "android-xml",
    "ios-sms.db": "ios-sms.db", "ios": "ios-sms.db", "sms.db": "ios-sms.db", "sqlite": "ios-sms.db",
    "csv": "csv", "tsv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "text": "text", "txt": "text",
}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_KNOWN_HEADERS = {normalise_header(alias): field for field, aliases in ALIASES.items() for alias in aliases}

__all__ = ["FORMATS", "ImportFormatError", "RawRecord", "Rejected", "detect_format", "read_export"]


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format name of an export file, from its content. ImportFormatError if it is not one."""
    path = Path(path)
    check_file(path)
    with path.open("rb") as fh:
        head = fh.read(CHUNK)
    if head.startswith(_SQLITE_MAGIC):
        return "ios-sms.db"
    if head.startswith(_ZIP_MAGIC):
        raise fail("这是压缩包，请先解压再导入里面的文件", "this is a zip archive; unzip it and import the file inside",
                   path)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "android-xml"
    text = _decode_head(head, path)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return "android-xml"
    if stripped.startswith("{"):
        return "jsonl"
    if stripped.startswith("[") and stripped[1:].lstrip().startswith("{"):
        raise fail("JSON 数组暂不支持，请改为每行一个对象的 JSONL", "a JSON array is not supported; use JSON Lines",
                   path)
    suffix = path.suffix.lower()
    first_line = stripped.split("\n", 1)[0].rstrip("\r")
    if _looks_like_csv_header(first_line) or (suffix in (".csv", ".tsv") and _delimiter_count(first_line)):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "text"


def read_export(path: str | os.PathLike[str], fmt: str | None = None,
                mapping: dict[str, str] | None = None) -> Iterator[RawRecord | Rejected]:
    """Records of an export file, in file order.

    ``fmt`` forces a format (a name of :data:`FORMATS` or an alias such as ``xml``, ``ios``, ``txt``);
    ``mapping`` names CSV columns / JSONL keys, e.g. ``{"text": "内容", "sender": "号码"}``
    (fields: text, sender, received_at, direction, contact_name; other formats ignore it).
    """
    path = Path(path)
    check_file(path)
    for field in mapping or {}:
        if field not in FIELDS:
            raise fail(f"--map 中的未知字段 {field!r}（可用：{'、'.join(FIELDS)}）",
                       f"unknown field {field!r} in --map (use {', '.join(FIELDS)})", path)
    if fmt is None:
        name = detect_format(path)
    else:
        name = _FORMAT_NAMES.get(fmt.strip().lower().lstrip("."), "")
        if not name:
            raise fail(f"未知格式 {fmt!r}（可用：{'、'.join(FORMATS)}）",
                       f"unknown format {fmt!r} (use {', '.join(FORMATS)})", path)
    if name == "android-xml":
        from . import android_xml

        return android_xml.read(path)
    if name == "ios-sms.db":
        from . import ios_db

        if not _is_sqlite(path):
            raise fail("不是 SQLite 数据库", "not an SQLite database", path)
        return ios_db.read(path)
    if name == "csv":
        from . import csv_export

        return csv_export.read(path, mapping)
    if name == "jsonl":
        from . import jsonl

        return jsonl.read(path, mapping)
    from . import text

    return text.read(path)


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC


def _decode_head(head: bytes, path: Path) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")("replace").decode(head)
    if b"\x00" in head:
        raise fail("无法识别的文件格式（二进制文件）", "unknown file format (binary data)", path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        if controls > max(2, len(text) // 100):
            break
        return text
    raise fail("无法识别的文件格式或编码（不是 UTF-8/GB18030 文本，也不是已知的导出文件）",
               "unknown file format or encoding (neither UTF-8/GB18030 text nor a known export)", path)


def _delimiter_count(line: str) -> int:
    return max(line.count(","), line.count("\t"), line.count(";"))


def _looks_like_csv_header(line: str) -> bool:
    if not _delimiter_count(line):
        return False
    delimiter = max((",", "\t", ";"), key=line.count)
    cells = [normalise_header(cell.strip().strip('"')) for cell in line.split(delimiter)]
    fields = {_KNOWN_HEADERS[c] for c in cells if c in _KNOWN_HEADERS}
    return "text" in fields or len(fields) >= 2
