"""The real ``anning`` console script: check, guide and eval."""

from __future__ import annotations

import json
import re

import pytest

MESSAGE = "【安心借】尊敬的刘**，您的借款已逾期5天，请于今日18点前登录APP还款，否则通知你的家人。"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


# -- check -------------------------------------------------------------------------------------------
def test_check_json(cli, knowledge):
    proc = _ok(cli("check", MESSAGE, "--sender", "17012345678", "--at", "2026-11-20T23:15", "--json"))
    d = json.loads(proc.stdout)
    assert d["kind"] == "collection_notice"
    assert "night_contact" in d["flags"] and "threat" in d["flags"]
    assert d["entities"]["sender"]["type"] == "mobile_virtual"
    assert d["message"]["text"] == MESSAGE
    assert d["knowledge_version"] == knowledge.version
    for s in d["signals"]:
        if s["span"]:
            assert MESSAGE[s["span"][0]:s["span"][1]] == s["evidence"]


def test_check_human_output_in_chinese(cli, knowledge):
    data = json.loads(_ok(cli("check", MESSAGE, "--json")).stdout)
    out = _ok(cli("check", MESSAGE)).stdout
    for key in ("kind", "reasons", "scenario", "actions", "message"):
        assert knowledge.ui[key]["zh"] in out, f"heading {knowledge.ui[key]['zh']!r} missing:\n{out}"
    assert knowledge.kind_labels["collection_notice"]["zh"] in out
    assert MESSAGE in out
    flagged = [s for s in data["signals"] if s["flags"]]
    assert flagged
    for s in flagged:  # the characters that raised a flag are shown as evidence
        assert s["evidence"] in out
    assert "「" in out


def test_check_human_output_in_english(cli, knowledge):
    out = _ok(cli("check", MESSAGE, "--lang", "en")).stdout
    for key in ("kind", "reasons", "scenario", "actions"):
        assert knowledge.ui[key]["en"] in out, f"heading {knowledge.ui[key]['en']!r} missing:\n{out}"
        assert knowledge.ui[key]["zh"] not in out
    assert knowledge.kind_labels["collection_notice"]["en"] in out
    assert knowledge.scenarios["you_owe"].title["en"] in out


def test_check_json_in_english(cli, knowledge):
    d = json.loads(_ok(cli("check", MESSAGE, "--json", "--lang", "en")).stdout)
    assert d["lang"] == "en"
    assert d["kind_label"] == knowledge.kind_labels[d["kind"]]["en"]
    assert all(not CJK.search(a["title"]) for a in d["actions"])


def test_check_reads_stdin_with_dash(cli):
    d = json.loads(_ok(cli("check", "-", "--json", input=MESSAGE + "\n")).stdout)
    assert d["message"]["text"] == MESSAGE
    assert d["kind"] == "collection_notice"


def test_check_reads_stdin_without_text(cli):
    d = json.loads(_ok(cli("check", "--json", input=MESSAGE)).stdout)
    assert d["message"]["text"] == MESSAGE


def test_check_multiline_stdin_keeps_inner_newlines(cli):
    text = "您的借款已逾期3天\n请尽快还款"
    d = json.loads(_ok(cli("check", "--json", input=text + "\n")).stdout)
    assert d["message"]["text"] == text
    for s in d["signals"]:
        if s["span"]:
            assert text[s["span"][0]:s["span"][1]] == s["evidence"]


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T10:00", "23:15pm"])
def test_check_bad_time(cli, bad):
    proc = cli("check", MESSAGE, "--at", bad)
    assert proc.returncode == 2, proc
    assert "--at" in proc.stderr and "ISO" in proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stdout == ""


def test_check_empty_message(cli):
    d = json.loads(_ok(cli("check", "", "--json")).stdout)
    assert d["kind"] == "other"


def test_version(cli):
    from anning import __version__

    assert __version__ in _ok(cli("--version")).stdout


# -- guide -------------------------------------------------------------------------------------------
def test_guide_lists_topics(cli, knowledge):
    out = _ok(cli("guide")).stdout
    for t in knowledge.guide.values():
        assert t.id in out and t.title["zh"] in out


def test_guide_lists_topics_in_english(cli, knowledge):
    out = _ok(cli("guide", "--lang", "en")).stdout
    for t in knowledge.guide.values():
        assert t.title["en"] in out


