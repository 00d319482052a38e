"""Personal rules and corrections: stored locally, effective immediately, visible in every verdict."""

from __future__ import annotations

import json

import pytest

from anning.engine import Engine
from anning.personal import PersonalError, PersonalStore, message_id

KINDS = ["collection_notice", "third_party_contact", "fake_collection", "debt_relief_scam", "other"]
FLAGS = ["threat", "urgency"]


def test_sender_keyword_and_regex_rules_by_priority(tmp_path):
    store = PersonalStore(tmp_path)
    store.add_rule("other", KINDS, [], FLAGS, sender="1069xxxx88")
    store.add_rule("collection_notice", KINDS, ["urgency"], FLAGS, keyword="物业费", priority=5)
    store.add_rule("third_party_contact", KINDS, [], FLAGS, regex=r"房东.{0,4}催")
    engine = Engine(personal=store)

    v = engine.analyze("您的验证码是 1234", "106912348800")  # 1069 + any 4 digits + 88, then anything
    assert v.kind == "other" and v.decided_by.startswith("personal rule P1")

    v = engine.analyze("業主您好，本月物業費尚未繳納", "1069000018")  # traditional text still matches
    assert v.kind == "collection_notice" and v.decided_by.startswith("personal rule P2")
    assert "urgency" in v.flags
    sig = next(h for h in v.hits if h.signal.rule == "PERSONAL_RULE")
    assert sig.signal.spans and sig.signal.spans[0].text == "物業費"

    v = engine.analyze("你房东又在催我交租了")
    assert v.kind == "third_party_contact" and "P3" in v.decided_by


def test_personal_rule_overriding_a_scam_says_so(tmp_path, knowledge):
    store = PersonalStore(tmp_path)
    store.add_rule("collection_notice", KINDS, [], FLAGS, keyword="安稳借")
    text = "【安稳借】还款通道已变更，请将逾期欠款转入以下个人账户 6217 00** **** 4410（陈**）"
    v = Engine(personal=store).analyze(text)
    assert v.kind == "collection_notice"
    assert "overrides fake_collection" in v.decided_by
    # and a person reads it in Chinese: which of their rules, and what it overrode
    from anning.render import decided_by_text

    said = decided_by_text(v.decided_by, knowledge, "zh")
    assert "P1" in said and knowledge.kind_labels["fake_collection"]["zh"] in said and "overrides" not in said


def test_invalid_rules_are_refused_and_nothing_is_written(tmp_path):
    store = PersonalStore(tmp_path)
    with pytest.raises(PersonalError, match="unknown kind"):
        store.add_rule("spam", KINDS, [], FLAGS, keyword="x")
    with pytest.raises(PersonalError, match="needs"):
        store.add_rule("other", KINDS, [], FLAGS)
    with pytest.raises(PersonalError, match="compile"):
        store.add_rule("other", KINDS, [], FLAGS, regex="(")
    with pytest.raises(PersonalError, match="unknown flags"):
        store.add_rule("other", KINDS, ["nope"], FLAGS, keyword="x")
    assert not (tmp_path / "personal_rules.json").exists()
    with pytest.raises(PersonalError, match="no personal rule"):
        store.remove_rule("P9")


def test_corrupt_rules_file_is_a_clear_error(tmp_path):
    (tmp_path / "personal_rules.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PersonalError, match=r"personal_rules\.json"):
        PersonalStore(tmp_path).rules()


def test_feedback_latest_correction_wins(tmp_path):
    store = PersonalStore(tmp_path)
    store.add_feedback("你那笔钱什么时候给我", "collection_notice", [], KINDS, FLAGS)
    store.add_feedback("你那笔钱什么时候给我", "other", [], KINDS, FLAGS)
    rows = store.feedback()
    assert len(rows) == 1 and rows[0]["kind"] == "other"
    assert rows[0]["id"] == message_id("你那笔钱什么时候给我")
    with pytest.raises(PersonalError):
        store.add_feedback("   ", "other", [], KINDS, FLAGS)


def test_cli_rules_feedback_and_personal_training(cli, tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    home = tmp_path / "home"
    monkeypatch.setenv("ANNING_HOME", str(home))
    r = cli("rules", "add", "--keyword", "小区停车费", "--kind", "collection_notice")
    assert r.returncode == 0, r.stderr
    r = cli("check", "本月小区停车费请于月底前缴纳", "--json")
    d = json.loads(r.stdout)
    assert d["kind"] == "collection_notice" and d["decided_by"].startswith("personal rule")
    r = cli("check", "本月小区停车费请于月底前缴纳", "--json", "--no-personal")
    assert json.loads(r.stdout)["decided_by"] != "personal rule P1"
    assert cli("rules", "list").stdout.count('"id"') == 1
    assert cli("rules", "remove", "P1").returncode == 0
    assert cli("rules", "remove", "P1").returncode == 2

    r = cli("train", "--personal")
    assert r.returncode == 2 and "no corrections" in r.stderr
    r = cli("feedback", "周末的聚餐费记得转我", "--kind", "other")
    assert r.returncode == 0 and "recorded correction" in r.stdout
    r = cli("feedback", "x", "--kind", "bogus")
    assert r.returncode == 2 and "unknown kind" in r.stderr
    r = cli("train", "--personal", timeout=300)
    assert r.returncode == 0, r.stderr
    assert (home / "personal-model.json.gz").is_file()
    d = json.loads(cli("check", "周末的聚餐费记得转我", "--json").stdout)
    model = next(s for s in d["signals"] if s["rule"] == "MODEL_KIND")
    assert model["detector"] == "model"


def test_personal_rule_flags_follow_the_kind(tmp_path):
    """A personal rule's own flags go through the same per-kind filter as rule flags (``flag_kinds``:
    no threat in a verdict of kind other), and come after the flags of the rule itself."""
    store = PersonalStore(tmp_path)
    store.add_rule("other", KINDS, ["threat", "urgency"], FLAGS, keyword="物业费")
    store.add_rule("collection_notice", KINDS, ["threat", "urgency"], FLAGS, keyword="房租")
    engine = Engine(personal=store)
    for text, kind, flags in (("本月物业费尚未缴纳", "other", ("urgency",)),
                              ("本月房租尚未缴纳", "collection_notice", ("threat", "urgency"))):
        v = engine.analyze(text)
        hit = next(h for h in v.hits if h.signal.rule == "PERSONAL_RULE")
        assert v.kind == kind and hit.flags[-len(flags):] == flags
        assert set(flags) <= set(v.flags)
