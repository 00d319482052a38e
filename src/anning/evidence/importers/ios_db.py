"""iPhone Messages database (``sms.db`` from an iTunes/Finder backup, or a Mac's ``chat.db``).

The user's file is opened read-only and immutable (``file:...?mode=ro&immutable=1``) and never
modified. If a ``-wal`` journal lies next to it (a copy of a live database), the database and its
journal are first copied to a temporary directory so the newest messages are not missed.

``sender`` is the handle (phone number or e-mail) of the other party; for a message sent from the
phone without a handle it is the chat identifier. ``date`` is the Apple epoch (2001-01-01 UTC) in
seconds before iOS 11 and nanoseconds since. When ``text`` is NULL (iOS 16+), the text is read from
``attributedBody`` (see :mod:`.typedstream`); if that fails the row is rejected with the reason.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from anning.evidence.records import ImportFormatError, RawRecord, Rejected

from ._common import clean_optional, fail, from_apple
from .typedstream import extract_text

FORMAT = "ios-sms.db"
OBJECT_REPLACEMENT = "\ufffc"  # stands for an attachment inside the text
# Columns read when present (they vary across iOS versions); everything read goes to raw.
MESSAGE_COLUMNS = ("guid", "text", "attributedBody", "service", "date", "date_read", "date_delivered",
                   "is_from_me", "cache_roomnames", "cache_has_attachments", "item_type", "account")


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        with tempfile.TemporaryDirectory(prefix="anning-smsdb-") as tmp:
            copy = Path(tmp) / "sms.db"
            shutil.copyfile(path, copy)
            shutil.copyfile(wal, copy.with_name("sms.db-wal"))
            with closing(sqlite3.connect(f"file:{quote(str(copy))}?mode=ro", uri=True)) as conn:
                yield conn
        return
    with closing(sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)) as conn:
        yield conn


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def read(path: Path) -> Iterator[RawRecord | Rejected]:
    """Checks the database now (ImportFormatError before anything is read), then streams the messages."""
    try:
        with _connect(path) as conn:
            _tables(conn, path)
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc
    return _read(path)


def _unreadable(path: Path, exc: Exception) -> ImportFormatError:
    return fail("iPhone 短信数据库损坏或无法读取", f"the Messages database cannot be read ({exc})", path)


def _tables(conn: sqlite3.Connection, path: Path) -> set[str]:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "message" not in tables:
        raise fail("这是 SQLite 数据库，但不是 iPhone 短信数据库（没有 message 表）",
                   "an SQLite database but not an iPhone Messages database (no message table)", path)
    return tables


def _read(path: Path) -> Iterator[RawRecord | Rejected]:
    try:
        with _connect(path) as conn:
            yield from _rows(conn, _tables(conn, path))
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc


def _rows(conn: sqlite3.Connection, tables: set[str]) -> Iterator[RawRecord | Rejected]:
    present = _columns(conn, "message")
    cols = [c for c in MESSAGE_COLUMNS if c in present]
    select = ["m.ROWID AS rowid"] + [f"m.{c} AS {c}" for c in cols]
    joins = ""
    if "handle" in tables and "handle_id" in present:
        select.append("h.id AS handle")
        joins += " LEFT JOIN handle h ON h.ROWID = m.handle_id"
    if {"chat", "chat_message_join"} <= tables:
        select.append("(SELECT c.chat_identifier FROM chat_message_join cmj JOIN chat c ON c.ROWID = cmj.chat_id"
                      " WHERE cmj.message_id = m.ROWID ORDER BY c.ROWID LIMIT 1) AS chat_identifier")
    conn.row_factory = sqlite3.Row
    cursor = conn.execute(f"SELECT {', '.join(select)} FROM message m{joins} ORDER BY m.ROWID")
    for row in cursor:
        yield _record(dict(zip(row.keys(), row, strict=True)))


def _record(row: dict[str, object]) -> RawRecord | Rejected:
    ref = f"message ROWID {row['rowid']}"
    blob = row.pop("attributedBody", None)
    raw = {k: ("" if v is None else str(v)) for k, v in row.items()}
    text = row.get("text")
    if text is None and blob is not None:
        raw["attributedBody_bytes"] = str(len(blob)) if isinstance(blob, bytes) else ""
        try:
            text = extract_text(bytes(blob)) if isinstance(blob, bytes | memoryview) else None
        except ValueError as exc:
            return Rejected(ref, f"无法从 attributedBody 读出文字（{exc}） / cannot read the text of attributedBody")
        raw["text_source"] = "attributedBody"
    if not isinstance(text, str):
        return Rejected(ref, "消息没有文字（可能是附件或群组事件） / message without text (attachment or chat event)")
    text = text.replace(OBJECT_REPLACEMENT, "").strip("\n") if OBJECT_REPLACEMENT in text else text
    if not text.strip():
        return Rejected(ref, "只有附件、没有文字 / attachment only, no text")
    date = row.get("date")
    when: str | None = None
    if isinstance(date, int | float) and date:
        try:
            when = from_apple(date)
        except (OverflowError, ValueError):
            return Rejected(ref, f"无法识别的时间 date={date!r} / unreadable date")
    sender = clean_optional(row.get("handle")) or clean_optional(row.get("chat_identifier"))
    from_me = row.get("is_from_me")
    direction = "out" if from_me == 1 else ("in" if from_me == 0 else "unknown")
    return RawRecord(
        record_type="sms", text=text, sender=sender, received_at=when, direction=direction,
        source_format=FORMAT, source_ref=ref, raw=raw,
    )
