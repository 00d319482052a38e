"""The evidence store: one SQLite file (WAL mode) holding messages, their verdicts, cases and the chain.

Writes happen in short ``BEGIN IMMEDIATE`` transactions that read the chain head inside the write
lock, so several writers (a CLI import, two browser tabs) append one after another and the chain
stays linear. An import commits every ``COMMIT_EVERY`` messages: a crash or kill leaves the store
with whole, committed, chained messages only, and importing the same file again adds the rest.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from anning.evidence.analyse import Analyser
from anning.evidence.chain import (
    CHAIN_VERSION,
    GENESIS,
    ChainProblem,
    ChainReport,
    ChainRow,
    canonical_json,
    link_hash,
    sha256_hex,
    verify_chain,
)
from anning.evidence.records import ImportFormatError, RawRecord, Rejected

DB_FILE = "evidence.db"
COMMIT_EVERY = 500
SCHEMA_VERSION = 2
# Each entry migrates the schema from version i to i + 1; a store records the version it is at.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE imports(
        id INTEGER PRIMARY KEY, source TEXT NOT NULL, file_sha256 TEXT, format TEXT,
        started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
        read INTEGER NOT NULL DEFAULT 0, new INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
        problems TEXT NOT NULL DEFAULT '[]'
    ) STRICT;
    CREATE TABLE messages(
        seq INTEGER PRIMARY KEY,
        record_type TEXT NOT NULL, direction TEXT NOT NULL, sender TEXT, contact_name TEXT,
        received_at TEXT, text TEXT NOT NULL, duration_s INTEGER,
        source_format TEXT NOT NULL, source_ref TEXT NOT NULL, raw TEXT NOT NULL,
        import_id INTEGER, stored_at TEXT NOT NULL, dedupe_key TEXT NOT NULL UNIQUE,
        kind TEXT, risk INTEGER, flags TEXT NOT NULL, verdict TEXT,
        engine_version TEXT, knowledge_version TEXT,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL
    ) STRICT;
    CREATE INDEX messages_received ON messages(received_at);
    CREATE INDEX messages_sender ON messages(sender);
    CREATE INDEX messages_kind ON messages(kind);
    CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='seq',
                                                 tokenize='trigram');
    CREATE TABLE cases(
        id INTEGER PRIMARY KEY, title TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE case_messages(
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL REFERENCES messages(seq),
        PRIMARY KEY(case_id, seq)
    ) STRICT;
    CREATE TABLE case_events(
        id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        at TEXT NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE TABLE verdict_parts(sha256 TEXT PRIMARY KEY, json TEXT NOT NULL) STRICT;
    CREATE TABLE feedback(
        id INTEGER PRIMARY KEY, seq INTEGER NOT NULL REFERENCES messages(seq), kind TEXT NOT NULL,
        flags TEXT NOT NULL, at TEXT NOT NULL
    ) STRICT;
    """,
    # A later engine's verdict on a stored message (``reanalyse``). The verdict stored on import stays in
    # the chain; this one, recomputable from the message, is what lists, timelines and reports show.
    """
    CREATE TABLE analyses(
        seq INTEGER PRIMARY KEY REFERENCES messages(seq),
        at TEXT NOT NULL, kind TEXT, risk INTEGER, flags TEXT NOT NULL, verdict TEXT NOT NULL,
        engine_version TEXT, knowledge_version TEXT
    ) STRICT;
    CREATE INDEX analyses_kind ON analyses(kind);
    """,
)
# Parts of a verdict that repeat from message to message (the laws, scenario and steps) are kept once,
# content-addressed; a stored verdict refers to them by SHA-256 (see ``compact_verdict``).
VERDICT_PARTS = ("violations", "scenario", "actions")
# The current verdict of a message: the latest re-analysis if there is one, else the one stored on import.
VERDICT_COLUMNS = ("kind", "risk", "flags", "verdict", "engine_version", "knowledge_version")
ANALYSIS_COLUMNS = ("at", *VERDICT_COLUMNS)
MESSAGE_COLUMNS = ("seq", "record_type", "direction", "sender", "contact_name", "received_at", "text", "duration_s",
                   "source_format", "source_ref", "raw", "import_id", "stored_at", "dedupe_key", "kind", "risk",
                   "flags", "verdict", "engine_version", "knowledge_version", "prev_hash", "hash")


# Messages with their re-analysis, if any (see ``_select``); filters read the current verdict from both.
_FROM = "messages m LEFT JOIN analyses a ON a.seq = m.seq"


class EvidenceError(ValueError):
    """A user-facing problem with the store or a request to it (unknown case, bad status...)."""


