"""Importing real export files into a real store: summaries, duplicates, tampering, bad input, kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from anning.evidence.records import ImportFormatError
from anning.evidence.store import EvidenceStore
from evidence_fixtures import generate_messages, write_android_xml, write_csv, write_ios_sms_db

ANNING = Path(sys.executable).parent / "anning"
CALLS = [
    {"number": "10690000121", "received_at": "2026-11-11T23:20:00+08:00", "duration": 0, "type": 3},
    {"number": "17012345678", "received_at": "2026-11-12T07:45:00+08:00", "duration": 41, "type": 1},
]


@pytest.fixture(scope="module")
def messages():
    return generate_messages(60, seed=7)


@pytest.fixture()
def store(tmp_path):
    s = EvidenceStore.open(tmp_path / "evidence.db")
    yield s
    s.close()


def _columns(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[1] for r in conn.execute("PRAGMA table_info(messages)")]


def test_android_xml_with_calls_is_imported_chained_and_deduplicated(tmp_path, store, messages, engine):
    xml = write_android_xml(tmp_path / "sms.xml", messages, calls=CALLS)
    summary = store.import_file(xml, engine=engine)
    assert (summary.format, summary.read, summary.new, summary.duplicates, summary.rejected, summary.error) == \
        ("android-xml", 62, 62, 0, 0, None)
    stored = store.messages()
    assert [m.text for m in stored if m.record_type == "sms"] == [m["text"] for m in messages]
    calls = store.messages(record_type="call")
    assert len(calls) == 2 and calls[1].duration_s == 41 and calls[0].verdict is None
    assert all(m.received_at.endswith("+08:00") for m in stored)
    assert {m.kind for m in stored if m.record_type == "sms"} >= {"collection_notice", "other"}
    assert store.verify().ok

    again = store.import_file(xml, engine=engine)
    assert (again.new, again.duplicates) == (0, 62)
    overlapping = write_android_xml(tmp_path / "later.xml", messages[30:] + generate_messages(5, seed=99))
    later = store.import_file(overlapping, engine=engine)
    assert (later.new, later.duplicates) == (5, 30)
    assert store.count() == 67 and store.verify().ok
    assert [i["status"] for i in store.imports()] == ["complete"] * 3


def test_ios_sms_db_is_imported_read_only(tmp_path, store, messages, engine):
    db = write_ios_sms_db(tmp_path / "sms.db", messages[:20])
    before = db.read_bytes()
    summary = store.import_file(db, engine=engine)
    assert (summary.format, summary.new, summary.rejected) == ("ios-sms.db", 20, 0)
    assert db.read_bytes() == before
    stored = store.messages()
    assert sorted(m.text for m in stored) == sorted(m["text"] for m in messages[:20])
    assert store.verify().ok


def test_csv_with_a_column_map(tmp_path, store, messages, engine):
    path = write_csv(tmp_path / "export.csv", messages[:5], headers={"text": "短信正文", "sender": "对方号码",
                                                                      "received_at": "收到时间"})
    summary = store.import_file(path, mapping={"text": "短信正文", "sender": "对方号码", "received_at": "收到时间"},
                                engine=engine)
    assert summary.new == 5
    assert store.messages()[0].sender


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE messages SET text = substr(text, 1, 3) || 'X' || substr(text, 5) WHERE seq = 10", [(10, "changed")]),
    ("DELETE FROM messages WHERE seq = 10", [(11, "removed")]),
    ("swap", "reordered"),
])
def test_tampering_with_the_sqlite_file_after_an_import(tmp_path, messages, engine, tamper, expected):
    path = tmp_path / "evidence.db"
    with EvidenceStore.open(path) as store:
        store.import_file(write_android_xml(tmp_path / "sms.xml", messages), engine=engine)
        assert store.verify().ok
    columns = [c for c in _columns(path) if c != "seq"]
    with sqlite3.connect(path, isolation_level=None) as conn:
        if tamper == "swap":
            a = conn.execute(f"SELECT {', '.join(columns)} FROM messages WHERE seq = 20").fetchone()
            b = conn.execute(f"SELECT {', '.join(columns)} FROM messages WHERE seq = 21").fetchone()
            conn.execute("UPDATE messages SET dedupe_key = 'tmp' WHERE seq = 20")
            for seq, row in ((21, a), (20, b)):
                conn.execute(f"UPDATE messages SET {', '.join(c + ' = ?' for c in columns)} WHERE seq = ?",
                             (*row, seq))
        else:
            conn.execute(tamper)
    with EvidenceStore.open(path) as store:
        report = store.verify()
    assert not report.ok
    if tamper == "swap":
        assert {p.problem for p in report.problems} == {"reordered"}
        assert {p.seq for p in report.problems} & {20, 21}
    else:
        assert [(p.seq, p.problem) for p in report.problems] == expected
    done = subprocess.run([str(ANNING), "evidence", "verify", "--db", str(path)], capture_output=True, text=True)
    assert done.returncode == 1


# -- bad input ---------------------------------------------------------------------------------------------
def _bad_files(tmp_path: Path, messages) -> dict[str, Path]:
    good = write_android_xml(tmp_path / "good.xml", messages[:10]).read_bytes()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    files = {
        "empty": tmp_path / "empty.xml",
        "directory": tmp_path / "folder",
        "bomb": tmp_path / "bomb.xml",
        "external": tmp_path / "xxe.xml",
        "wrong-encoding": tmp_path / "gbk.jsonl",
        "csv-missing-columns": tmp_path / "cols.csv",
        "binary": tmp_path / "photo.xml",
    }
    files["empty"].write_bytes(b"")
    files["directory"].mkdir()
    files["bomb"].write_text('<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY a "aaaaaaaaaa">'
                             '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                             '<smses count="1"><sms address="1" date="1" type="1" body="&c;" /></smses>')
    files["external"].write_text(f'<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY x SYSTEM "file://{secret}">]>'
                                 '<smses count="1"><sms address="1" date="1" type="1" body="&x;" /></smses>')
    files["wrong-encoding"].write_bytes(b'{"text": "\x80\xff\xfe"}\n')  # neither UTF-8 nor GB18030
    files["csv-missing-columns"].write_text("号码,时间\n10690000121,2026-11-11 23:15\n", encoding="utf-8")
    files["binary"].write_bytes(bytes(range(256)) * 20)
    assert good
    return files


@pytest.mark.parametrize("case", ["empty", "directory", "bomb", "external", "wrong-encoding",
                                  "csv-missing-columns", "binary"])
def test_bad_files_are_refused_clearly_and_change_nothing(tmp_path, store, messages, engine, case):
    store.import_file(write_android_xml(tmp_path / "first.xml", messages[:5]), engine=engine)
    head, count = store.head, store.count()
    path = _bad_files(tmp_path, messages)[case]
    try:
        summary = store.import_file(path, engine=engine)
    except ImportFormatError as exc:
        message = str(exc)
    else:
        assert summary.error, summary
        assert summary.new == 0
        message = summary.error
    assert " / " in message  # Chinese first, then English
    assert "TOP-SECRET-CONTENT" not in message
    assert store.head == head and store.count() == count and store.verify().ok
    assert all("TOP-SECRET" not in m.text for m in store.messages())


def test_truncated_xml_keeps_every_whole_message_before_the_break(tmp_path, store, messages, engine):
    data = write_android_xml(tmp_path / "full.xml", messages).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) * 2 // 3])
    summary = store.import_file(cut, engine=engine)
    assert summary.error and summary.new > 0
    kept = [m.text for m in store.messages()]
    assert kept == [m["text"] for m in messages[: len(kept)]]
    assert store.verify().ok
    assert store.imports()[-1]["status"] == "broken"
    rest = store.import_file(write_android_xml(tmp_path / "full.xml", messages), engine=engine)
    assert rest.new == len(messages) - len(kept) and store.count() == len(messages)


def test_cli_import_summary_and_exit_codes(tmp_path, messages):
    db = tmp_path / "e.db"
    xml = write_android_xml(tmp_path / "sms.xml", messages[:8])
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    ok = subprocess.run([str(ANNING), "evidence", "import", str(xml), "--db", str(db), "--jobs", "1",
                         "--json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["new"] == 8
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    bad = subprocess.run([str(ANNING), "evidence", "import", str(empty), "--db", str(db)], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 1 and "empty" in bad.stderr and "Traceback" not in bad.stderr


# -- crash safety and concurrency ------------------------------------------------------------------------
def test_kill_9_mid_import_leaves_only_whole_committed_messages(tmp_path):
    messages = generate_messages(1500, seed=11)
    xml = write_android_xml(tmp_path / "big.xml", messages)
    db = tmp_path / "e.db"
    EvidenceStore.open(db).close()
    proc = subprocess.Popen([str(ANNING), "evidence", "import", str(xml), "--db", str(db), "--jobs", "1",
                             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with sqlite3.connect(db) as conn:
            seen = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        if seen >= 500:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with EvidenceStore.open(db) as store:
        count = store.count()
        assert 500 <= count < 1500 and count % 500 == 0  # whole commits only
        assert store.verify().ok
        assert [m.text for m in store.messages()] == [m["text"] for m in messages[:count]]
        assert store.imports()[-1]["status"] == "running"  # the killed run is visible as unfinished
        rest = store.import_file(xml)
        assert (rest.new, rest.duplicates) == (1500 - count, count)
        assert store.count() == 1500 and store.verify().ok


def test_cli_import_while_others_add_messages(tmp_path, engine):
    db = tmp_path / "e.db"
    EvidenceStore.open(db).close()
    xml = write_android_xml(tmp_path / "sms.xml", generate_messages(1200, seed=5))
    proc = subprocess.Popen([str(ANNING), "evidence", "import", str(xml), "--db", str(db), "--jobs", "1",
                             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    errors: list[BaseException] = []

    def tab(n: int) -> None:  # like a browser tab keeping checked messages as evidence
        try:
            with EvidenceStore.open(db) as store:
                for i in range(20):
                    store.add_message(f"浏览器标签{n}保存的第{i}条：你欠款{i + 100}元", f"1380000{n:04d}",
                                      engine=engine)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    tabs = [threading.Thread(target=tab, args=(n,)) for n in (1, 2)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join()
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    assert not errors
    with EvidenceStore.open(db) as store:
        assert store.count() == 1200 + 40
        assert store.verify().ok
