"""Entity extraction: values are parsed correctly and every span points at the original characters."""

from __future__ import annotations

import pytest

from anning.text import extract
from anning.text.normalize import normalize


def _check_spans(original: str, items: list[dict]) -> None:
    for it in items:
        a, b = it["span"]
        assert 0 <= a <= b <= len(original), it
        assert it["text"] == original[a:b], (it, original[a:b])


def _run(fn, original: str, *args):
    items = fn(normalize(original), *args)
    _check_spans(original, items)
    return items


# -- amounts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value", "evidence"), [
    ("您欠款伍仟元，请尽快处理", 5000, "伍仟元"),
    ("欠款5千元未还", 5000, "5千元"),
    ("本期账单¥1,570.44，请按时还款", 1570.44, "¥1,570.44"),
    ("本期账单￥1,570.44，请按时还款", 1570.44, "￥1,570.44"),
    ("共计欠款3.2万，今日处理", 32000, "3.2万"),
    ("借款金额人民币叁万贰仟伍佰元整。", 32500, "人民币叁万贰仟伍佰元整"),
    ("欠款２０００元", 2000, "２０００元"),
    ("逾期金额：1,320元", 1320, "1,320元"),
    ("应还 200 元", 200, "200 元"),
    ("欠款两千块", 2000, "两千块"),
])
def test_amounts(text, value, evidence):
    items = _run(extract.amounts, text)
    assert [(it["text"], it["value"]) for it in items] == [(evidence, value)], items
    assert items[0]["currency"] == "CNY"


@pytest.mark.parametrize(("text", "evidence", "value", "currency"), [
    ("【恒生銀行】閣下信用卡結欠HK$8,920.55已逾期", "HK$8,920.55", 8920.55, "HKD"),
    ("您的信用卡結欠MOP 6,320.00已逾期", "MOP 6,320.00", 6320.0, "MOP"),
    ("本期應繳總額NT$12,480，繳款截止日3/15", "NT$12,480", 12480.0, "TWD"),
    ("还差3000港币没还", "3000港币", 3000.0, "HKD"),
    ("TNB: Bil elektrik RM 245.60 telah tertunggak", "RM 245.60", 245.6, "MYR"),
    ("Please pay S$486.20 via PayNow", "S$486.20", 486.2, "SGD"),
    ("欠你500美元", "500美元", 500.0, "USD"),
    ("your share is $20", "$20", 20.0, None),  # a bare "$" names no currency
])
def test_amounts_in_other_currencies(text, evidence, value, currency):
    items = _run(extract.amounts, text)
    assert [(it["text"], it["value"], it["currency"]) for it in items] == [(evidence, value, currency)], items


def test_no_currency_inside_a_word():
    assert _run(extract.amounts, "please confirm 3 items") == []


def test_several_amounts_in_order():
    text = "本金5000元，罚息120.5元，合计5,120.50元"
    items = _run(extract.amounts, text)
    assert [it["value"] for it in items] == [5000, 120.5, 5120.5]


def test_no_amount_in_plain_numbers():
    assert _run(extract.amounts, "您的验证码是382910，5分钟内有效") == []
    assert _run(extract.amounts, "2024年5月1日") == []


# -- deadlines, overdue days ----------------------------------------------------------------------
@pytest.mark.parametrize(("text", "evidence"), [
    ("请今日17点前还款", "今日17点前"),
    ("请在2小时内处理", "2小时内"),
    ("务必于24小时内联系我们", "24小时内"),
    ("请明天下午3点前还清", "明天下午3点前"),
    ("请今天内处理", "今天内"),
    ("请于３个工作日内还款", "３个工作日内"),
])
def test_deadlines(text, evidence):
    items = _run(extract.deadlines, text)
    assert evidence in [it["text"] for it in items], items


@pytest.mark.parametrize(("text", "days"), [
    ("您的借款已逾期10天", 10),
    ("您的借款逾期三天了", 3),
    ("已经逾期十五天", 15),
    ("拖欠30日未还", 30),
    ("已逾期多天", None),
])
def test_days_overdue(text, days):
    items = _run(extract.days_overdue, text)
    assert [it["days"] for it in items] == [days], items


# -- contract numbers -----------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value", "label"), [
    ("合同编号：HT20240501-8832，请核对", "HT20240501-8832", "合同编号"),
    ("借款编号 JK2023123456 已逾期", "JK2023123456", "借款编号"),
    ("订单号:2024050112345", "2024050112345", "订单号"),
    ("合同编号：ＨＴ２０２４０５０１", "ＨＴ２０２４０５０１", "合同编号"),
])
def test_contract_numbers(text, value, label):
    items = _run(extract.contract_numbers, text)
    assert [(it["text"], it["label"]) for it in items] == [(value, label)], items


def test_contract_number_needs_digits():
    assert _run(extract.contract_numbers, "订单号: ABCDEFG") == []


