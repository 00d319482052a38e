"""A paste of several SMS: where each message is, each judged on its own, spans into the whole paste."""

from __future__ import annotations

import json

import pytest

from anning.paste import analyze_paste, check_to_dict, most_serious, paste_to_dict
from anning.text.paste import split_paste

NOTICE = "【借呗】您的借款已逾期3天，请登录支付宝还款。"
RELAY = "你朋友张伟欠钱不还，你是他紧急联系人，让他马上还款，不然天天打给你。"
SCAM = "【法院】您的网贷案件已立案，点击 http://fy-ck.top 查看传票并缴纳保证金。"
WITH_HEADERS = (f"10690000123\n时间：2026-11-20 09:15\n{NOTICE}\n\n"
                f"发件人：138 1234 5678\n时间：2026年11月20日 23:40\n{RELAY}\n\n{SCAM}\n")


def texts(paste: str) -> list[str]:
    return [paste[p.start:p.end] for p in split_paste(paste)]


def test_headers_start_messages_and_give_sender_and_time():
    pieces = split_paste(WITH_HEADERS)
    assert texts(WITH_HEADERS) == [NOTICE, RELAY, SCAM]
    assert [(p.sender, p.received_at) for p in pieces] == [
        ("10690000123", "2026-11-20T09:15:00+08:00"), ("13812345678", "2026-11-20T23:40:00+08:00"), (None, None)]


@pytest.mark.parametrize("paste", [
    f"[2026-11-20 09:15] 10690000123: {NOTICE}\n[2026-11-21 22:15] {RELAY}",
    f"2026-11-20 09:15 10690000123：{NOTICE}\n2026-11-21 22:15 13800001111：{RELAY}",
    f"2026/11/20 09:15\n{NOTICE}\n2026/11/21 22:15\n{RELAY}",
    f"10690000123 2026-11-20 09:15\n{NOTICE}\n\n13800001111 2026-11-21 22:15\n{RELAY}",
])
def test_one_line_headers_and_headers_without_blank_lines(paste):
    assert texts(paste) == [NOTICE, RELAY]


def test_blocks_without_headers_split_only_when_each_is_a_signed_sms():
    signed = f"{NOTICE}\n\n【花呗】您本月账单已逾期，请尽快还款以免影响信用。"
    assert texts(signed) == [NOTICE, "【花呗】您本月账单已逾期，请尽快还款以免影响信用。"]
    assert split_paste(f"{NOTICE}\n\n{RELAY}") == []  # the second block is not signed


@pytest.mark.parametrize("text", [
    NOTICE,
    # a letter: paragraphs, a signature at the top and a signed closing line
    "【XX金融】尊敬的张先生：\n\n您的借款已逾期30天，请尽快处理。\n\n【XX金融】催收部 2026年11月20日",
    # a date and time at a line's start, a service number alone on a line: text, not headers
    "您的借款已逾期。\n2026年11月25日 17:00前未还款将上报征信。\n请联系\n95588\n谢谢",
    "时间：明天下午三点前\n请还款",
    "",
])
def test_single_messages_stay_whole(text):
    assert split_paste(text) == []


def test_a_paragraph_after_a_message_with_a_header_belongs_to_it():
    paste = f"10690000123\n{NOTICE}\n\n逾期将影响征信，请尽快处理。\n\n13800001111\n{RELAY}"
    assert texts(paste) == [f"{NOTICE}\n\n逾期将影响征信，请尽快处理。", RELAY]


def test_each_message_is_judged_alone_and_the_scam_is_on_top(engine, knowledge):
    pasted = analyze_paste(engine, WITH_HEADERS)
    kinds = [m.verdict.kind for m in pasted]
    assert kinds == ["collection_notice", "third_party_contact", "fake_collection"]
    # the relay came at 23:40 (its own header), the notice in the morning
    assert "night_contact" in pasted[1].verdict.flags and "night_contact" not in pasted[0].verdict.flags
    # judged whole, the lender's name in the first message and the link in the third made one reason
    assert most_serious(pasted, knowledge.scoring["kind_risk"]) == 2

    d = json.loads(json.dumps(paste_to_dict(WITH_HEADERS, pasted, knowledge.scoring["kind_risk"])))
    assert d["kind"] == "fake_collection" and d["chosen_message"] == 2
    assert d["message"]["text"] == WITH_HEADERS
    for m in d["messages"]:
        assert WITH_HEADERS[m["start"]:m["end"]] in (NOTICE, RELAY, SCAM)
        for sig in m["verdict"]["signals"]:
            for a, b in sig["spans"]:
                assert m["start"] <= a < b <= m["end"]  # spans index the whole paste, inside this message
            if sig["span"] and sig["detector"] != "model":
                assert WITH_HEADERS[sig["span"][0]:sig["span"][1]] == sig["evidence"]
    urls = d["entities"]["urls"]
    assert [WITH_HEADERS[u["span"][0]:u["span"][1]] for u in urls] == ["http://fy-ck.top"]
    assert [s["rule"] for s in d["signals"]] == [s["rule"] for s in d["messages"][2]["verdict"]["signals"]]


def test_a_single_message_is_not_a_paste(engine):
    assert analyze_paste(engine, NOTICE) == []


def test_check_judges_a_paste_message_by_message(cli):
    proc = cli("check", WITH_HEADERS, "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert [m["verdict"]["kind"] for m in d["messages"]] == ["collection_notice", "third_party_contact",
                                                            "fake_collection"]
    whole = json.loads(cli("check", WITH_HEADERS, "--json", "--no-split").stdout)
    assert "messages" not in whole and whole["message"]["text"] == WITH_HEADERS

    human = cli("check", WITH_HEADERS)
    assert human.returncode == 0, human.stderr
    assert "这段文字里有 3 条短信" in human.stdout and "最需要注意的第 3 条" in human.stdout
    assert "10690000123 2026-11-20 09:15" in human.stdout


def test_check_to_dict_splits_only_when_asked_and_only_a_paste(engine):
    split = check_to_dict(engine, WITH_HEADERS)
    whole = check_to_dict(engine, WITH_HEADERS, split=False)
    assert len(split["messages"]) == 3 and "messages" not in whole
    assert whole["message"]["text"] == split["message"]["text"] == WITH_HEADERS
    single = check_to_dict(engine, NOTICE)
    assert "messages" not in single and single["kind"] == "collection_notice"
