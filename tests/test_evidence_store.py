"""The evidence store on a real SQLite file: chain, tampering, cases, filters, corrections, concurrency."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from anning.evidence.chain import GENESIS, ChainRow, link_hash, verify_chain
from anning.evidence.store import MIGRATIONS, EvidenceError, EvidenceStore

MESSAGES = [
    ("【分期金融】刘某某，你欠款3210元已逾期15天，再不还款今日派人上门，通知你的紧急联系人和单位", "10690000121",
     "2026-11-11T23:15:00+08:00"),
    ("你好，你的朋友王某某在我司借款逾期，你是他的紧急联系人，请转告他尽快还款，否则后果自负", "17012345678",
     "2026-11-12T07:30:00+08:00"),
    ("【最高人民法院】你的网贷已被立案，请立即将欠款转入安全账户6222021234567890123，否则冻结名下资产",
     "+8613912345678", "2026-11-12T12:00:00+08:00"),
    ("征信修复，停息挂账，专业反催收，加V：hx12345", "13800001111", "2026-11-13T10:00:00+08:00"),
    ("妈，我晚上回家吃饭", "13900002222", "2026-11-13T18:00:00+08:00"),
    ("【分期金融】刘某某，今天是最后期限，逾期将上报征信并联系你的通讯录", "10690000121", "2026-11-14T22:40:00+08:00"),
]


@pytest.fixture()
def filled(tmp_path, engine) -> EvidenceStore:
    store = EvidenceStore.open(tmp_path / "evidence.db")
    for text, sender, at in MESSAGES:
        store.add_message(text, sender, at, engine=engine)
    yield store
    store.close()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# -- the chain on its own ------------------------------------------------------------------------------
def _chain(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        payload = json.dumps({"text": f"message {i}"})
        h = link_hash(prev, payload)
        rows.append(ChainRow(i, prev, h, payload))
        prev = h
    return rows


def test_intact_chain_verifies():
    rows = _chain(5)
    report = verify_chain(rows, 5, rows[-1].hash)
    assert report.ok and report.count == 5 and report.head == rows[-1].hash


@pytest.mark.parametrize("tamper, kind, seq", [
    (lambda r: [r[0], r[1], ChainRow(3, r[2].prev_hash, r[2].hash, r[2].payload.replace("3", "9")), r[3], r[4]],
     "changed", 3),
    (lambda r: [r[0], r[1], r[3], r[4]], "removed", 4),
    (lambda r: [r[0], r[2], r[1], r[3], r[4]], "reordered", 3),
    (lambda r: [r[0], r[1], ChainRow(99, r[1].hash, link_hash(r[1].hash, "{}"), "{}"), *r[2:]], "inserted", 99),
])
def test_each_kind_of_break_is_named(tamper, kind, seq):
    rows = _chain(5)
    report = verify_chain(tamper(rows))
    assert not report.ok
    assert (seq, kind) in [(p.seq, p.problem) for p in report.problems]


def test_records_cut_from_the_end_are_caught_by_the_recorded_length():
    rows = _chain(5)
    report = verify_chain(rows[:3], 5, rows[-1].hash)
    assert not report.ok and report.problems[0].problem == "truncated"


# -- the store -----------------------------------------------------------------------------------------
def test_store_keeps_messages_with_verdicts_and_a_valid_chain(filled):
    stored = filled.messages()
    assert [m.text for m in stored] == [t for t, _, _ in MESSAGES]
    assert stored[0].kind == "collection_notice" and "night_contact" in stored[0].flags
    assert stored[2].kind == "fake_collection"
    assert stored[4].kind == "other"
    assert all(m.engine_version and m.knowledge_version for m in stored)
    assert stored[0].prev_hash == GENESIS and stored[1].prev_hash == stored[0].hash
    report = filled.verify()
    assert report.ok and report.count == len(MESSAGES) and report.head == filled.head


def test_the_same_message_is_stored_once(filled, engine):
    text, sender, at = MESSAGES[0]
    again = filled.add_message(text, "+86 " + sender, at, engine=engine)
    assert again.seq == 1
    assert filled.count() == len(MESSAGES)


def test_filters(filled):
    assert {m.seq for m in filled.messages(sender="10690000121")} == {1, 6}
    assert [m.seq for m in filled.messages(kind="fake_collection")] == [3]
    assert {m.seq for m in filled.messages(flag="night_contact")} >= {1, 6}
    assert [m.seq for m in filled.messages(since="2026-11-13", until="2026-11-13")] == [4, 5]
    assert [m.seq for m in filled.messages(text="安全账户")] == [3]  # trigram full-text search
    assert [m.seq for m in filled.messages(text="吃饭")] == [5]  # two characters: substring search
    assert filled.count(kind="collection_notice") == len(filled.messages(kind="collection_notice"))
    assert [m.seq for m in filled.messages(limit=2, offset=1)] == [2, 3]


def test_cases_group_messages_and_keep_their_history(filled):
    ids = filled.group_ids(platform="分期金融")
    assert ids == [1, 6]
    case = filled.create_case("分期金融 催收", "借款人是刘某某", ids)
    assert case.status == "collecting" and case.message_ids == [1, 6]
    filled.add_to_case(case.id, [2])
    case = filled.set_case_status(case.id, "complained_regulator", "12378 受理编号 A1", at="2026-11-20")
    assert case.status == "complained_regulator"
    assert [e["status"] for e in case.events] == ["collecting", "complained_regulator"]
    assert case.events[1]["at"] == "2026-11-20" and "A1" in case.events[1]["note"]
    assert [m.seq for m in filled.messages(case_id=case.id)] == [1, 2, 6]
    filled.remove_from_case(case.id, [2])
    assert filled.case(case.id).message_ids == [1, 6]
    with pytest.raises(EvidenceError, match="unknown status"):
        filled.set_case_status(case.id, "done")
    with pytest.raises(EvidenceError, match="no case"):
        filled.case(42)
    with pytest.raises(EvidenceError, match="no stored message"):
        filled.add_to_case(case.id, [999])


def test_a_correction_is_recorded_without_touching_the_chain(filled, isolated_home):
    head = filled.head
    corrected = filled.add_feedback(5, "other")
    assert corrected.corrected_kind == "other" and corrected.kind == "other"
    filled.add_feedback(4, "fake_collection", ["impersonation"])
    assert filled.message(4).corrected_kind == "fake_collection"
    assert filled.head == head and filled.verify().ok
    lines = (isolated_home / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line)["text"] == MESSAGES[3][0] for line in lines)
    with pytest.raises(EvidenceError, match="unknown kind"):
        filled.add_feedback(4, "nonsense")


# -- tampering with the SQLite file directly -------------------------------------------------------------
def test_verify_catches_a_changed_byte(filled):
    path = filled.path
    with _raw(path) as db:
        db.execute("UPDATE messages SET text = replace(text, '3210', '3219') WHERE seq = 1")
    report = EvidenceStore.open(path).verify()
    assert not report.ok
    assert [(p.seq, p.problem) for p in report.problems] == [(1, "changed")]


def test_verify_catches_a_changed_verdict(filled):
    with _raw(filled.path) as db:
        db.execute("UPDATE messages SET kind = 'other' WHERE seq = 3")
    assert [(p.seq, p.problem) for p in EvidenceStore.open(filled.path).verify().problems] == [(3, "changed")]


def test_verify_catches_a_deleted_row(filled):
    with _raw(filled.path) as db:
        db.execute("DELETE FROM messages WHERE seq = 3")
    report = EvidenceStore.open(filled.path).verify()
    assert [(p.seq, p.problem) for p in report.problems] == [(4, "removed")]
    assert "3" in report.problems[0].detail


def test_verify_catches_the_last_row_deleted(filled):
    with _raw(filled.path) as db:
        db.execute("DELETE FROM messages WHERE seq = 6")
    problems = EvidenceStore.open(filled.path).verify().problems
    assert [p.problem for p in problems] == ["truncated"]


def test_verify_catches_two_swapped_rows(filled):
    columns = [r[1] for r in _raw(filled.path).execute("PRAGMA table_info(messages)") if r[1] != "seq"]
    with _raw(filled.path) as db:
        a = db.execute(f"SELECT {', '.join(columns)} FROM messages WHERE seq = 2").fetchone()
        b = db.execute(f"SELECT {', '.join(columns)} FROM messages WHERE seq = 3").fetchone()
        db.execute("UPDATE messages SET dedupe_key = 'x' WHERE seq = 2")
        for seq, row in ((3, a), (2, b)):
            db.execute(f"UPDATE messages SET {', '.join(c + ' = ?' for c in columns)} WHERE seq = ?", (*row, seq))
    report = EvidenceStore.open(filled.path).verify()
    assert not report.ok
    assert {p.problem for p in report.problems} == {"reordered"}
    assert {p.seq for p in report.problems} <= {2, 3, 4}


def test_verify_catches_an_inserted_row_even_with_a_correct_hash(filled):
    """A forger who knows the hash rule inserts a record in the middle and renumbers the rest."""
    from anning.evidence.store import MESSAGE_COLUMNS, payload

    with _raw(filled.path) as db:
        for seq in range(6, 2, -1):
            db.execute("UPDATE messages SET seq = seq + 1 WHERE seq = ?", (seq,))
        row = dict(zip(MESSAGE_COLUMNS, db.execute("SELECT * FROM messages WHERE seq = 2").fetchone(), strict=True))
        forged = dict(row, seq=3, text="刘某某已结清全部欠款", dedupe_key="forged", prev_hash=row["hash"])
        forged["hash"] = link_hash(row["hash"], payload(forged))
        db.execute(f"INSERT INTO messages VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})",
                   [forged[c] for c in MESSAGE_COLUMNS])
    problems = EvidenceStore.open(filled.path).verify().problems
    assert (3, "inserted") in [(p.seq, p.problem) for p in problems]
    assert "changed" not in {p.problem for p in problems}


def test_verify_catches_a_rewritten_record_with_a_recomputed_hash(filled):
    from anning.evidence.store import MESSAGE_COLUMNS, payload

    with _raw(filled.path) as db:
        row = dict(zip(MESSAGE_COLUMNS, db.execute("SELECT * FROM messages WHERE seq = 3").fetchone(), strict=True))
        row["text"] = row["text"].replace("安全账户", "还款账户")
        new_hash = link_hash(row["prev_hash"], payload(row))
        db.execute("UPDATE messages SET text = ?, hash = ? WHERE seq = 3", (row["text"], new_hash))
    problems = EvidenceStore.open(filled.path).verify().problems
    assert [(p.seq, p.problem) for p in problems] == [(4, "removed")]
    assert "recomputed" in problems[0].detail


def test_cli_verify_exit_code(filled, cli):
    ok = cli("evidence", "verify", "--db", str(filled.path))
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    with _raw(filled.path) as db:
        db.execute("UPDATE messages SET sender = '10690000000' WHERE seq = 2")
    broken = cli("evidence", "verify", "--db", str(filled.path), "--json")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["problems"][0] == {"seq": 2, "problem": "changed",
                                                        "detail": json.loads(broken.stdout)["problems"][0]["detail"]}


# -- opening ---------------------------------------------------------------------------------------------
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "other.db"
    with _raw(other) as db:
        db.execute("CREATE TABLE t(x)")
    before = other.read_bytes()
    with pytest.raises(EvidenceError, match="not an anning evidence database"):
        EvidenceStore.open(other)
    assert other.read_bytes() == before
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(EvidenceError):
        EvidenceStore.open(junk)
    with pytest.raises(EvidenceError, match="directory"):
        EvidenceStore.open(tmp_path)


def test_schema_version_and_wal(tmp_path):
    store = EvidenceStore.open(tmp_path / "e.db")
    assert store.schema_version() == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    with _raw(tmp_path / "e.db") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(EvidenceError, match="newer"):
        EvidenceStore.open(tmp_path / "e.db")


# -- concurrency -----------------------------------------------------------------------------------------
def test_concurrent_writers_keep_one_linear_chain(tmp_path, engine):
    path = tmp_path / "shared.db"
    EvidenceStore.open(path).close()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            store = EvidenceStore.open(path)
            for i in range(15):
                store.add_message(f"【分期金融】第{n}号写入者的第{i}条：你欠款{100 + i}元已逾期", f"1069000{n:04d}",
                                  f"2026-11-1{n}T10:{i:02d}:00+08:00", engine=engine)
            store.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store = EvidenceStore.open(path)
    assert store.count() == 45
    assert store.verify().ok


def test_repeated_verdict_parts_are_stored_once_and_checked(filled):
    parts = filled.conn.execute("SELECT count(*) FROM verdict_parts").fetchone()[0]
    assert parts < 3 * len(MESSAGES)  # shared scenarios/steps are stored once
    full = filled.message(1).verdict
    assert full["violations"] and full["actions"] and full["scenario"]  # reassembled when read
    digest = json.loads(filled.conn.execute("SELECT verdict FROM messages WHERE seq = 1").fetchone()[0])["$parts"][
        "violations"]
    with _raw(filled.path) as db:
        db.execute("UPDATE verdict_parts SET json = replace(json, '民法典', '民 法典') WHERE sha256 = ?", (digest,))
    report = EvidenceStore.open(filled.path).verify()
    assert not report.ok
    assert 1 in {p.seq for p in report.problems if p.problem == "changed" and "violations" in p.detail}
