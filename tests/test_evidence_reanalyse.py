"""Re-analysing stored evidence with a newer engine: the new verdict is shown, the imported one stays in the
chain, the package still verifies, and stores made before re-analysis existed are upgraded in place."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import warnings

import pytest

from anning.engine import Engine
from anning.evidence.report import build_package
from anning.evidence.store import MIGRATIONS, EvidenceError, EvidenceStore
from anning.personal import PersonalStore

STALE_SENDER = "10690000777"
MESSAGES = [
    ("【最高人民法院】你的网贷已被立案，请立即将欠款转入安全账户6222021234567890123，否则冻结名下资产",
     STALE_SENDER, "2026-03-02T23:15:00+08:00"),
    ("你好，你的朋友王某某在我司借款逾期，你是他的紧急联系人，请转告他尽快还款，否则后果自负", STALE_SENDER,
     "2026-03-03T09:30:00+08:00"),
    ("妈，我晚上回家吃饭", "13900002222", "2026-03-03T18:00:00+08:00"),
]


@pytest.fixture()
def stale_engine(tmp_path, knowledge):
    """An engine that judged wrongly: a personal rule (as a buggy older version might) calls everything from
    one sender ordinary."""
    personal = PersonalStore(tmp_path / "personal")
    personal.add_rule("other", list(knowledge.kind_labels), [], list(knowledge.flag_labels), sender=STALE_SENDER)
    return Engine(personal=personal)


@pytest.fixture()
def stale_store(tmp_path, stale_engine):
    store = EvidenceStore.open(tmp_path / "evidence.db")
    for text, sender, at in MESSAGES:
        store.add_message(text, sender, at, engine=stale_engine)
    yield store
    store.close()


def test_reanalysis_shows_the_new_verdict_and_keeps_the_imported_one_in_the_chain(stale_store, engine):
    before = {m.seq: m for m in stale_store.messages()}
    assert [m.kind for m in before.values()] == ["other", "other", "other"]
    head = stale_store.head

    summary = stale_store.reanalyse(engine=engine)

    assert summary.checked == 3
    assert summary.updated == 2  # the personal message was judged the same
    assert summary.kind_changes == {("other", "fake_collection"): [1], ("other", "third_party_contact"): [2]}
    scam = stale_store.message(1)
    assert scam.kind == "fake_collection" and scam.verdict["kind"] == "fake_collection"
    assert "payment_redirect" in scam.flags and scam.risk > before[1].risk
    assert scam.reanalysed_at is not None
    assert scam.imported["kind"] == "other" and scam.imported["verdict"] == before[1].verdict
    was = before[1]
    assert scam.imported == {"kind": was.kind, "risk": was.risk, "flags": was.flags, "verdict": was.verdict,
                             "engine_version": was.engine_version, "knowledge_version": was.knowledge_version}
    untouched = stale_store.message(3)
    assert untouched.imported is None and untouched.reanalysed_at is None
    # the chain is exactly as it was, and still verifies
    assert stale_store.head == head
    assert stale_store.verify().ok
    # filters and counts read the current verdict
    assert [m.seq for m in stale_store.messages(kind="fake_collection")] == [1]
    assert stale_store.count(kind="other") == 1
    assert [m.seq for m in stale_store.messages(flag="payment_redirect")] == [1]


def test_reanalysis_is_idempotent_and_an_equal_verdict_undoes_it(stale_store, engine, stale_engine):
    stale_store.reanalyse(engine=engine)
    again = stale_store.reanalyse(engine=engine)
    assert (again.checked, again.updated, again.kind_changes) == (3, 0, {})
    back = stale_store.reanalyse(engine=stale_engine)  # the old judgement again: nothing left to show
    assert back.updated == 2
    assert all(m.imported is None and m.kind == "other" for m in stale_store.messages())
    assert stale_store.conn.execute("SELECT count(*) FROM analyses").fetchone()[0] == 0


def test_only_the_chosen_records_are_reanalysed(stale_store, engine):
    summary = stale_store.reanalyse([2], engine=engine)
    assert summary.checked == 1 and summary.kind_changes == {("other", "third_party_contact"): [2]}
    assert stale_store.message(1).kind == "other"
    with pytest.raises(EvidenceError):
        stale_store.reanalyse([99], engine=engine)


def test_verify_checks_the_parts_of_a_reanalysed_verdict(stale_store, engine):
    stale_store.reanalyse(engine=engine)
    (stored,) = stale_store.conn.execute("SELECT verdict FROM analyses WHERE seq = 1").fetchone()
    digest = json.loads(stored)["$parts"]["actions"]
    original_parts = {d for (v,) in stale_store.conn.execute("SELECT verdict FROM messages")
                      for d in json.loads(v)["$parts"].values()}
    assert digest not in original_parts  # a part only the new verdict uses
    stale_store.conn.execute("DELETE FROM verdict_parts WHERE sha256 = ?", (digest,))
    report = stale_store.verify()
    assert not report.ok and [p.seq for p in report.problems] == [1]


def test_the_package_shows_new_verdicts_and_still_verifies(stale_store, engine, tmp_path):
    stale_store.reanalyse(engine=engine)
    out = tmp_path / "package"
    build_package(stale_store, None, out, lang="zh", pdf=False)
    rows = {r["seq"]: r for r in map(json.loads, (out / "messages.jsonl").read_text(encoding="utf-8").splitlines())}
    assert rows[1]["kind"] == "other" and rows[1]["reanalysis"]["kind"] == "fake_collection"
    assert rows[1]["reanalysis"]["verdict"]["kind"] == "fake_collection"
    assert "reanalysis" not in rows[3]
    html = re.sub(r"<[^>]+>", "", (out / "report.html").read_text(encoding="utf-8"))
    assert "其中 2 条短信已用较新的 anning" in html and "冒充催收" in html
    ok = subprocess.run([sys.executable, "-I", "verify_chain.py"], cwd=out, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_a_store_from_before_reanalysis_is_upgraded_in_place(tmp_path, engine):
    path = tmp_path / "old.db"
    with EvidenceStore.open(path) as store:
        store.add_message(MESSAGES[0][0], MESSAGES[0][1], MESSAGES[0][2], engine=engine)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TABLE analyses")  # as a store written by the version before this table existed
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    with EvidenceStore.open(path) as store:
        assert store.schema_version() == len(MIGRATIONS) == 2
        assert store.verify().ok
        assert store.message(1).kind == "fake_collection"
        assert store.reanalyse(engine=engine).updated == 0


def test_cli_reanalyse_and_show(tmp_path, stale_engine, cli, isolated_home):
    db = tmp_path / "cli.db"
    with EvidenceStore.open(db) as store:
        for text, sender, at in MESSAGES:
            store.add_message(text, sender, at, engine=stale_engine)
    done = cli("evidence", "reanalyse", "--db", str(db), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "重新分析 3 条，2 条的判断有变化" in done.stdout
    assert "其他 / Other → 冒充催收的诈骗 / Scam posing as debt collection: 1 条 / records (1)" in done.stdout
    shown = cli("evidence", "show", "1", "--db", str(db))
    assert "导入时的判断" in shown.stdout and ": other" in shown.stdout.replace("：", ": ")
    as_json = cli("evidence", "reanalyse", "--db", str(db), "--json")
    assert json.loads(as_json.stdout) == {"checked": 3, "updated": 0, "risk_changed": 0, "kind_changes": []}
    assert cli("evidence", "verify", "--db", str(db)).returncode == 0


def test_web_reanalyse_button(tmp_path, stale_engine, engine):
    pytest.importorskip("fastapi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from anning.web.app import create_app

    db = tmp_path / "web.db"
    with EvidenceStore.open(db) as store:
        for text, sender, at in MESSAGES:
            store.add_message(text, sender, at, engine=stale_engine)
    client = TestClient(create_app(db, engine=engine), base_url="http://127.0.0.1:8765")
    page = client.get("/evidence")
    assert 'id="reanalyse-button"' in page.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)
    assert client.post("/evidence/reanalyse", data={}).status_code == 403  # no CSRF token
    r = client.post("/evidence/reanalyse", data={"csrf_token": token})
    assert r.status_code == 200
    text = re.sub(r"<[^>]+>", "", r.text)
    assert "已重新分析 3 条短信，其中 2 条的判断有变化" in text
    assert 'href="/evidence/message/1"' in r.text
    message = re.sub(r"<[^>]+>", "", client.get("/evidence/message/1").text)
    assert re.search(r"导入时的判断（anning [0-9.]+：其他，风险 \d+）", message)