def default_db_path() -> Path:
    from anning.personal import home

    return home() / DB_FILE


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _china_iso(value: str | None) -> str | None:
    """Times are stored in China time with their offset, so text order is time order."""
    if not value:
        return None
    from anning.engine import to_local_time

    try:
        local = to_local_time(value)
    except ValueError as exc:
        raise ImportFormatError(f"无法识别的时间 / unreadable time: {value!r}") from exc
    return local.isoformat() if local else None


def dedupe_key(record_type: str, direction: str, sender: str | None, received_at: str | None, text: str) -> str:
    """The same message read twice (the same or an overlapping export) gets the same key."""
    digits = "".join(c for c in (sender or "") if c.isalnum())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return sha256_hex(canonical_json([record_type, direction, digits, received_at or "", text]))


def payload(m: dict[str, Any]) -> str:
    """The canonical text hashed into the chain for one stored message (see docs/evidence.md)."""
    verdict = m.get("verdict")
    return canonical_json({
        "v": CHAIN_VERSION,
        "record_type": m["record_type"], "direction": m["direction"], "sender": m["sender"],
        "contact_name": m["contact_name"], "received_at": m["received_at"], "text": m["text"],
        "duration_s": m["duration_s"], "source_format": m["source_format"], "source_ref": m["source_ref"],
        "raw_sha256": sha256_hex(m["raw"]), "stored_at": m["stored_at"],
        "kind": m["kind"], "risk": m["risk"], "flags": m["flags"],
        "engine_version": m["engine_version"], "knowledge_version": m["knowledge_version"],
        "verdict_sha256": sha256_hex(verdict) if verdict is not None else None,
    })


