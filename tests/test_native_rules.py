"""The C matcher (``anning.detectors._rx``, PCRE2's JIT) gives every rule pattern the same matches as
``re``: on the corpus, on long pasted texts and on random text, with the "ev" group, the per-rule limit
and re's handling of empty matches; where PCRE2 gives up, ``re`` answers; and ``detect`` returns the
same signals with and without it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anning.corpus import shipped_corpus
from anning.detectors import rules
from anning.ml.train import read_corpus
from anning.model import Message
from anning.text.normalize import normalize

_rx = pytest.importorskip("anning.detectors._rx", reason="the C matcher was not built")

CORPUS = [row["text"] for row in read_corpus(shipped_corpus())]
PASTED = ["\n".join(CORPUS[i:i + n]) for n in (3, 40) for i in range(0, len(CORPUS), n)]
LIMIT = rules.MAX_SPANS_PER_RULE


def _by_re(pattern: re.Pattern[str], text: str, limit: int = LIMIT) -> list[tuple[int, int]]:
    return rules._ranges(pattern.finditer(text), pattern.groupindex.get("ev", 0), limit)


@pytest.fixture(scope="module")
def plan(knowledge):
    plan = rules._plan(knowledge)
    if plan.native is None:
        pytest.skip("PCRE2 switched off (ANNING_PCRE2=0)")
    return plan


def _patterns(plan) -> list[re.Pattern[str]]:
    return [(plan.entries[n] or plan.entry(n))[0] for n in range(len(plan.rule_of))]


def test_every_rule_pattern_runs_natively(plan):
    assert [n for n in range(len(plan.rule_of)) if not plan.native.compiles(n)] == []


def test_every_rule_pattern_matches_as_re_does(plan):
    patterns = _patterns(plan)
    everything = list(range(len(patterns)))
    differing = set()
    for text in [normalize(t).text for t in CORPUS + PASTED]:
        native = plan.native.match(text, everything, LIMIT)
        for n, pattern in enumerate(patterns):
            if native.get(n, []) != _by_re(pattern, text):
                differing.add(pattern.pattern[:80])
    assert differing == set()


_ALPHABET = st.sampled_from([*"逾期欠款元万千天日号前内今明张某*xo〇l|.-_ :：,，【】[]0123456789１２ ¥$\n",
                             "http://", "www.", ".com", "\u3000", "微信", "征信", "人民币", "1069", "转告",
                             "你表哥", "还款", "账户", "银行卡", "客服", "𠀀", "é"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, min_size=0, max_size=120).map("".join))
def test_random_text_matches_as_re_does(plan, text):
    patterns = _patterns(plan)
    native = plan.native.match(text, range(len(patterns)), LIMIT)
    assert {n: r for n, p in enumerate(patterns) if (r := _by_re(p, text))} == native


@pytest.mark.parametrize("source", [r"x*", r"\b", r"(?=欠)|欠款?", r"a|", r"(?:)", r"\d*元?", r"(?<=欠)款?"])
@pytest.mark.parametrize("text", ["", "x", "xxaxx", "欠款欠欠款 3元x", "é欠𠀀款\n"])
def test_empty_matches_advance_as_in_re(source, text):
    matcher = _rx.Matcher([(source, 0)])
    assert matcher.match(text, [0], 100).get(0, []) == _by_re(re.compile(source), text, 100)


def test_the_ev_group_and_the_limit():
    source = r"还(?P<ev>\d+)元|欠款"
    text = "欠款，还100元，还20元" + "，欠款" * 20
    matcher = _rx.Matcher([(source, 0)])
    for limit in (1, 3, 8):
        assert matcher.match(text, [0], limit)[0] == _by_re(re.compile(source), text, limit)
    assert matcher.match(text, [0], 3)[0] == [(0, 2), (4, 7), (10, 12)]


def test_what_pcre2_cannot_do_is_left_to_re():
    matcher = _rx.Matcher([(r"(a+)+$", 0), (r"\w+", re.ASCII), (r"(?u)x", 0), (r"a", 0)])
    assert [matcher.compiles(n) for n in range(4)] == [True, False, False, True]
    # catastrophic backtracking: PCRE2 stops at its match limit, re would have to answer
    assert matcher.match("a" * 40 + "b", [0, 3], 8) == {0: None, 3: [(n, n + 1) for n in range(8)]}
    assert matcher.match("x", [1, 2, 3], 8) == {1: None, 2: None}
    assert matcher.match("\ud800a", [3], 8) is None  # no UTF-8 form: everything goes to re
    with pytest.raises(IndexError):
        matcher.match("a", [4], 8)


def test_patterns_ending_with_backslash_z_stay_on_re():
    matcher = rules._native_matcher([r"欠款\Z", r"欠款$"])
    assert matcher is not None
    assert [matcher.compiles(0), matcher.compiles(1)] == [False, True]


def test_detect_gives_the_same_signals_without_the_matcher(engine, plan, monkeypatch):
    prepared = [engine.prepare(Message(t), "zh") for t in CORPUS[::3] + PASTED[:30]]
    native = [rules.detect(p, engine.k) for p in prepared]
    assert sum(map(len, native)) > len(prepared)  # rules fired: the comparison means something
    monkeypatch.setattr(plan, "native", None)
    assert [rules.detect(p, engine.k) for p in prepared] == native


@pytest.mark.parametrize(("setting", "expected"), [({}, "on"), ({"ANNING_NATIVE": "0"}, "off"),
                                                   ({"ANNING_PCRE2": "0"}, "off")])
def test_the_matcher_can_be_turned_off(setting, expected):
    code = ("from anning.detectors import rules; from anning.knowledge import load_knowledge; "
            "print('off' if rules._plan(load_knowledge()).native is None else 'on')")
    env = {key: value for key, value in os.environ.items() if key not in ("ANNING_NATIVE", "ANNING_PCRE2")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**env, **setting})
    assert out.stdout.strip() == expected
