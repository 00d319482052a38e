"""End-to-end verdicts on hand-written messages: kinds, flags with evidence, time of contact, sender
classes, violations, languages, robustness and the JSON contract of DESIGN.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest

from anning.explain import verdict_to_dict

CJK = re.compile(r"[\u4e00-\u9fff]")
SCAMS = ("fake_collection", "debt_relief_scam")
GENUINE = ("collection_notice", "third_party_contact")


def _rules(v) -> list[str]:
    return [h.signal.rule for h in v.hits]


def _explain(v) -> str:
    return f"kind={v.kind} flags={list(v.flags)} scores={v.kind_scores} signals={_rules(v)}"


# -- one message per kind ----------------------------------------------------------------------------
KIND_CASES = [
    ("collection_notice",
     "【安心借】尊敬的刘**，您的借款已逾期5天，请于今日18点前登录APP还款，逾期将影响您的征信记录。"),
    ("collection_notice",
     "【招商银行】您尾号1234信用卡本期账单金额3,200.00元，最低还款320.00元，到期还款日12月8日。"),
    ("third_party_contact",
     "您好，您的朋友赵**在我平台借款5000元已逾期30天，您是其紧急联系人，请转告他尽快还款。"),
    ("fake_collection",
     "您的借款已逾期，还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678（户名：李*明）"),
    ("fake_collection", "【XX市人民法院】您涉嫌恶意拖欠网贷，请于今日将欠款转入指定账户，否则立即执行拘留。"),
    ("debt_relief_scam", "征 信 修 复，逾期记录可消除，不成功不收费，加微信zx8899"),
    ("debt_relief_scam", "网贷逾期不用怕，停息挂账、延期5年，专业团队一对一办理，咨询微信abc123"),
    ("other", "【中国工商银行】您尾号1234卡12月16日16:51收入660元，余额1,046.44元。"),
    ("other", "【京东】验证码：382910，5分钟内有效，请勿泄露给他人。"),
    ("other", "今晚一起吃饭吗？"),
]


@pytest.mark.parametrize(("kind", "text"), KIND_CASES)
def test_kind(engine, kind, text):
    v = engine.analyze(text)
    assert v.kind == kind, f"{text!r}: {_explain(v)}"
    assert v.kind_label == engine.k.kind_labels[kind]["zh"]


def test_every_kind_is_covered_by_the_cases(knowledge):
    assert {k for k, _ in KIND_CASES} == set(knowledge.kind_labels)


# -- every flag, with its evidence pointing at the message -----------------------------------------
FLAG_CASES = [
    # (flag, text, received_at, a substring of the text the evidence must overlap)
    ("threat", "再不还钱我们就通知你的所有联系人和单位", None, "联系人"),
    ("threat", "欠款再不还，小心你的家人出门安全", None, "小心你的家人"),
    ("legal_intimidation", "您的欠款已逾期，已移交律师事务所处理，我们将依法起诉", None, "起诉"),
    ("privacy_disclosure", "您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。", None,
     "逾期"),
    ("phishing_link", "您的贷款逾期未还，点击 http://hk-repay.top/a 立即处理", None, "hk-repay.top"),
    ("payment_redirect", "您的借款已逾期，还款通道已变更，请转账至以下个人账户", None, "个人账户"),
    ("payment_redirect", "您 的 借 款 已 逾 期 ， 请 转 账 至 以 下 个 人 账 户", None, "个 人 账 户"),
    ("urgency", "【安心借】您的借款已逾期5天，请于今日18点前登录APP还款。", None, "18点"),
    ("insult", "欠钱不还，你这个老赖", None, "老赖"),
    ("insult", "欠钱不还，你这个老❤赖", None, "老❤赖"),
    ("impersonation", "【XX市人民法院】您涉嫌恶意拖欠网贷，请于今日将欠款转入指定账户", None, "人民法院"),
    ("night_contact", "您的借款已逾期，请尽快还款", "2026-11-20T23:15", None),
]


@pytest.mark.parametrize(("flag", "text", "at", "key"), FLAG_CASES)
def test_flag_with_evidence(engine, flag, text, at, key):
    v = engine.analyze(text, None, at)
    d = verdict_to_dict(v)
    assert flag in d["flags"], f"{text!r}: {_explain(v)}"
    evidence = d["flag_evidence"][flag]
    assert evidence, f"no evidence for {flag}"
    for item in evidence:
        if item["span"] is not None:
            a, b = item["span"]
            assert text[a:b] == item["evidence"], item
    if key is None:  # a time-of-contact flag has no span; its evidence is the local time
        assert any(item["span"] is None and item["evidence"] == "23:15" for item in evidence), evidence
    else:
        ks = text.index(key)
        ke = ks + len(key)
        assert any(item["span"] and item["span"][0] < ke and ks < item["span"][1] for item in evidence), (
            f"no {flag} evidence overlaps {key!r}: {evidence}")


def test_every_flag_is_covered_by_the_cases(knowledge):
    assert {f for f, *_ in FLAG_CASES} == set(knowledge.flag_labels)


# -- time of contact ---------------------------------------------------------------------------------
NIGHT_TEXT = "您的借款已逾期3天，请尽快还款"


@pytest.mark.parametrize(("at", "night"), [
    ("2026-11-20T23:15", True),
    ("2026-11-20T14:00", False),
    ("2026-11-20T22:00", True),
    ("2026-11-20T21:59", False),
    ("2026-11-21T07:59", True),
    ("2026-11-21T08:00", False),
    ("2026-11-21T03:00:00+08:00", True),
    ("2026-11-20T15:15:00+00:00", True),   # 23:15 in China
    ("2026-11-20T15:15:00Z", True),
    ("2026-11-20T06:00:00+00:00", False),  # 14:00 in China
    ("2026-11-20T09:30:00-05:00", True),   # 22:30 in China
    (None, False),
])
def test_night_contact(engine, at, night):
    v = engine.analyze(NIGHT_TEXT, None, at)
    assert v.kind == "collection_notice"
    assert ("night_contact" in v.flags) is night, f"at={at}: {_explain(v)}"
    assert ("NIGHT_CONTACT" in _rules(v)) is night


def test_received_at_is_converted_to_china_time(engine):
    d = verdict_to_dict(engine.analyze(NIGHT_TEXT, None, "2026-11-20T15:15:00Z"))
    assert d["message"]["received_at"] == "2026-11-20T23:15:00+08:00"
    d = verdict_to_dict(engine.analyze(NIGHT_TEXT, None, "2026-11-20T23:15"))
    assert d["message"]["received_at"] == "2026-11-20T23:15:00+08:00"


def test_night_contact_cites_quiet_hours_rules(engine):
    v = engine.analyze(NIGHT_TEXT, None, "2026-11-20T23:15")
    behaviours = {x.behaviour for x in v.violations}
    assert "contacts_at_night" in behaviours
    levels = {x.binding_level for x in v.violations if x.behaviour == "contacts_at_night"}
    assert levels & {"national_standard_recommended", "self_regulatory"}


def test_bad_time_raises_value_error(engine):
    with pytest.raises(ValueError):
        engine.analyze(NIGHT_TEXT, None, "yesterday night")


# -- sender classes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sender", "sender_type", "signal"), [
    ("1069012345678", "sms_gateway_106", "SENDER_SMS_GATEWAY"),
    ("95588", "service_95", "SENDER_SERVICE_CODE"),
    ("400-150-8990", "shared_cost_400", "SENDER_SERVICE_CODE"),
    ("17012345678", "mobile_virtual", "SENDER_VIRTUAL_MOBILE"),
    ("17112345678", "mobile_virtual", "SENDER_VIRTUAL_MOBILE"),
    ("16212345678", "mobile_virtual", "SENDER_VIRTUAL_MOBILE"),
    ("16512345678", "mobile_virtual", "SENDER_VIRTUAL_MOBILE"),
    ("16712345678", "mobile_virtual", "SENDER_VIRTUAL_MOBILE"),
    ("13812345678", "mobile", "SENDER_PERSONAL_MOBILE"),
    ("+86 138 1234 5678", "mobile", "SENDER_PERSONAL_MOBILE"),
    ("+447700900123", "international", "SENDER_INTERNATIONAL"),
    ("+852 2810 1199", "hong_kong_macau_taiwan", "SENDER_HMT"),
    ("+886227190033", "hong_kong_macau_taiwan", "SENDER_HMT"),
    ("招商银行", "alphanumeric", "SENDER_ALPHANUMERIC"),
    ("021-60550260", "fixed_line", "SENDER_FIXED_LINE"),
])
def test_sender_class(engine, sender, sender_type, signal):
    v = engine.analyze("您的账单已出，请按时还款", sender)
    d = verdict_to_dict(v)
    ent = d["entities"]["sender"]
    assert ent["type"] == sender_type, ent
    assert ent["raw"] == sender
    assert ent["label"] and ent["proves"]
    assert signal in _rules(v)
    assert [h.signal.rule for h in v.hits if h.signal.detector == "sender"] == [signal]


def test_a_hong_kong_bank_writing_to_a_local_customer_is_not_a_scam_from_abroad(engine):
    """A +852 number is local to someone in Hong Kong; the same number writing about a mainland 网贷 is not."""
    local = engine.analyze("【恒生銀行】陳先生，閣下信用卡戶口已逾期，結欠HK$8,920.55，請即致電本行查詢還款安排。",
                           "+85228101199")
    assert local.kind == "collection_notice", _explain(local)
    assert {"SCAM_INSTITUTION_FROM_MOBILE", "DEBT_FROM_SUSPECT_SENDER"}.isdisjoint(_rules(local))
    mainland = engine.analyze("【德信律师事务所】您的网贷欠款已转交本所处理，请今日内联系本所结清。", "+85266301928")
    assert "SCAM_LAWFIRM_ABROAD" in _rules(mainland) and mainland.kind == "fake_collection", _explain(mainland)


@pytest.mark.parametrize(("plain", "spelt"), [
    ("您的网贷已逾期57天，今天不处理明天直接起诉，请把钱转到负责人个人账户 6222 **** 1234",
     "您的wd已yq 57天，今天不处理明天直接qs，请把钱转到负责人个人账户 6222 **** 1234"),
    ("您在我们APP的借款已逾期，但APP已下架，请加客服QQ 2***0088 获取新的还款方式",
     "您在我们APP的jk已yq，但APP已下架，请加kfQQ 2***0088 获取新的还款方式"),
    ("征信修复，逾期记录消除，当天见效，加微信 zxkf2026 咨询", "zxxf，逾qi记录消除，当天见效，加v信 zxkf2026 咨询"),
])
def test_keywords_written_in_letters_are_read_as_the_keywords(engine, plain, spelt):
    """yq for 逾期, 征xin for 征信, v信 for 微信: the verdict is the plain message's, and a signal points at the
    letters that were written."""
    a, b = engine.analyze(plain), engine.analyze(spelt)
    assert b.kind == a.kind and b.kind in ("fake_collection", "debt_relief_scam"), _explain(b)
    assert set(a.flags) <= set(b.flags), (a.flags, b.flags)
    respelled = next(h.signal for h in b.hits if h.signal.rule == "TEXT_RESPELLED")
    assert all(spelt[s.start:s.end] == s.text for s in respelled.spans)
    assert {s.text for s in respelled.spans} & {"yq", "逾qi"}
    assert "逾期" in respelled.detail["keywords"]
    assert "TEXT_RESPELLED" not in _rules(a)


def test_mobile_carrier_by_prefix_equals_the_full_lookup():
    """The carrier is looked up once per five-digit prefix: that must equal phonenumbers' own answer
    for every number (random numbers across all 1x prefixes, each checked against a fresh lookup)."""
    import random

    from anning.detectors import sender

    rng = random.Random(7)
    numbers = [f"1{rng.randrange(10**10):010d}" for _ in range(3000)]
    for lang in ("zh", "en"):
        for number in numbers:
            assert sender._carrier(number, lang) == sender._carrier_lookup.__wrapped__(number, lang), number
    assert sender._carrier("13800138000") == "中国移动"


def test_no_sender_no_sender_entity(engine):
    d = verdict_to_dict(engine.analyze("您的账单已出"))
    assert d["entities"]["sender"] is None
    assert not any(s["detector"] == "sender" for s in d["signals"])


def test_bank_claim_from_foreign_number_is_a_scam(engine):
    text = "我行已成功在您的信用卡中扣除年费1000元，如有疑问请回电"
    assert engine.analyze(text, "95588").kind != "fake_collection"
    v = engine.analyze(text, "+447700900123")
    assert v.kind == "fake_collection", _explain(v)


# -- violations ----------------------------------------------------------------------------------------
INSULT = "欠钱不还，你这个老赖，不要脸"


def test_violations_carry_binding_level_wording_and_sources(engine):
    v = engine.analyze(INSULT, None, "2026-03-01T14:00")
    assert v.violations, _explain(v)
    levels = {x.binding_level for x in v.violations}
    assert {"law", "self_regulatory"} <= levels, levels
    for x in v.violations:
        law = engine.k.laws[x.id]
        assert x.source == law.source and x.source.startswith(("http://", "https://"))
        assert x.title == law.title["zh"]
        assert x.binding_level == law.binding_level
        assert x.behaviour in engine.k.behaviours
        assert x.why.startswith(engine.k.behaviours[x.behaviour].label["zh"])
        if x.binding_level == "law":
            assert x.basis.startswith("可能违反"), x.basis
            assert law.instrument["zh"] in x.basis
        elif x.binding_level == "self_regulatory":
            assert x.basis.startswith("不符合行业规范"), x.basis
            assert "违反" not in x.basis.replace("不符合", "")


def test_violations_are_ordered_by_binding_strength(engine):
    from anning.knowledge.loader import BINDING_LEVELS

    v = engine.analyze(INSULT, None, "2026-03-01T14:00")
    ranks = [BINDING_LEVELS.index(x.binding_level) for x in v.violations]
    assert ranks == sorted(ranks)
    assert len({x.id for x in v.violations}) == len(v.violations)


def test_law_version_follows_message_date(engine):
    ids_2026 = {x.id for x in engine.analyze(INSULT, None, "2026-03-01T14:00").violations}
    ids_2024 = {x.id for x in engine.analyze(INSULT, None, "2024-03-01T14:00").violations}
    assert "PSAPL-2025-050" in ids_2026 and "PSAPL-2012-042" not in ids_2026
    assert "PSAPL-2012-042" in ids_2024 and "PSAPL-2025-050" not in ids_2024


def _violations_as_first_written(k, behaviours, on, lang):
    """The laws in force on ``on`` that the behaviours cite, each once, in binding order."""
    from anning.knowledge.loader import BINDING_LEVELS

    def _in_force(start, end, on):
        return not (start and on < date.fromisoformat(start)) and not (end and on > date.fromisoformat(end))

    out, seen = [], set()
    for b in behaviours:
        beh = k.behaviours[b]
        for law_id in beh.cite:
            law = k.laws[law_id]
            if law_id in seen or not _in_force(law.in_force_from, law.in_force_until, on):
                continue
            seen.add(law_id)
            level = k.binding_levels[law.binding_level]
            basis = level[f"phrase_{lang}"].format(instrument=law.instrument["zh"], article=law.article["zh"],
                                                   instrument_en=law.instrument["en"],
                                                   article_en=law.article["en"]).strip()
            out.append((law.id, law.title[lang], basis, law.binding_level, level[f"label_{lang}"], law.source,
                        f"{beh.label[lang]}{'：' if lang == 'zh' else ': '}{beh.why[lang]}", b, law.confidence))
    return sorted(out, key=lambda x: BINDING_LEVELS.index(x[3]))


def test_violations_by_day_and_one_object_for_equal_results(engine):
    """Only the laws in force depend on the date: equal results are one cached tuple (whose JSON the
    batch writers cache by identity), and each is what the plain algorithm gives."""
    from dataclasses import astuple

    k = engine.k
    every = tuple(k.behaviours)
    cases = [every, every[::-1], *((b,) for b in every)]
    days = [date(2012, 1, 1), date(2021, 10, 31), date(2021, 11, 1), date(2024, 3, 1), date(2026, 3, 1),
            date(2026, 3, 2), date(2030, 1, 1)]
    for lang in ("zh", "en"):
        for behaviours in cases:
            seen: dict[tuple, tuple] = {}
            for on in days:
                got = engine._violations(behaviours, on, lang)
                assert [astuple(x) for x in got] == _violations_as_first_written(k, behaviours, on, lang)
                assert seen.setdefault(got, got) is got


def test_third_party_contact_cites_contact_rules(engine):
    v = engine.analyze("您好，您的朋友赵**在我平台借款5000元已逾期30天，您是其紧急联系人，请转告他尽快还款。")
    behaviours = {x.behaviour for x in v.violations}
    assert {"contacts_third_party", "discloses_debt"} <= behaviours, behaviours
    assert v.scenario.id == "listed_contact"
    ids = [a.id for a in v.actions]
    assert ids.index("not_your_debt") < ids.index("complain_to_regulator")


def test_scam_scenario_and_actions(engine):
    v = engine.analyze("您的借款已逾期，还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678")
    assert v.scenario.id == "scam"
    ids = [a.id for a in v.actions]
    assert ids[0] == "never_pay_personal_account"
    assert "report_to_police" in ids
    police = next(a for a in v.actions if a.id == "report_to_police")
    assert any(c.number == "110" for c in police.channels)


@pytest.mark.parametrize("text", [
    "【医保局】您的医保卡已被冻结，请在2小时内点击 ybj-gov.vip 进行解冻，否则将无法就医报销。",
    "【顺丰】您的快件因地址不详滞留网点，请于今日内登录 sf-redeliver.top 补缴运费重新派送。",
    "Your tax refund of 1,280 yuan is ready to claim, log in at etax-cn.xyz within 24 hours.",
])
def test_a_scam_not_about_a_debt_is_other_with_the_scam_scenario(engine, text):
    v = engine.analyze(text)
    assert v.kind == "other"
    assert "phishing_link" in v.flags and v.risk >= 40
    assert v.scenario.id == "other_scam"
    assert v.actions[0].id == "dont_click_links"
    lure = next(h for h in v.hits if h.signal.rule == "SCAM_LURE_LINK")
    assert all(text[s.start:s.end] == s.text for s in lure.signal.spans)


@pytest.mark.parametrize("text", [
    "【中国移动】您的积分将于月底过期，可登录 www.10086.cn 兑换话费。",
    "【国家反诈中心】提醒：医保卡不会被“冻结”，收到让你点击 ybj-gov.vip 这类链接“解冻”的短信，请直接删除。",
    "周末去看电影吗，票我已经买好了",
])
def test_ordinary_messages_keep_the_ordinary_scenario(engine, text):
    v = engine.analyze(text)
    assert v.kind == "other" and "phishing_link" not in v.flags
    assert v.scenario.id == "not_collection"


def test_a_link_alone_is_not_cited_as_a_crime(engine):
    """Only a suspicious link (look-alike, bare IP, lure or debt wording with a cheap domain) brings the
    fraud laws; a parcel notice or a lender's notice with its official link cites none of them."""
    for text in ("【京东】您的订单已发货，物流详情 https://jd.com/x7",
                 "【中国移动】您的积分将于月底过期，可登录 www.10086.cn 兑换话费。"):
        assert engine.analyze(text).violations == (), text
    scam = engine.analyze("您的借款已逾期，请点击 http://repay-now.top/a 处理")
    assert "phishing_link_or_app" in {x.behaviour for x in scam.violations}