def compact_verdict(verdict: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The verdict as stored: repeated parts replaced by ``{"$parts": {name: sha256}}``.

    Returns the canonical JSON of the compact verdict and the parts (sha256 → canonical JSON).
    ``verdict_sha256`` in the chain is the SHA-256 of that compact JSON, so a part can change only
    by changing its hash, which the verdict no longer matches."""
    parts: dict[str, str] = {}
    refs: dict[str, str] = {}
    rest = {}
    for key, value in verdict.items():
        if key in VERDICT_PARTS:
            text = canonical_json(value)
            digest = sha256_hex(text)
            parts[digest] = text
            refs[key] = digest
        else:
            rest[key] = value
    rest["$parts"] = refs
    return canonical_json(rest), parts


@dataclass
class StoredMessage:
    seq: int
    record_type: str
    direction: str
    sender: str | None
    contact_name: str | None
    received_at: str | None
    text: str
    duration_s: int | None
    source_format: str
    source_ref: str
    stored_at: str
    kind: str | None
    risk: int | None
    flags: list[str]
    verdict: dict[str, Any] | None
    engine_version: str | None
    knowledge_version: str | None
    hash: str
    prev_hash: str
    import_id: int | None = None
    corrected_kind: str | None = None
    # Set when a later engine re-analysed the message (``EvidenceStore.reanalyse``): when, and the verdict
    # stored on import, which the chain protects (``kind``, ``risk``, ``flags``, ``verdict``, versions).
    # The fields above then hold the newer verdict.
    reanalysed_at: str | None = None
    imported: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        return self.seq

    def to_dict(self, with_verdict: bool = True) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if with_verdict or k != "verdict"}
        out["id"] = self.seq
        return out


@dataclass
class Case:
    id: int
    title: str
    notes: str
    status: str
    created_at: str
    updated_at: str
    message_ids: list[int] = field(default_factory=list)
    events: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ReanalysisSummary:
    """What ``EvidenceStore.reanalyse`` did: messages judged, verdicts that changed, and how kinds moved."""

    checked: int = 0
    updated: int = 0
    kind_changes: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (before, now) → seqs
    risk_changed: int = 0

    def record(self, seq: int, kind: str | None, risk: int | None, verdict: dict[str, Any]) -> None:
        """A verdict that changed: message ``seq`` had ``kind`` and ``risk`` before ``verdict``."""
        self.updated += 1
        if kind != verdict["kind"]:
            self.kind_changes.setdefault((kind or "", verdict["kind"]), []).append(seq)
        if risk != verdict["risk"]:
            self.risk_changed += 1

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "updated": self.updated, "risk_changed": self.risk_changed,
                "kind_changes": [{"from": a, "to": b, "count": len(ids), "ids": ids}
                                 for (a, b), ids in sorted(self.kind_changes.items(), key=lambda x: -len(x[1]))]}


@dataclass
class ImportSummary:
    source: str
    format: str
    read: int = 0
    new: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)  # first MAX_PROBLEMS rejections
    error: str | None = None  # the file broke off: everything before it was kept
    import_id: int | None = None

    MAX_PROBLEMS = 200

    def reject(self, ref: str, reason: str) -> None:
        self.rejected += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append({"ref": ref, "reason": reason})


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load_evidence_labels() -> dict[str, Any]:
    """Case statuses, record types and directions with their labels (data/evidence.yaml)."""
    from importlib.resources import files

    import yaml

    data = yaml.safe_load(files("anning").joinpath("data/evidence.yaml").read_text(encoding="utf-8"))
    for section in ("case_statuses", "record_types", "directions"):
        entries = data.get(section)
        if not isinstance(entries, dict) or not all({"zh", "en"} <= set(v) for v in entries.values()):
            raise ValueError(f"data/evidence.yaml: '{section}' needs zh and en labels for every entry")
    return data


class EvidenceStore:
    """Open with ``EvidenceStore.open(path)``; the file and its directory are created when missing."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self.labels = load_evidence_labels()

    # -- opening and schema --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None = None) -> EvidenceStore:
        path = Path(path) if path else default_db_path()
        if path.is_dir():
            raise EvidenceError(f"{path} 是目录，不是证据库文件 / is a directory, not an evidence database")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            # Look before changing anything: another program's database must be left byte for byte.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                conn.close()
                raise EvidenceError(f"{path} 不是 anning 证据库 / is not an anning evidence database")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise EvidenceError(f"{path} 不是 anning 证据库 / is not an anning evidence database ({exc})") from exc
        store = cls(path, conn)
        store._migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        try:
            version = self.schema_version()
            if version > len(MIGRATIONS):
                raise EvidenceError(f"{self.path}: 证据库版本 {version} 比本程序新 / the store's schema version "
                                    f"{version} is newer than this anning understands ({len(MIGRATIONS)})")
            for target in range(version, len(MIGRATIONS)):
                with self._write():
                    for statement in MIGRATIONS[target].split(";\n"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version={target + 1}")
                    if target == 0:
                        self._set_meta("chain_head", GENESIS)
                        self._set_meta("chain_length", "0")
                        self._set_meta("created_at", _now())
        except sqlite3.DatabaseError as exc:
            raise EvidenceError(f"{self.path} 不是 anning 证据库 / is not an anning evidence database ({exc})") from exc

    def _write(self):
        """A write transaction holding SQLite's write lock from its start (``BEGIN IMMEDIATE``)."""
        return _Transaction(self.conn)

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    @property
    def head(self) -> str:
        return self._meta("chain_head") or GENESIS

    # -- writing messages ----------------------------------------------------------------------------
    def _append(self, rows: Sequence[dict[str, Any]]) -> list[int | None]:
        """Append prepared rows to the chain in one transaction; duplicates are skipped (None)."""
        out: list[int | None] = []
        with self._write():
            head = self._meta("chain_head") or GENESIS
            length = int(self._meta("chain_length") or 0)
            for m in rows:
                if self.conn.execute("SELECT 1 FROM messages WHERE dedupe_key=?", (m["dedupe_key"],)).fetchone():
                    out.append(None)
                    continue
                self.conn.executemany("INSERT OR IGNORE INTO verdict_parts(sha256, json) VALUES(?, ?)",
                                      m["parts"].items())
                m = dict(m, stored_at=_now(), prev_hash=head)
                m["hash"] = link_hash(head, payload(m))
                cur = self.conn.execute(
                    f"INSERT INTO messages({', '.join(MESSAGE_COLUMNS[1:])}) "
                    f"VALUES({', '.join('?' * (len(MESSAGE_COLUMNS) - 1))})",
                    [m[c] for c in MESSAGE_COLUMNS[1:]])
                seq = cur.lastrowid
                self.conn.execute("INSERT INTO messages_fts(rowid, text) VALUES(?, ?)", (seq, m["text"]))
                head = m["hash"]
                length += 1
                out.append(seq)
            self._set_meta("chain_head", head)
            self._set_meta("chain_length", str(length))
        return out

    @staticmethod
    def _prepare(rec: RawRecord, verdict: dict[str, Any] | None, import_id: int | None) -> dict[str, Any]:
        received = _china_iso(rec.received_at)
        verdict_json, parts = compact_verdict(verdict) if verdict is not None else (None, {})
        return {
            "record_type": rec.record_type, "direction": rec.direction, "sender": rec.sender,
            "contact_name": rec.contact_name, "received_at": received, "text": rec.text,
            "duration_s": rec.duration_s, "source_format": rec.source_format, "source_ref": rec.source_ref,
            "raw": canonical_json(rec.raw), "import_id": import_id,
            "dedupe_key": dedupe_key(rec.record_type, rec.direction, rec.sender, received, rec.text),
            "kind": verdict.get("kind") if verdict else None, "risk": verdict.get("risk") if verdict else None,
            "flags": canonical_json(verdict.get("flags", []) if verdict else []), "verdict": verdict_json,
            "engine_version": verdict.get("engine_version") if verdict else None,
            "knowledge_version": verdict.get("knowledge_version") if verdict else None,
            "parts": parts,
        }

    def add_message(self, text: str, sender: str | None = None, received_at: str | None = None,
                    engine=None, source_ref: str = "manual") -> StoredMessage:
        """Keep one message (checked in the CLI or the web app) as evidence; returns the stored record."""
        if not text.strip():
            raise EvidenceError("短信内容为空 / the message text is empty")
        rec = RawRecord("sms", text, sender or None, received_at or None, "in", "manual", source_ref,
                        raw={"text": text, "sender": sender, "received_at": received_at})
        prepared = self._prepare(rec, None, None)
        existing = self._seq_of(prepared["dedupe_key"])
        if existing is not None:
            return self.message(existing)
        with Analyser(engine=engine) as analyser:
            (verdict,) = analyser.verdicts([rec], [prepared["received_at"]])
        (seq,) = self._append([self._prepare(rec, verdict, None)])
        if seq is None:  # stored by another writer in the meantime
            seq = self._seq_of(prepared["dedupe_key"])
        return self.message(seq)

    def _seq_of(self, key: str) -> int | None:
        row = self.conn.execute("SELECT seq FROM messages WHERE dedupe_key=?", (key,)).fetchone()
        return row[0] if row else None

    def import_file(self, path: Path | str, fmt: str | None = None, mapping: dict[str, str] | None = None,
                    on_progress: Callable[[int], None] | None = None, jobs: int = 1,
                    engine=None) -> ImportSummary:
        """Import one export. Raises ImportFormatError (nothing written) when the file cannot be read at all.

        ``jobs``: processes analysing messages (1 = in this process, 0 = all cores).
        """
        from anning.evidence.importers import detect_format, read_export

        path = Path(path)
        fmt = fmt or detect_format(path)  # raises ImportFormatError on 0-byte, directory, unknown
        items = read_export(path, fmt, mapping)  # raises at once when the file cannot be read at all
        summary = ImportSummary(str(path), fmt)
        with self._write():
            cur = self.conn.execute(
                "INSERT INTO imports(source, file_sha256, format, started_at, status) VALUES(?, ?, ?, ?, 'running')",
                (str(path), _file_sha256(path), fmt, _now()))
            summary.import_id = cur.lastrowid
        status = "complete"
        try:
            with Analyser(jobs=jobs, engine=engine) as analyser:
                pending = None  # the previous batch is stored while workers analyse the next one
                for chunk in _chunks(self._new_records(items, summary), COMMIT_EVERY):
                    times = [_china_iso(r.received_at) for r in chunk]
                    job = analyser.submit(chunk, times)
                    if pending:
                        self._store_batch(*pending, summary, on_progress)
                    pending = (chunk, job)
                if pending:
                    self._store_batch(*pending, summary, on_progress)
            if summary.error:
                status = "broken"
        except BaseException:
            status = "interrupted"
            raise
        finally:
            with self._write():
                self.conn.execute(
                    "UPDATE imports SET finished_at=?, status=?, read=?, new=?, duplicates=?, rejected=?, problems=? "
                    "WHERE id=?",
                    (_now(), status, summary.read, summary.new, summary.duplicates, summary.rejected,
                     canonical_json(summary.problems), summary.import_id))
        return summary

    def _store_batch(self, chunk: list[RawRecord], job: Callable[[], list[dict[str, Any] | None]],
                     summary: ImportSummary, on_progress: Callable[[int], None] | None) -> None:
        verdicts = job()
        seqs = self._append([self._prepare(r, v, summary.import_id) for r, v in zip(chunk, verdicts, strict=True)])
        added = sum(s is not None for s in seqs)
        summary.new += added
        summary.duplicates += len(seqs) - added
        if on_progress:
            on_progress(len(chunk))

    def _new_records(self, items: Iterable[RawRecord | Rejected], summary: ImportSummary) -> Iterator[RawRecord]:
        """New records only; a file that breaks off ends the stream (so what was read is still stored)."""
        try:
            yield from self._new_records_until_break(items, summary)
        except ImportFormatError as exc:
            summary.error = str(exc)

    def _new_records_until_break(self, items: Iterable[RawRecord | Rejected],
                                 summary: ImportSummary) -> Iterator[RawRecord]:
        for item in items:
            summary.read += 1
            if isinstance(item, Rejected):
                summary.reject(item.source_ref, item.reason)
                continue
            try:
                received = _china_iso(item.received_at)
            except ImportFormatError as exc:
                summary.reject(item.source_ref, str(exc))
                continue
            key = dedupe_key(item.record_type, item.direction, item.sender, received, item.text)
            if self.conn.execute("SELECT 1 FROM messages WHERE dedupe_key=?", (key,)).fetchone():
                summary.duplicates += 1
                continue
            yield item

    def imports(self) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT * FROM imports ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) | {"problems": json.loads(row[names.index("problems")])}
                for row in cur.fetchall()]

    # -- reading -------------------------------------------------------------------------------------
    def _row_to_message(self, row: sqlite3.Row | tuple) -> StoredMessage:
        """A row of ``_select``: the message's columns, its latest correction, then its re-analysis."""
        d = dict(zip(MESSAGE_COLUMNS, row, strict=False))
        corrected = row[len(MESSAGE_COLUMNS)]
        analysis = dict(zip(ANALYSIS_COLUMNS, row[len(MESSAGE_COLUMNS) + 1:], strict=True))
        chained = self._verdict_fields(d)
        current, imported = chained, None
        if analysis["at"] is not None:
            current, imported = self._verdict_fields(analysis), chained
        return StoredMessage(
            seq=d["seq"], record_type=d["record_type"], direction=d["direction"], sender=d["sender"],
            contact_name=d["contact_name"], received_at=d["received_at"], text=d["text"], duration_s=d["duration_s"],
            source_format=d["source_format"], source_ref=d["source_ref"], stored_at=d["stored_at"], **current,
            hash=d["hash"], prev_hash=d["prev_hash"], import_id=d["import_id"], corrected_kind=corrected,
            reanalysed_at=analysis["at"], imported=imported)

    def _verdict_fields(self, d: dict[str, Any]) -> dict[str, Any]:
        return {"kind": d["kind"], "risk": d["risk"], "flags": json.loads(d["flags"]),
                "verdict": self._full_verdict(d["verdict"]), "engine_version": d["engine_version"],
                "knowledge_version": d["knowledge_version"]}

    def _full_verdict(self, stored: str | None) -> dict[str, Any] | None:
        if not stored:
            return None
        verdict = json.loads(stored)
        for key, digest in verdict.pop("$parts", {}).items():
            verdict[key] = self._part(digest)
        return verdict

    def _part(self, digest: str) -> Any:
        cache = self.__dict__.setdefault("_parts_cache", {})
        if digest not in cache:
            row = self.conn.execute("SELECT json FROM verdict_parts WHERE sha256=?", (digest,)).fetchone()
            cache[digest] = json.loads(row[0]) if row else None
        return json.loads(json.dumps(cache[digest]))  # a copy: callers may change what they get

    def _select(self) -> str:
        cols = ", ".join(f"m.{c}" for c in MESSAGE_COLUMNS)
        analysis = ", ".join(f"a.{c}" for c in ANALYSIS_COLUMNS)
        return (f"SELECT {cols}, (SELECT f.kind FROM feedback f WHERE f.seq = m.seq ORDER BY f.id DESC LIMIT 1), "
                f"{analysis} FROM {_FROM}")

    def message(self, seq: int) -> StoredMessage:
        row = self.conn.execute(self._select() + " WHERE m.seq=?", (seq,)).fetchone()
        if row is None:
            raise EvidenceError(f"没有编号为 {seq} 的记录 / no stored message {seq}")
        return self._row_to_message(row)

    def messages(self, *, sender: str | None = None, kind: str | None = None, flag: str | None = None,
                 since: str | None = None, until: str | None = None, text: str | None = None,
                 case_id: int | None = None, record_type: str | None = None, limit: int | None = None,
                 offset: int = 0, newest_first: bool = False) -> list[StoredMessage]:
        """Stored messages in chain order (or newest first), filtered. ``since``/``until`` are dates or
        ISO times in China time; ``until`` as a date includes that whole day."""
        where, args = self._filters(sender, kind, flag, since, until, text, case_id, record_type)
        sql = self._select() + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY m.received_at DESC, m.seq DESC" if newest_first else " ORDER BY m.seq"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [self._row_to_message(r) for r in self.conn.execute(sql, args).fetchall()]

    def count(self, **filters: Any) -> int:
        where, args = self._filters(**{k: filters.get(k) for k in
                                       ("sender", "kind", "flag", "since", "until", "text", "case_id", "record_type")})
        sql = f"SELECT count(*) FROM {_FROM}" + (" WHERE " + " AND ".join(where) if where else "")
        return self.conn.execute(sql, args).fetchone()[0]

    @staticmethod
    def _filters(sender, kind, flag, since, until, text, case_id, record_type) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if sender:
            where.append("m.sender LIKE ?")
            args.append(f"%{sender.strip()}%")
        if kind:
            where.append("COALESCE(a.kind, m.kind) = ?")
            args.append(kind)
        if flag:
            where.append("EXISTS (SELECT 1 FROM json_each(COALESCE(a.flags, m.flags)) WHERE value = ?)")
            args.append(flag)
        if since:
            where.append("m.received_at >= ?")
            args.append(_bound(since, end=False))
        if until:
            where.append("m.received_at < ?" if len(until) == 10 else "m.received_at <= ?")
            args.append(_bound(until, end=True))
        if text:
            if len(text) >= 3:  # the trigram index needs three characters
                where.append("m.seq IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)")
                args.append('"' + text.replace('"', '""') + '"')
            else:
                where.append("instr(m.text, ?) > 0")
                args.append(text)
        if case_id is not None:
            where.append("m.seq IN (SELECT seq FROM case_messages WHERE case_id = ?)")
            args.append(case_id)
        if record_type:
            where.append("m.record_type = ?")
            args.append(record_type)
        return where, args

    # -- verification --------------------------------------------------------------------------------
    def chain_rows(self) -> Iterator[ChainRow]:
        cur = self.conn.execute(f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM messages ORDER BY seq")
        for row in cur:
            m = dict(zip(MESSAGE_COLUMNS, row, strict=True))
            yield ChainRow(m["seq"], m["prev_hash"], m["hash"], payload(m))

    def verify(self) -> ChainReport:
        """Walk the chain, then check every stored verdict part against its hash and every reference to one."""
        length = self._meta("chain_length")
        report = verify_chain(self.chain_rows(), int(length) if length is not None else None, self._meta("chain_head"))
        bad = {digest for digest, text in self.conn.execute("SELECT sha256, json FROM verdict_parts")
               if sha256_hex(text) != digest}
        known = {r[0] for r in self.conn.execute("SELECT sha256 FROM verdict_parts")} - bad
        problems = list(report.problems)
        rows = self.conn.execute("SELECT seq, verdict FROM messages WHERE verdict IS NOT NULL UNION ALL "
                                 "SELECT seq, verdict FROM analyses ORDER BY seq")
        for seq, stored in rows:
            refs = json.loads(stored).get("$parts", {})
            missing = sorted(k for k, digest in refs.items() if digest not in known)
            if missing:
                problems.append(ChainProblem(seq, "changed", f"判断的组成部分 {', '.join(missing)} 被修改或删除 / the "
                                             f"verdict's {', '.join(missing)} part was changed or deleted"))
        if len(problems) == len(report.problems):
            return report
        return ChainReport(False, report.count, report.head, tuple(problems))

    # -- cases ---------------------------------------------------------------------------------------
    def _check_status(self, status: str) -> None:
        if status not in self.labels["case_statuses"]:
            known = ", ".join(self.labels["case_statuses"])
            raise EvidenceError(f"未知状态 / unknown status '{status}' (one of {known})")

    def create_case(self, title: str, notes: str = "", message_ids: Iterable[int] = (),
                    status: str = "collecting") -> Case:
        if not title.strip():
            raise EvidenceError("案件需要标题 / a case needs a title")
        self._check_status(status)
        now = _now()
        with self._write():
            cur = self.conn.execute("INSERT INTO cases(title, notes, status, created_at, updated_at) VALUES(?,?,?,?,?)",
                                    (title.strip(), notes, status, now, now))
            case_id = cur.lastrowid
            self.conn.execute("INSERT INTO case_events(case_id, at, status, note) VALUES(?,?,?,?)",
                              (case_id, now, status, ""))
            self._link(case_id, message_ids)
        return self.case(case_id)

    def _link(self, case_id: int, message_ids: Iterable[int]) -> None:
        for seq in message_ids:
            if not self.conn.execute("SELECT 1 FROM messages WHERE seq=?", (seq,)).fetchone():
                raise EvidenceError(f"没有编号为 {seq} 的记录 / no stored message {seq}")
            self.conn.execute("INSERT OR IGNORE INTO case_messages(case_id, seq) VALUES(?, ?)", (case_id, seq))

    def add_to_case(self, case_id: int, message_ids: Iterable[int]) -> Case:
        self.case(case_id)
        with self._write():
            self._link(case_id, message_ids)
            self.conn.execute("UPDATE cases SET updated_at=? WHERE id=?", (_now(), case_id))
        return self.case(case_id)

    def remove_from_case(self, case_id: int, message_ids: Iterable[int]) -> Case:
        self.case(case_id)
        with self._write():
            for seq in message_ids:
                self.conn.execute("DELETE FROM case_messages WHERE case_id=? AND seq=?", (case_id, seq))
        return self.case(case_id)

    def set_case_status(self, case_id: int, status: str, note: str = "", at: str | None = None) -> Case:
        """Move a case on (e.g. complained to the regulator on ``at``); the history is kept."""
        self._check_status(status)
        self.case(case_id)
        when = at or _now()
        with self._write():
            self.conn.execute("UPDATE cases SET status=?, updated_at=? WHERE id=?", (status, _now(), case_id))
            self.conn.execute("INSERT INTO case_events(case_id, at, status, note) VALUES(?,?,?,?)",
                              (case_id, when, status, note))
        return self.case(case_id)

    def update_case(self, case_id: int, title: str | None = None, notes: str | None = None) -> Case:
        self.case(case_id)
        with self._write():
            if title is not None and title.strip():
                self.conn.execute("UPDATE cases SET title=? WHERE id=?", (title.strip(), case_id))
            if notes is not None:
                self.conn.execute("UPDATE cases SET notes=? WHERE id=?", (notes, case_id))
            self.conn.execute("UPDATE cases SET updated_at=? WHERE id=?", (_now(), case_id))
        return self.case(case_id)

    def case(self, case_id: int) -> Case:
        row = self.conn.execute("SELECT id, title, notes, status, created_at, updated_at FROM cases WHERE id=?",
                                (case_id,)).fetchone()
        if row is None:
            raise EvidenceError(f"没有编号为 {case_id} 的案件 / no case {case_id}")
        ids = [r[0] for r in self.conn.execute("SELECT seq FROM case_messages WHERE case_id=? ORDER BY seq",
                                               (case_id,))]
        events = [{"at": a, "status": s, "note": n} for a, s, n in
                  self.conn.execute("SELECT at, status, note FROM case_events WHERE case_id=? ORDER BY id", (case_id,))]
        return Case(*row, message_ids=ids, events=events)

    def cases(self) -> list[Case]:
        return [self.case(r[0]) for r in self.conn.execute("SELECT id FROM cases ORDER BY id")]

    def group_ids(self, *, platform: str | None = None, sender: str | None = None,
                  person: str | None = None) -> list[int]:
        """Messages naming a platform or a person (as found by the analyser), or from a sender."""
        ids = []
        for m in self.messages(sender=sender):
            entities = (m.verdict or {}).get("entities", {})
            if platform and not any(platform in (p.get("text") or "") or platform == p.get("id")
                                    for p in entities.get("platforms", [])):
                continue
            if person and not any(person in (p.get("text") or "") for p in entities.get("persons", [])):
                continue
            ids.append(m.seq)
        return ids

    # -- corrections ---------------------------------------------------------------------------------
    def add_feedback(self, seq: int, kind: str, flags: Sequence[str] = ()) -> StoredMessage:
        """Record a correction for a stored message, here and in the personal corrections used by
        ``anning train --personal``. The stored verdict and the chain are left as they were."""
        from anning.knowledge import load_knowledge
        from anning.personal import PersonalError, PersonalStore

        m = self.message(seq)
        k = load_knowledge()
        try:
            PersonalStore().add_feedback(m.text, kind, list(flags), list(k.kind_labels), list(k.flag_labels),
                                         m.sender, m.received_at)
        except PersonalError as exc:
            raise EvidenceError(str(exc)) from exc
        with self._write():
            self.conn.execute("INSERT INTO feedback(seq, kind, flags, at) VALUES(?,?,?,?)",
                              (seq, kind, canonical_json(sorted(set(flags))), _now()))
        return self.message(seq)

    # -- re-analysis ---------------------------------------------------------------------------------
    def reanalyse(self, seqs: Iterable[int] | None = None, *, jobs: int = 1, engine=None,
                  on_progress: Callable[[int], None] | None = None) -> ReanalysisSummary:
        """Judge stored messages again with this engine and knowledge (all, or ``seqs``), and keep every
        verdict that differs from the current one. The verdict stored on import stays in the chain; the
        new one is shown from now on. A verdict equal to the imported one removes the re-analysis."""
        summary = ReanalysisSummary()
        wanted = None if seqs is None else sorted(set(seqs))
        if wanted is not None:
            for seq in wanted:
                self.message(seq)  # an unknown number is an error before anything is done
        with Analyser(jobs=jobs, engine=engine) as analyser:
            pending = None  # the previous chunk is stored while workers analyse the next one
            for chunk in self._reanalysis_chunks(wanted):
                records = [RawRecord(r.record_type, r.text, r.sender, r.received_at, "in", "", "") for r in chunk]
                job = analyser.submit(records, [r.received_at for r in chunk])
                if pending:
                    self._store_analyses(*pending, summary, on_progress)
                pending = (chunk, job)
            if pending:
                self._store_analyses(*pending, summary, on_progress)
        return summary

    def _reanalysis_chunks(self, wanted: list[int] | None) -> Iterator[list[_Judged]]:
        """Messages in chain order, a commit's worth at a time, with their current and imported verdicts
        as stored (compact JSON)."""
        select = ("SELECT m.seq, m.record_type, m.text, m.sender, m.received_at, COALESCE(a.kind, m.kind), "
                  f"COALESCE(a.risk, m.risk), COALESCE(a.verdict, m.verdict), m.verdict FROM {_FROM} WHERE ")
        after = 0
        while True:
            if wanted is None:
                rows = self.conn.execute(select + "m.seq > ? ORDER BY m.seq LIMIT ?", (after, COMMIT_EVERY))
            else:
                ids = [s for s in wanted if s > after][:COMMIT_EVERY]
                rows = self.conn.execute(select + f"m.seq IN ({', '.join('?' * len(ids))}) ORDER BY m.seq", ids)
            chunk = [_Judged(*row) for row in rows]
            if not chunk:
                return
            after = chunk[-1].seq
            yield chunk

    def _store_analyses(self, chunk: list[_Judged], job: Callable[[], list[dict[str, Any] | None]],
                        summary: ReanalysisSummary, on_progress: Callable[[int], None] | None) -> None:
        verdicts = job()
        now = _now()
        with self._write():
            for m, verdict in zip(chunk, verdicts, strict=True):
                if verdict is None:  # a call, an empty text: nothing to judge
                    continue
                summary.checked += 1
                compact, parts = compact_verdict(verdict)
                judgement = _judgement(compact)
                if m.current is not None and judgement == _judgement(m.current):
                    continue
                summary.record(m.seq, m.kind, m.risk, verdict)
                if m.imported is not None and judgement == _judgement(m.imported):
                    self.conn.execute("DELETE FROM analyses WHERE seq=?", (m.seq,))
                    continue
                self.conn.executemany("INSERT OR IGNORE INTO verdict_parts(sha256, json) VALUES(?, ?)", parts.items())
                self.conn.execute(
                    f"INSERT OR REPLACE INTO analyses(seq, {', '.join(ANALYSIS_COLUMNS)}) VALUES(?{', ?' * 7})",
                    (m.seq, now, verdict["kind"], verdict["risk"], canonical_json(verdict.get("flags", [])), compact,
                     verdict.get("engine_version"), verdict.get("knowledge_version")))
        if on_progress:
            on_progress(len(chunk))

    def stats(self) -> dict[str, Any]:
        row = self.conn.execute("SELECT count(*), min(received_at), max(received_at), count(DISTINCT sender) "
                                "FROM messages").fetchone()
        return {"messages": row[0], "first": row[1], "last": row[2], "senders": row[3],
                "cases": self.conn.execute("SELECT count(*) FROM cases").fetchone()[0], "head": self.head,
                "schema_version": self.schema_version(), "path": str(self.path)}


class _Transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


class _Judged(NamedTuple):
    """A stored message as re-analysis reads it: what to analyse, and its verdicts as stored."""

    seq: int
    record_type: str
    text: str
    sender: str | None
    received_at: str | None
    kind: str | None
    risk: int | None
    current: str | None  # compact verdict JSON: the latest re-analysis, else the imported one
    imported: str | None


def _judgement(compact: str) -> str:
    """What a stored (compact) verdict says, whichever engine and knowledge versions said it."""
    verdict = json.loads(compact)
    verdict.pop("engine_version", None)
    verdict.pop("knowledge_version", None)
    return canonical_json(verdict)


def _bound(value: str, end: bool) -> str:
    value = value.strip()
    if len(value) == 10:  # a date: from its start, or up to the next day's start
        from datetime import date, timedelta

        day = date.fromisoformat(value)
        if end:
            day += timedelta(days=1)
        return day.isoformat() + "T00:00:00+08:00"
    return _china_iso(value) or value


def _chunks(items: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    chunk: list[RawRecord] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