# -- URLs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "evidence", "host", "domain", "suffix"), [
    ("点 n.95508.com/x 即可办理", "n.95508.com/x", "n.95508.com", "95508.com", "com"),
    ("访问 https://www.icbc.com.cn/abc 查看", "https://www.icbc.com.cn/abc", "www.icbc.com.cn", "icbc.com.cn",
     "com.cn"),
    ("网址 repay-now.top/a 处理", "repay-now.top/a", "repay-now.top", "repay-now.top", "top"),
    ("详情戳 dwz.cn/AbC123。", "dwz.cn/AbC123", "dwz.cn", "dwz.cn", "cn"),
    ("登录ＷＷＷ．ＣＭＢＣＨＩＮＡ．ＣＯＭ查看", "ＷＷＷ．ＣＭＢＣＨＩＮＡ．ＣＯＭ", "www.cmbchina.com",
     "cmbchina.com", "com"),
    ("请访问 http://103.45.67.89/pay 还款", "http://103.45.67.89/pay", "103.45.67.89", "103.45.67.89", ""),
    # the link ends where the Chinese text begins, with no space between them
    ("点击https://t.cn/A6x9Kq请尽快处理", "https://t.cn/A6x9Kq", "t.cn", "t.cn", "cn"),
    ("登录http://1.2.3.4:8080/h5/还款页面", "http://1.2.3.4:8080/h5/", "1.2.3.4", "1.2.3.4", ""),
])
def test_urls(text, evidence, host, domain, suffix):
    items = _run(extract.urls, text)
    assert len(items) == 1, items
    it = items[0]
    assert (it["text"], it["host"], it["domain"], it["suffix"]) == (evidence, host, domain, suffix)


def test_no_url_in_decimals_and_names():
    assert _run(extract.urls, "金额3.50元，利率0.05%") == []
    assert _run(extract.urls, "张三.李四你好") == []


# -- phones -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "evidence", "kind", "masked"), [
    ("请联系13812345678", "13812345678", "mobile", False),
    ("致电138****1234", "138****1234", "mobile", True),
    ("请拨打 138 1234 5678", "138 1234 5678", "mobile", False),
    ("电话 +8613812345678", "+8613812345678", "mobile", False),
    ("拨打021-60550260查询", "021-60550260", "fixed_line", False),
    ("客服400-150-8990", "400-150-8990", "service", False),
    ("请致电95588", "95588", "service", False),
    ("WhatsApp +63 917 123 4567", "+63 917 123 4567", "international", False),
    ("回电 0085 2 6630 1928", "0085 2 6630 1928", "international", False),
])
def test_phone_classes(text, evidence, kind, masked):
    items = _run(extract.phones, text)
    assert [(it["text"], it["type"], it["masked"]) for it in items] == [(evidence, kind, masked)], items


def test_phones_several_and_not_inside_urls():
    text = "拨打 010-12345678 或 13912345678，勿点 http://1391234567.top/a"
    nt = normalize(text)
    links = extract.urls(nt)
    taken = []
    for u in links:
        a = next(i for i, o in enumerate(nt.offsets) if o >= u["span"][0])
        b = next((i for i, o in enumerate(nt.offsets) if o >= u["span"][1]), len(nt.offsets))
        taken.append((a, b))
    items = extract.phones(nt, taken)
    _check_spans(text, items)
    assert [(it["number"], it["type"]) for it in items] == [
        ("01012345678", "fixed_line"), ("13912345678", "mobile")]


# -- cards, accounts, names, signatures -------------------------------------------------------------
def test_card_tail_and_account_numbers():
    text = "您尾号1234的银行卡扣款失败，请转至账号6222 0000 1111 2222"
    items = _run(extract.accounts, text)
    by_type = {it["type"]: it["text"] for it in items}
    assert by_type["card_tail"] == "尾号1234"
    assert by_type["account_number"] == "6222 0000 1111 2222"


def test_im_contact():
    items = _run(extract.accounts, "加微信abc123办理")
    assert [(it["type"], it["text"]) for it in items] == [("im_contact", "abc123")]


@pytest.fixture(scope="module")
def surnames(knowledge):
    return frozenset(knowledge.lexicons["surnames"])


@pytest.mark.parametrize(("text", "name", "masked"), [
    ("尊敬的张**，您好", "张**", True),
    ("请转告李某某尽快还款", "李某某", True),
    ("请通知王x还款", "王x", True),
    ("尊敬的王小明先生，您的借款已逾期", "王小明", False),
    ("亲爱的陈静，你好", "陈静", False),
    ("尊敬的劉**，您好", "劉**", True),
])
def test_person_names(surnames, text, name, masked):
    items = _run(extract.persons, text, surnames)
    assert [(it["text"], it["masked"]) for it in items] == [(name, masked)], items


def test_no_person_without_surname(surnames):
    assert _run(extract.persons, "尊敬的客户，您好", surnames) == []


def test_signatures():
    assert [s["text"] for s in _run(extract.signatures, "【招联金融】您好，您的账单已出")] == ["招联金融"]
    assert [s["text"] for s in _run(extract.signatures, "您的账单已出【平安普惠】")] == ["平安普惠"]


# -- every span of every extractor, on messy input --------------------------------------------------
MESSY = [
    "【安 心 借】尊敬的劉**：您的借款¥1,570.44已逾期１０天，請於今日17點前還款，詳情 http://hk-repay.top/a ，"
    "客服400-150-8990，專員138****1234，合同編號：HT20240501-8832，尾號1234。",
    "征❤信❤修❤复，人民币叁万贰仟伍佰元整，加微信 zx8899，电话 +63 917 123 4567",
    "您\u200b的借\u200d款已逾期三天，欠款伍仟元，请2小时内处理，否则通知您的家人 021-60550260",
    "Your loan of ¥3.2万 is 5 days overdue, call 95588 or visit n.95508.com/x today",
]


@pytest.mark.parametrize("text", MESSY)
def test_every_extractor_span_is_an_original_slice(text, surnames):
    nt = normalize(text)
    for fn in (extract.amounts, extract.dates, extract.deadlines, extract.relative_times,
               extract.days_overdue, extract.contract_numbers, extract.urls, extract.phones,
               extract.accounts, extract.signatures):
        _check_spans(text, fn(nt))
    _check_spans(text, extract.persons(nt, surnames))
