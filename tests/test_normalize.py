"""Normalisation with an offset map back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anning.text.normalize import normalize

CASES = [
    # (original, expected normalised text, a keyword in the normalised text whose span we map back)
    ("ＡＢＣ１２３", "abc123", "abc"),
    ("還款逾期", "还款逾期", "还款"),
    ("您的借款已逾期，請儘快還款", "您的借款已逾期,请尽快还款", "尽快还款"),
    ("征\u200b信修复", "征信修复", "征信"),
    ("征\u200d信\ufeff修\u2060复", "征信修复", "信修"),
    ("征 信 修 复", "征信修复", "征信修复"),
    ("征\u3000信\t修\n复", "征信修复", "修复"),
    ("征-信", "征信", "征信"),
    ("征 - 信", "征信", "征信"),
    ("征|信|修|复", "征信修复", "信修"),
    ("催~收/还#款", "催收还款", "催收还款"),
    ("还.款", "还款", "还款"),
    ("征❤信", "征信", "征信"),
    ("征💰信💰修💰复", "征信修复", "征信修复"),
    ("【傳 票】台端積欠網 貸 款項", "【传票】台端积欠网贷款项", "网贷"),
    ("138O0I38000", "13800138000", "13800138000"),
    ("１３８ｏ０ｌ３８０００", "13800138000", "13800138000"),
    ("ｈｔｔｐ：／／ａ．ｃｏｍ", "http://a.com", "a.com"),
    ("ABC def", "abc def", "c d"),
    ("逾期了，请还款", "逾期了,请还款", "了,请"),
    ("3.5元", "3.5元", "3.5"),
    ("http://a.b/c", "http://a.b/c", "a.b"),
    ("HELLO 世界", "hello 世界", "hello"),
    # letters and digits spelt out one by one are joined; a wider gap stays a word gap
    ("h t t p s : / / a b . c o m", "https://ab.com", "ab.com"),
    ("加V x : a b 1 2 3", "加微信:ab123", "ab123"),
    ("Ｑ Ｑ ２ ８ ８ １", "qq2881", "qq2881"),
    ("c r e d i t  r e p a i r", "credit  repair", "repair"),
    ("卡号6 2 1 7 **** 3 3 0 8", "卡号6217 **** 3308", "3308"),
    ("登录 h t t p s : / / pay-x . top / a 还款", "登录 https://pay-x.top/a 还款", "https://pay-x.top/a"),
    # homophones written instead of a keyword (data/variants.yaml)
    ("您已鱼期，上正信", "您已逾期,上征信", "逾期"),
    ("加威信处理", "加微信处理", "加微信"),
    # keywords written in letters: initials, whole pinyin, one character in pinyin (variants.yaml letters)
    ("您的jk已yq 3天", "您的借款已逾期3天", "借款已逾期"),
    ("征xin修复，逾qi记录", "征信修复,逾期记录", "征信修复"),
    ("zxxf，当天见效", "征信修复,当天见效", "征信修复,当天"),
    ("你的网dai已经yuqi了", "你的网贷已经逾期了", "网贷已经逾期"),
    ("加 VX 详聊", "加微信详聊", "加微信详聊"),
    # pictographs inside a line next to Chinese text are decoration; those opening or closing a line stay
    ("费用❤3000，修复❤，详情❤ rs-jk.cn", "费用3000,修复,详情 rs-jk.cn", "费用3000"),
    ("📢📢通知：明天见😂", "📢📢通知:明天见😂", "通知"),
    # characters written as their parts, and rare variant forms
    ("亻尔 欠 的 钅戋 再 拖 就 走 氵去 律 程 序", "你欠的钱再拖就走法律程序", "法律"),
    ("请及时还歀，以免影响个人讠正信", "请及时还款,以免影响个人征信", "征信"),
]


@pytest.mark.parametrize(("original", "expected", "keyword"), CASES)
def test_normalised_text_and_span_back_to_original(original, expected, keyword):
    nt = normalize(original)
    assert nt.text == expected
    assert nt.original == original
    assert len(nt.offsets) == len(nt.text)
    start = nt.text.index(keyword)
    span = nt.span(start, start + len(keyword))
    assert span.text == original[span.start:span.end]
    # the mapped original slice normalises back to the keyword (it is the obfuscated form of it)
    assert normalize(span.text).text == keyword


@pytest.mark.parametrize(("original", "keyword", "expected_original"), [
    ("征 信 修 复", "征信", "征 信"),
    ("征❤信", "征信", "征❤信"),
    ("征\u200b信修复", "信修复", "信修复"),
    ("您的借款已逾期，請儘快還款", "还款", "還款"),
    ("ＡＢＣ１２３", "123", "１２３"),
    ("138O0I38000", "0013", "O0I3"),
])
def test_span_points_at_the_received_characters(original, keyword, expected_original):
    nt = normalize(original)
    i = nt.text.index(keyword)
    assert nt.span(i, i + len(keyword)).text == expected_original


def test_punctuation_between_cjk_is_kept():
    # a clause-ending comma is not obfuscation: it must survive (patterns rely on clause boundaries)
    assert normalize("已逾期。请还款").text == "已逾期。请还款"
    assert normalize("欠款，逾期").text == "欠款,逾期"


def test_separators_outside_cjk_are_kept():
    assert normalize("2024-05-01").text == "2024-05-01"
    assert normalize("1,570.44元").text == "1,570.44元"
    assert normalize("a - b").text == "a - b"


def test_masking_asterisks_are_not_separators():
    # "*" masks names and numbers (张**, 李*明, 138****1234); it must survive normalisation
    assert normalize("李*明").text == "李*明"
    assert normalize("张**您好").text == "张**您好"
    assert normalize("138****1234").text == "138****1234"


def test_spaced_out_characters_need_a_run_of_four():
    # ordinary spacing is not obfuscation: words, short lists, initials and amounts keep their spaces
    for text in ("a b c", "a - b - c", "i am ok", "room 1 2", "mr li 3 days", "ab cd ef gh", "5 000 rmb"):
        assert normalize(text).text == text
    assert normalize("ab c d e f").text == "ab cdef"
    # a dot followed by a space ends a sentence, not a host name
    assert normalize("see https://a.cn. then call").text == "see https://a.cn. then call"
    assert normalize("go https://a.cn .b").text == "go https://a.cn .b"


def test_a_message_spaced_out_character_by_character_is_joined_next_to_its_punctuation_and_initials():
    spaced = "Y Q 用 户 请 注 意 ： 您 的 Z D 已 逾 期 ，请 尽 快 h k"
    n = normalize(spaced)
    assert n.text == "逾期用户请注意:您的zd已逾期,请尽快hk"
    start = n.text.index("zd已逾期")
    assert n.span(start, start + len("zd已逾期")).text == "Z D 已 逾 期"
    # ordinary mixed text with a few spaces keeps them next to Latin words
    assert normalize("我的 iPhone 坏了，明天 去修").text == "我的 iphone 坏了,明天去修"
    assert normalize("你嘅 emergency contact 已经 overdue").text == "你嘅 emergency contact 已经 overdue"


def test_variant_spellings_map_back_to_the_received_characters():
    nt = normalize("正 信 花了？鱼期可消")
    assert nt.text == "征信花了?逾期可消"
    assert nt.span(0, 2).text == "正 信"
    assert nt.span(5, 7).text == "鱼期"
    assert normalize("树立威信，维信金科").text == "树立威信,维信金科"  # a word and a lender stay


def test_variant_table_is_stable():
    from anning.text.variants import _table

    canon = _table().canon
    assert canon["鱼期"] == "逾期"
    for spelling, keyword in canon.items():
        assert len(spelling) == len(keyword)
        assert normalize(spelling).text == keyword == normalize(keyword).text


def test_letter_spellings_are_read_as_their_keyword_where_they_stand_as_a_word():
    nt = normalize("您的jk已yq，征xin花了请加v信")
    assert nt.text == "您的借款已逾期,征信花了请加微信"
    assert [(s.text, k) for s, k in nt.respelled] == [("jk", "借款"), ("yq", "逾期"), ("征xin", "征信"),
                                                      ("v信", "微信")]
    i = nt.text.index("征信")
    assert nt.span(i, i + 2).text == "征xin"
    assert nt.span(i + 1, i + 2).text == "征xin"  # a character of a longer spelling stands for all of it
    assert nt.span(i, i + 4).text == "征xin花了"


@pytest.mark.parametrize("text", [
    "请访问 jd-zx.top/zx 处理",  # a link
    "点击 t.cn/A6x**Qk 领取",
    "加微信 kf8812",  # an identifier
    "金额HK$1,200",  # an amount
    "编辑“HK新卡卡号”发至10086",  # hk is Hong Kong and an operator's command code: never read as 还款
    "我在看 cs go",  # a single pair away from Chinese text
    "xyz 已到",  # letters that are no listed spelling
    "qi 了",  # one syllable alone is no keyword
])
def test_letters_that_are_not_a_spelling_stay_letters(text):
    nt = normalize(text)
    assert not nt.respelled
    assert not any(k in nt.text for k in ("逾期", "征信", "客服", "还款", "催收", "信用卡"))


def test_split_characters_point_at_their_parts():
    nt = normalize("您的亻昔款已逾其月，自己的其月收入")
    assert nt.text == "您的借款已逾期,自己的其月收入"
    assert [(s.text, k) for s, k in nt.respelled] == [("亻昔", "借"), ("逾其月", "逾期")]
    assert nt.span(2, 4).text == "亻昔款"


@pytest.mark.parametrize("doc", [
    {"letters": {"逾期": ["y1"]}},  # not letters
    {"letters": {"逾期": ["yq"], "有趣": ["yq"]}},  # listed twice
    {"letters": {"abc": ["ab"]}},  # a keyword without Chinese characters
    {"letters": {"征信": ["征x信"]}},  # letters inside, not at one end
    {"split": {"借": ["亻"]}},  # no longer than its character
    {"split": {"借": ["亻x"]}},  # not Chinese
    {"variants": {"逾期": ["鱼"]}},  # a homophone of another length
])
def test_bad_variant_data_is_refused(doc):
    from anning.text.variants import _Table

    with pytest.raises(ValueError, match=r"variants\.yaml"):
        _Table(doc)


def test_a_run_of_several_spellings_and_an_upper_case_one_are_read():
    nt = normalize("ZXXF，当天见效")
    assert nt.text == "征信修复,当天见效"
    assert [(s.text, k) for s, k in nt.respelled] == [("ZXXF", "征信修复")]


def test_lookalikes_fold_only_between_digits():
    assert normalize("hello").text == "hello"
    assert normalize("io 10").text == "io 10"
    assert normalize("1o1").text == "101"


def test_empty_and_invisible_only():
    nt = normalize("")
    assert nt.text == "" and tuple(nt.offsets) == ()
    assert nt.span(0, 0).text == ""
    nt = normalize("\u200b\u200b")
    assert nt.text == ""
    s = nt.span(0, 0)
    assert s.text == "" and 0 <= s.start <= 2


def test_empty_span_is_empty():
    nt = normalize("征 信 修 复")
    s = nt.span(2, 2)
    assert s.text == "" and s.start == s.end


# -- properties over arbitrary text -----------------------------------------------------------------
OBFUSCATION_ALPHABET = (
    "征信修复还款逾期欠钱借貸還款徵網傳票的了您你"  # simplified and traditional CJK
    "ＡＢＣａｂｃ１２３０ｏｌ"  # full-width
    "abcOIl0123456789"
    " \t\n\u3000-_.·•*|/\\~^+=#@'\"`,、，。!！?？:：;；…～—–"  # joiners and punctuation
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # invisibles
    "❤💰★☆♥🔥✅㎡ﬁ①İß"  # pictographs and NFKC expansions
)
SPELLINGS = ("yq", "zx", "xinyongka", "征xin", "dai款", "v信", "jkyq", "hk", "qi", "YuQi", "http://zx.cn/yq", "kf8")
texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=OBFUSCATION_ALPHABET, max_size=80),
    # keywords written in letters among Chinese text and separators
    st.lists(st.sampled_from([*SPELLINGS, *"征信逾期的了 ，,.-"]), max_size=20).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_offset_map_properties(original):
    nt = normalize(original)
    assert len(nt.offsets) == len(nt.text)
    assert all(0 <= o < len(original) for o in nt.offsets)
    assert all(a <= b for a, b in zip(nt.offsets, nt.offsets[1:], strict=False))
    whole = nt.span(0, len(nt.text))
    assert whole.text == original[whole.start:whole.end]
    if nt.text:
        assert whole.start == nt.offsets[0]
        assert whole.end == (nt.ends or {}).get(nt.offsets[-1], nt.offsets[-1] + 1)
    else:
        assert whole.text == ""


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_every_subrange_maps_to_an_original_slice(original, data):
    nt = normalize(original)
    n = len(nt.text)
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(a, n))
    s = nt.span(a, b)
    assert 0 <= s.start <= s.end <= len(original)
    assert s.text == original[s.start:s.end]
    if a < b:
        last = nt.offsets[b - 1]
        assert s.start == nt.offsets[a] and s.end == (nt.ends or {}).get(last, last + 1)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_normalisation_is_idempotent(original):
    nt = normalize(original)
    # folding width, case, script, look-alikes and removing separators a second time changes nothing
    assert normalize(nt.text).text == nt.text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("征 信-修复ＡＢ１２還款\u200b💰.,"), min_size=1, max_size=30), st.data())
def test_spans_maps_ranges_like_span_one_by_one(original, data):
    """``spans`` (many ranges at once, with a shortcut for 1:1 offsets) = distinct ``span``s sorted."""
    nt = normalize(original)
    if not nt.text:
        return
    n = len(nt.text)
    ranges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n)).filter(lambda r: r[0] < r[1]),
                                max_size=6))
    expected = tuple(sorted({nt.span(a, b) for a, b in ranges}, key=lambda s: (s.start, s.end)))
    assert nt.spans(ranges) == expected