# -- English ---------------------------------------------------------------------------------------------
def test_english_output(engine):
    v = engine.analyze(INSULT, "13812345678", "2026-11-20T23:15", lang="en")
    d = verdict_to_dict(v)
    assert d["lang"] == "en"
    assert d["kind_label"] == engine.k.kind_labels[d["kind"]]["en"]
    assert not CJK.search(d["kind_label"])
    assert not CJK.search(d["risk_label"])
    assert not CJK.search(d["scenario"]["title"]) and not CJK.search(d["scenario"]["summary"])
    assert d["actions"] and all(not CJK.search(a["title"]) for a in d["actions"])
    assert d["violations"]
    for x in d["violations"]:
        assert x["basis"].startswith(("May violate", "Breaches industry rules", "Falls short")), x["basis"]
        assert not CJK.search(x["binding_label"])
    assert all(not CJK.search(s["label"]) for s in d["signals"])
    assert not CJK.search(d["entities"]["sender"]["label"])


def test_engine_default_language(knowledge):
    from anning.engine import Engine

    en = Engine(knowledge, lang="en")
    assert en.analyze("您的借款已逾期").kind_label == knowledge.kind_labels["collection_notice"]["en"]


# -- robustness ------------------------------------------------------------------------------------------
def test_empty_message(engine):
    v = engine.analyze("")
    assert v.kind == "other" and v.flags == ()
    assert [h.signal.rule for h in v.hits if h.signal.detector != "model"] == []
    d = verdict_to_dict(v)
    json.dumps(d, ensure_ascii=False)
    assert 0 <= d["confidence"] <= 1 and d["risk"] == 0