def test_guide_topic(cli, knowledge):
    out = _ok(cli("guide", "is_it_real")).stdout
    assert knowledge.guide["is_it_real"].title["zh"] in out
    out_en = _ok(cli("guide", "is_it_real", "--lang", "en")).stdout
    assert knowledge.guide["is_it_real"].title["en"] in out_en


def test_guide_search(cli, knowledge):
    out = _ok(cli("guide", "--search", "紧急联系人")).stdout
    assert any(t.title["zh"] in out for t in knowledge.guide.values())


def test_guide_search_without_hits(cli):
    proc = cli("guide", "--search", "量子纠缠火星移民")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_guide_unknown_topic(cli, knowledge):
    proc = cli("guide", "no_such_topic")
    assert proc.returncode == 2
    assert "no_such_topic" in proc.stderr and "is_it_real" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- eval --------------------------------------------------------------------------------------------
EVAL_ROWS = [
    {"id": "e1", "text": "您的借款已逾期3天，请尽快还款", "kind": "collection_notice", "flags": []},
    {"id": "e2", "text": "您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。",
     "kind": "third_party_contact", "flags": ["privacy_disclosure"]},
    {"id": "e3", "text": "您的借款已逾期，还款通道已变更，请转账至以下个人账户", "kind": "fake_collection",
     "flags": ["payment_redirect"]},
    {"id": "e4", "text": "征 信 修 复，逾期记录可消除，不成功不收费", "kind": "debt_relief_scam",
     "flags": []},
    {"id": "e5", "text": "今晚一起吃饭吗？", "kind": "other", "flags": []},
    {"id": "e6", "text": "您的借款已逾期", "kind": "collection_notice", "flags": ["night_contact"],
     "received_at": "2026-11-20T23:15"},
]


@pytest.fixture
def eval_file(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in EVAL_ROWS), encoding="utf-8")
    return path


def test_eval_prints_macro_f1(cli, eval_file):
    out = _ok(cli("eval", str(eval_file))).stdout
    m = re.search(r"macro-F1\s+([0-9.]+)", out)
    assert m, out
    assert 0 <= float(m.group(1)) <= 1
    assert "flag micro-F1" in out


def test_eval_json(cli, eval_file, knowledge):
    report = json.loads(_ok(cli("eval", str(eval_file), "--json")).stdout)
    assert report["rows"] == len(EVAL_ROWS)
    assert set(report["per_kind"]) == set(knowledge.kind_labels)
    assert set(report["confusion"]) == set(knowledge.kind_labels)
    assert sum(sum(row.values()) for row in report["confusion"].values()) == len(EVAL_ROWS)
    assert {"precision", "recall", "f1", "support"} <= set(report["flag_micro"])
    assert isinstance(report["scams_called_genuine"], list)
    assert report["per_kind"]["collection_notice"]["support"] == 2
    assert report["confusion"]["other"]["other"] == 1
    assert report["macro_f1"] == 1.0, report["mistakes"]


def test_eval_rejects_unlabelled_rows(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "你好", "kind": "spam"}) + "\n", encoding="utf-8")
    proc = cli("eval", str(path))
    assert proc.returncode == 2 and "kind" in proc.stderr and "Traceback" not in proc.stderr


def test_who_decided_is_said_in_the_readers_language(cli, knowledge):
    """``decided_by`` stays English in the JSON (a contract); people read it in their language."""
    from anning.render import decided_by_text

    text = ("【全国网贷清理专项工作群】各位群员，请于今晚20:00前在群内提交借款截图与身份证照片，"
            "逾期未登记者视为自愿放弃减免资格")
    data = json.loads(_ok(cli("check", text, "--json")).stdout)
    assert data["decided_by"] == "model"
    out = _ok(cli("check", text)).stdout
    assert f"{knowledge.ui['decided_by']['zh']}：{knowledge.ui['decided_model']['zh']}" in out
    for value in ("rules", "model", "rules (model overruled)", "personal model"):
        assert CJK.search(decided_by_text(value, knowledge, "zh")), value
        assert decided_by_text(value, knowledge, "en")
    zh = decided_by_text("personal rule r3 (overrides collection_notice)", knowledge, "zh")
    assert "r3" in zh and knowledge.kind_labels["collection_notice"]["zh"] in zh and "overrides" not in zh
    assert decided_by_text("personal rule r3", knowledge, "en") == "your personal rule r3"
    assert decided_by_text("something new", knowledge, "zh") == "something new"  # shown as given
