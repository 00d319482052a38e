"""Negated clauses: a warning that names what scammers ask for ("我行不会要求您提供验证码") is not itself
a request; rules marked ``negatable`` ignore such matches, and only those rules do."""

from __future__ import annotations

import pytest

from anning.detectors import rules

WARNINGS = [
    "【长丰银行】本行不会以任何理由要求您提供验证码，也不会让您转入所谓“安全账户”。近期有人冒充本行催收，请认准官方热线。",
    "警方提示：网贷逾期不是犯罪，民警不会通过电话办案，更没有“安全账户”，请勿轻信。",
    "温馨提醒：我司从不要求客户下载会议软件或共享屏幕来处理贷款，遇到此类要求请立即挂断。",
    "Reminder from Sunrise Bank: we will never ask you to share your screen or tell us a verification code"
    " about your loan.",
]

SCAMS = [
    # a negation in another clause does not cover the request
    "我们不会为难你。你的网贷账户异常，请把收到的验证码告诉专员完成注销。",
    # 不要担心 is reassurance, not a negation of what follows
    "您的学生贷账户需要注销，不要担心，把收到的验证码告诉客服即可，否则影响征信。",
    "您的贷款已逾期，不要慌，请将欠款转入以下安全账户核查，核查后原路退回。",
]


@pytest.mark.parametrize("text", WARNINGS)
def test_a_warning_is_not_read_as_the_scam_it_describes(engine, text):
    v = engine.analyze(text)
    fired = {h.signal.rule for h in v.hits}
    assert not fired & {"SCAM_ASKS_CODE", "SCAM_SAFE_ACCOUNT", "SCAM_REMOTE_CONTROL", "PAY_REDIRECT"}, fired
    assert v.kind == "other"
    assert "payment_redirect" not in v.flags


@pytest.mark.parametrize("text", SCAMS)
def test_a_scam_with_a_negation_elsewhere_is_still_a_scam(engine, text):
    v = engine.analyze(text)
    assert v.kind == "fake_collection", [h.signal.rule for h in v.hits]


def test_only_negatable_rules_ignore_negated_matches(engine):
    plan = rules._plan(engine.k)
    negatable = {rule.id for rule, check in zip(plan.rules, plan.negation, strict=True) if check is not None}
    assert {"SCAM_ASKS_CODE", "SCAM_SAFE_ACCOUNT", "SCAM_REMOTE_CONTROL", "PAY_REDIRECT"} <= negatable
    # a debt that is "not overdue yet" is still about a debt: collection rules are not negatable
    assert "DEBT_CONTEXT" not in negatable and "COL_OVERDUE" not in negatable


@pytest.mark.parametrize(("text", "start", "expected"), [
    ("本行不会要求您提供验证码", 8, True),
    ("本行不会为难您。请提供验证码", 10, False),          # the cue is in the previous clause
    ("别担心，不会操作的话提供验证码", 10, False),          # 不会操作 is not a negation
    ("do not worry, tell us the code", 26, False),   # the clause ends at the comma
    ("Do not pay the lender. Transfer it to us", 23, False),  # ". " ends a sentence
    ("pay 1.5 to us, do not", 8, False),
    ("we will never ask for the code", 26, True),
    ("nevertheless tell us the code", 25, False),    # "never" only as a whole word
    ("不会" + "一" * 30 + "提供验证码", 32, True),
    ("不会" + "一" * 45 + "提供验证码", 47, False),   # the cue is further back than the window
])
def test_negated_clause(engine, text, start, expected):
    negated = next(check for check in rules._plan(engine.k).negation if check is not None)
    assert negated(text, start) is expected