@pytest.mark.parametrize("text", ["   ", "\u200b\u200b", "【】", "🙂🙂🙂", "\n\n", "*" * 50])
def test_degenerate_messages(engine, text):
    v = engine.analyze(text)
    assert v.kind == "other", _explain(v)


def test_long_message(engine):
    base = ("您的借款已逾期3天，请尽快还款，否则我们将通知你的家人。"
            "详情 http://a-repay.top/x ，联系13812345678。"
            "今天天气很好，明天见。")
    text = (base * (10_000 // len(base) + 1))[:10_000]
    assert len(text) == 10_000
    v = engine.analyze(text)
    d = verdict_to_dict(v)
    json.dumps(d, ensure_ascii=False)
    for s in d["signals"]:
        for a, b in s["spans"]:
            assert 0 <= a < b <= len(text)
            assert text[a:b]
    assert v.kind in engine.k.kind_labels


def test_non_string_text_is_rejected(engine):
    with pytest.raises(TypeError):
        engine.analyze(12345)  # type: ignore[arg-type]


def _timed_in_subprocess(text_expr: str, timeout: float) -> None:
    code = (
        "from anning.engine import Engine\n"
        "e = Engine()\n"
        "e.analyze('warm up 您的借款已逾期')\n"
        f"e.analyze({text_expr})\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=timeout, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"analysing {text_expr} took longer than {timeout}s (super-linear regex backtracking)")


@pytest.mark.parametrize("text_expr", [
    "'1' * 10000",                       # a pasted number dump
    "'欠款' + '8' * 10000 + '元'",
])
def test_long_digit_runs_are_analysed_quickly(text_expr):
    """10,000 characters must not take seconds: batch screening runs millions of messages."""
    _timed_in_subprocess(text_expr, timeout=4)


# -- the verdict contract (DESIGN.md) ------------------------------------------------------------------
def test_verdict_to_dict_contract(engine, knowledge):
    text = "【安心借】尊敬的刘**，您的借款5000元已逾期5天，请于今日18点前还款，否则通知你的家人。详情 http://hk-repay.top/a"
    d = verdict_to_dict(engine.analyze(text, "17012345678", "2026-11-20T23:15"))
    json.loads(json.dumps(d, ensure_ascii=False, allow_nan=False))
    assert d["kind"] in knowledge.kind_labels
    assert isinstance(d["confidence"], float) and 0 <= d["confidence"] <= 1
    assert isinstance(d["risk"], int) and 0 <= d["risk"] <= 100
    assert d["risk_level"] in {level for level, _, _ in knowledge.risk_levels}
    level_floor = dict((lvl, m) for lvl, m, _ in knowledge.risk_levels)
    assert d["risk"] >= level_floor[d["risk_level"]]
    assert isinstance(d["flags"], list) and set(d["flags"]) <= set(knowledge.flag_labels)
    assert d["signals"]
    for s in d["signals"]:
        assert {"rule", "label", "span", "evidence", "weight"} <= set(s)
        assert s["rule"] in knowledge.rules
        assert isinstance(s["weight"], int | float)
        if s["span"] is not None:
            a, b = s["span"]
            assert text[a:b] == s["evidence"], s
        else:
            assert s["detector"] in {"sender", "clock"}
    ent = d["entities"]
    for key in ("platforms", "amounts", "dates", "urls", "phones", "sender"):
        assert key in ent
    assert ent["sender"]["type"] == "mobile_virtual"
    assert any(a["value"] == 5000 for a in ent["amounts"])
    assert any(u["domain"] == "hk-repay.top" for u in ent["urls"])
    assert d["violations"]
    for x in d["violations"]:
        assert {"id", "title", "basis", "binding_level", "source", "why"} <= set(x)
        assert x["id"] in knowledge.laws
    assert {"id", "title", "summary"} <= set(d["scenario"]) and d["scenario"]["id"] in knowledge.scenarios
    assert d["actions"]
    for a in d["actions"]:
        assert {"id", "title", "detail"} <= set(a) and a["id"] in knowledge.actions
    assert [a["id"] for a in d["actions"]] == list(dict.fromkeys(a["id"] for a in d["actions"]))
    assert d["engine_version"] and d["knowledge_version"] == knowledge.version


def test_flags_come_from_signals(engine):
    text = "【XX市人民法院】您涉嫌恶意拖欠网贷，请于今日将欠款转入指定账户"
    d = verdict_to_dict(engine.analyze(text))
    from_signals = {f for s in d["signals"] for f in s["flags"]}
    assert set(d["flags"]) == from_signals
    assert set(d["flag_evidence"]) == set(d["flags"])


def test_analysis_is_deterministic(engine):
    text = "您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。"
    a = verdict_to_dict(engine.analyze(text, "95588", "2026-01-02T10:00"))
    b = verdict_to_dict(engine.analyze(text, "95588", "2026-01-02T10:00"))
    assert a == b


# -- the costliest mistake: a scam called genuine ------------------------------------------------------
LENDER_MIMIC_SCAMS = [
    "还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678（户名：王*华），转账后截图回复。",
    "【招联金融】您的借款已逾期，还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678（户名：王*华）。",
    "【借呗】尊敬的用户，您的借款已逾期，系统升级原还款账户已停用，"
    "请将欠款汇入新的还款账户6217 0000 1234 5678。",
    "【微粒贷】您的贷款逾期，请勿再通过APP还款，请联系专员微信 wld-kf01 获取还款账号。",
    "您好，您在平台的借款已逾期，为避免上征信，请扫描二维码还款，逾期将产生高额罚息。",
    "您的借款已逾期，请将收到的验证码告诉客服以便为您办理延期还款。",
    "【招商银行】您的信用卡已逾期，请登录 cmbchina-kf.com 处理，否则冻结账户。",
    "【分期乐】您的账单已逾期，请下载“结清助手”APP并开启屏幕共享，由专员协助您结清。",
    "Your loan is overdue. The repayment account has changed: please transfer the balance to this personal "
    "account 6222 0201 1234 5678 today.",
]


@pytest.mark.parametrize("text", LENDER_MIMIC_SCAMS)
def test_lender_mimicking_scam_is_never_called_genuine(engine, text):
    v = engine.analyze(text)
    assert v.kind not in GENUINE, f"scam called genuine: {text!r}\n  {_explain(v)}"
    assert v.kind == "fake_collection", _explain(v)


def test_refund_scam_keeps_its_payment_redirect(engine):
    """A "refund" that asks you to transfer money to a personal account is a textbook scam."""
    v = engine.analyze("您有一笔多扣的贷款利息退款300元，请转账至以下个人账户完成验证后原路退回。")
    assert "payment_redirect" in v.flags, _explain(v)
    assert "PAY_REDIRECT" in _rules(v)


def test_anti_fraud_warning_is_not_a_scam(engine):
    v = engine.analyze("【反诈中心】警惕冒充客服的诈骗，征信不能花钱修复，凡是要求转入安全账户的都是诈骗。")
    assert v.kind == "other", _explain(v)
    assert "payment_redirect" not in v.flags


# Scams dressed as police or anti-fraud warnings, and real warnings that describe them (written for this test).
WARNING_AS_BAIT = [
    "警方提醒：近期有冒充催收的诈骗。您名下网贷逾期已被立案，请立即拨打138****5678联系办案民警处理，否则将被拘留。",
    "【反诈中心】您的网贷账户存在异常，为保障资金安全，请下载“安全助手”APP并开启屏幕共享，配合民警核查。",
    "【金融监管局】提醒您：您的网贷账户利率不合规需注销，请下载“金融服务”APP按客服指引操作，谨防诈骗。",
]
REAL_WARNINGS = [
    "【国家反诈中心】提醒：若有人称您的网贷账户异常，要求下载会议软件、开启屏幕共享配合核查的，均为诈骗。",
    "【XX派出所】温馨提示：近期冒充网贷客服诈骗高发，如接到可疑电话请联系社区民警王警官138****1234",
]


@pytest.mark.parametrize("text", WARNING_AS_BAIT)
def test_a_scam_dressed_as_a_warning_is_still_a_scam(engine, text):
    """Anti-fraud wording must not hide a scam that tells you your own loan is in trouble and asks you to
    call a mobile number or install an app."""
    v = engine.analyze(text)
    assert v.kind == "fake_collection", _explain(v)
    assert "SCAM_WARNING_AS_BAIT" in _rules(v) and "LEGIT_ANTIFRAUD" not in _rules(v)


@pytest.mark.parametrize("text", REAL_WARNINGS)
def test_a_real_warning_describing_the_bait_stays_a_warning(engine, text):
    v = engine.analyze(text)
    assert v.kind == "other", _explain(v)
    assert "SCAM_WARNING_AS_BAIT" not in _rules(v)


# Each side of a boundary, written for these tests: (text, expected kind, rule, whether that rule decides it).
BOUNDARIES = [
    # a bank's own hardship plan through its official channel, and a paid agent dressed the same
    ("【民生银行】您的信用卡已逾期3期，如确有困难，可通过全民生活App“还款-个性化分期”申请，最长60期，本行不委托任何第三方。",
     "collection_notice", "LEGIT_CREDITOR_HARDSHIP", True),
    ("【某消费金融】您的逾期账户可申请减免部分罚息，一次性结清仅需还本金5,400元，活动截至月底，详询官方客服。",
     "collection_notice", "LEGIT_CREDITOR_HARDSHIP", True),
    ("【民生银行】您的信用卡已逾期，可申请个性化分期，名额有限，请添加专员微信 ms0601 办理，手续费300元。",
     "debt_relief_scam", "LEGIT_CREDITOR_HARDSHIP", False),
    ("信用卡逾期可申请个性化分期60期，官方渠道办理，成功率98%，加v：fq2026 一对一服务",
     "debt_relief_scam", "LEGIT_CREDITOR_HARDSHIP", False),
    # the creditor going to a court or the credit bureau, and a "court" demanding payment itself
    ("借你的两万块拖了快一年，转账记录和借条我都留着，月底前再不还我就直接去法院起诉你。",
     "collection_notice", "SCAM_AUTHORITY_DEMAND", False),
    ("【某消费金融】您的借款已逾期，我司已依法将逾期信息报送至中国人民银行征信中心，请通过官方APP还款。",
     "collection_notice", "SCAM_AUTHORITY_DEMAND", False),
    ("我们是区人民法院执行局的，你的网贷案子今天必须结清，把欠款转到专员给你的账户上，否则明天拘留。",
     "fake_collection", "SCAM_AUTHORITY_DEMAND", True),
    # the anti-fraud centre's name on your "frozen loan" with a throwaway link, and a lesson quoting such a text
    ("【国家反诈中心】您名下的京东金条账户存在异常，需在今晚12点前注销，否则影响征信，请点击 jd-zx.top/zx 处理",
     "fake_collection", "SCAM_WARNING_AS_BAIT", True),
    ("防骗小贴士｜骗子短信常写：“您的借呗账户异常，点击 jb-zx.top 处理”，正规平台不会这样发链接，请勿点击。",
     "other", "SCAM_WARNING_AS_BAIT", False),
]


@pytest.mark.parametrize(("text", "kind", "rule", "fires"), BOUNDARIES)
def test_both_sides_of_a_boundary(engine, text, kind, rule, fires):
    v = engine.analyze(text)
    assert v.kind == kind, _explain(v)
    assert (rule in _rules(v)) is fires, _explain(v)


def test_personal_quarrel_is_not_collection(engine):
    """Insult and exposure wording with no debt at all must not make a collection message."""
    v = engine.analyze("你就是个骗子，我要让你社死")
    assert v.kind == "other", _explain(v)


# Ads and notices with links that pose as no lender, collector or authority (written for this test).
LINK_ONLY_ADS = [
    "春季新品上市，全场五折起，下载商城APP领券：http://118.25.36.47:8080/shop/app.apk",
    "【某某生活】周末影院特惠，点击 http://61.160.7.19/m/act?id=77 抢票",
    "安卓用户点击 http://dl.csapp-mirror.com/game/setup.apk 下载新版游戏，苹果用户请到应用商店",
    "点击下载钱包客户端:http://cl.exampay.com.cn 【某某钱包】",
]


@pytest.mark.parametrize("text", LINK_ONLY_ADS)
def test_a_suspicious_link_alone_does_not_make_a_fake_collection(engine, text):
    """A bare IP, an app download or a subdomain is a reason for caution (risk, phishing_link when it is
    an IP), not evidence that the sender poses as a collector: that pretext has to be in the words."""
    v = engine.analyze(text)
    assert v.kind == "other", _explain(v)
    assert v.risk > 0


def test_the_same_link_in_a_debt_pretext_is_a_fake_collection(engine):
    v = engine.analyze("您的网贷已严重逾期，请立即点击 http://118.25.36.47:8080/repay/app.apk 处理，否则上报征信")
    assert v.kind == "fake_collection", _explain(v)
    assert "phishing_link" in v.flags and "SCAM_PHISHING_DEBT_LINK" in _rules(v)


def test_text_with_a_lone_surrogate_is_refused_clearly(engine):
    with pytest.raises(ValueError, match="not valid Unicode: lone surrogate '\\\\ud800' at character 2"):
        engine.analyze("欠款\ud800请还款")
    results = engine.analyze_batch([("欠款\ud800", None, None, "1"), ("你好", None, None, "2")])
    assert isinstance(results[0], ValueError) and results[1].kind == "other"
