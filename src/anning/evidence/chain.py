"""The hash chain that makes the evidence log tamper-evident.

Each stored record has a *payload*: a canonical JSON string of its content (see ``payload``). Its
hash is ``sha256(prev_hash + "\\n" + payload)`` as lowercase hex, where ``prev_hash`` is the hash of
the record before it and ``GENESIS`` (64 zeros) for the first. Changing, removing, inserting or
reordering any record breaks the chain at that point; ``verify_chain`` says where and how.

The same rules are written out for lawyers and officers in the evidence package's README, with a
short script that checks them using only Python's standard library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
CHAIN_VERSION = 1


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 characters kept as they are: one text per value."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, payload: str) -> str:
    return sha256_hex(prev_hash + "\n" + payload)


@dataclass(frozen=True)
class ChainRow:
    """A record as stored: its position, the hashes kept beside it and the payload rebuilt from it."""

    seq: int
    prev_hash: str
    hash: str
    payload: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str  # changed | removed | inserted | reordered | truncated | head
    detail: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head: str
    problems: tuple[ChainProblem, ...]


def verify_chain(rows: Iterable[ChainRow], expected_count: int | None = None,
                 expected_head: str | None = None) -> ChainReport:
    """Re-walk the chain in ``seq`` order and describe every break.

    ``expected_count`` / ``expected_head`` are what the store recorded after its last write; they
    reveal records removed from the end, which no link inside the chain can show.
    """
    rows = list(rows)
    problems: list[ChainProblem] = []
    by_hash = {r.hash: i for i, r in enumerate(rows)}
    referenced = {r.prev_hash for r in rows}
    removed_in_gaps = 0
    for i, row in enumerate(rows):
        if link_hash(row.prev_hash, row.payload) != row.hash:
            problems.append(ChainProblem(row.seq, "changed",
                                         "内容与记录的哈希不符（记录被修改过）/ content does not match its hash "
                                         "(the record was modified)"))
        expected_prev = rows[i - 1].hash if i else GENESIS
        if row.prev_hash == expected_prev:
            continue
        gap = i > 0 and row.seq != rows[i - 1].seq + 1
        j = by_hash.get(row.prev_hash)
        if j is not None and j > i:
            problems.append(ChainProblem(row.seq, "reordered",
                                         f"本应排在第 {rows[j].seq} 条之后（顺序被调换）/ should follow record "
                                         f"{rows[j].seq} (records were reordered)"))
        elif j is not None and j < i - 1:
            between = [r for r in rows[j + 1:i] if r.hash not in referenced]
            moved = [r for r in rows[j + 1:i] if r.hash in referenced]
            if between:
                seqs = ", ".join(str(r.seq) for r in between)
                problems.append(ChainProblem(between[0].seq, "inserted",
                                             f"第 {seqs} 条不在原链条上（被插入）/ record(s) {seqs} are not part of "
                                             "the original chain (inserted)"))
            if moved:
                problems.append(ChainProblem(row.seq, "reordered",
                                             f"本应紧跟第 {rows[j].seq} 条（顺序被调换）/ should directly follow "
                                             f"record {rows[j].seq} (records were reordered)"))
        elif gap:
            first, last = rows[i - 1].seq + 1, row.seq - 1
            removed_in_gaps += last - first + 1
            which = f"{first}" if first == last else f"{first}–{last}"
            problems.append(ChainProblem(row.seq, "removed",
                                         f"第 {which} 条被删除 / record(s) {which} were deleted"))
        elif i == 0:
            problems.append(ChainProblem(row.seq, "removed",
                                         "链条开头的记录被删除 / records at the start of the chain were deleted"))
        else:
            problems.append(ChainProblem(row.seq, "removed",
                                         "前一条记录不在链条中：它被删除，或被改写后重新计算了哈希 / the record before "
                                         "this one is missing: deleted, or rewritten with a recomputed hash"))
    head = rows[-1].hash if rows else GENESIS
    if expected_count is not None and expected_count != len(rows) + removed_in_gaps:
        last = rows[-1].seq if rows else 0
        kind = "truncated" if expected_count > len(rows) + removed_in_gaps else "inserted"
        problems.append(ChainProblem(last, kind,
                                     f"登记的记录数为 {expected_count}，实际为 {len(rows)} / the store recorded "
                                     f"{expected_count} records, {len(rows)} are present"))
    if expected_head is not None and expected_head != head and not problems:
        problems.append(ChainProblem(rows[-1].seq if rows else 0, "head",
                                     "链条末端与登记的不符（末尾记录被删除或替换）/ the chain head differs from "
                                     "the recorded one (last records deleted or replaced)"))
    return ChainReport(not problems, len(rows), head, tuple(problems))
