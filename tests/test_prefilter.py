"""The literal prefilter is an optimisation only: it must never change which rules fire."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from anning.detectors import rules
from anning.detectors.prefilter import Prefilter, further_factors, literal_alternatives, required_factors

REPO = Path(__file__).resolve().parents[1]
MESSAGES = [json.loads(line)["text"] for path in sorted((REPO / "src" / "anning" / "corpus").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("(?:已|已经)逾期", {"逾期"}),
    ("欠款|拖欠", {"欠款", "拖欠"}),
    ("(?:请|务必)(?:还款|还清)", {"还款", "还清"}),
    ("[\u4e00-\u9fff]{1,2}\\*", {"*"}),
    ("[\u4e00-\u9fff]{1,2}", None),
    ("a?b?", None),
])
def test_required_factors(pattern, expected):
    got = required_factors(pattern)
    assert (set(got) if got else None) == expected


def test_literal_alternatives_only_for_pure_literal_patterns():
    assert literal_alternatives("欠款|拖欠") == {"欠款", "拖欠"}
    assert literal_alternatives("(?:已|已经)逾期") == {"已逾期", "已经逾期"}
    assert literal_alternatives("逾期\\d+天") is None


@pytest.mark.parametrize("pattern", ["(?i)ABC|abd", "(?i:ABC)", "x(?i:ABC)", "(?:(?i:AB)|cd)ef",
                                     "(?=(?i:AB))abc", "(?i)逾期OK"])
def test_case_insensitive_patterns_have_no_factors(pattern):
    """Messages are lower-cased and the parser keeps literals as written: ``(?i)ABC`` matches "abc",
    which an automaton looking for "ABC" would miss. Such patterns always run, and are never taken
    for a literal list."""
    assert required_factors(pattern) is None
    assert literal_alternatives(pattern) is None
    assert further_factors(pattern) == ()
    prefilter = Prefilter([("R", 0, pattern)])
    assert prefilter.always == [("R", 0)] and not prefilter.pure
    assert ("R", 0) in prefilter.candidates("abc")


def test_every_factor_really_is_required():
    """For every rule pattern, every match found on the corpus contains one of its factors."""
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    for rule in k.rules_for("rules"):
        for pattern in rule.patterns:
            factors = required_factors(pattern.pattern)
            if factors is None:
                continue
            for text in MESSAGES[::7]:
                for m in pattern.finditer(text.lower()):
                    assert any(f in m.group(0) for f in factors), (rule.id, pattern.pattern, m.group(0))


def test_further_factors():
    assert further_factors("(?:已|已经)逾期\\d+天") == (frozenset({"天"}), frozenset({"已"}))
    assert further_factors("欠款|拖欠") == ()
    assert further_factors("[\u4e00-\u9fff]{1,2}") == ()


def test_every_further_factor_really_is_required():
    """Each further set too has a member in every match found on the corpus."""
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    for rule in k.rules_for("rules"):
        for pattern in rule.patterns:
            also = further_factors(pattern.pattern)
            for text in MESSAGES[::5]:
                for m in pattern.finditer(text.lower()):
                    for factors in also:
                        assert any(f in m.group(0) for f in factors), (rule.id, pattern.pattern, m.group(0))


def test_prefilter_changes_no_result(engine):
    from anning.detectors import Prepared

    k = engine.k
    for text in MESSAGES:
        p: Prepared = engine.prepare(engine_message(text), "zh")
        fast = {s.rule for s in rules.detect(p, k, use_prefilter=True)}
        slow = {s.rule for s in rules.detect(p, k, use_prefilter=False)}
        assert fast == slow, text


def engine_message(text: str):
    from anning.model import Message

    return Message(text)


def test_literal_matches_are_leftmost_longest():
    occurrences = [(0, 2), (0, 3), (2, 4), (5, 7)]
    assert Prefilter.literal_matches(occurrences) == [(0, 3), (5, 7)]
    rx = re.compile("abc|ab|cd|fg")
    assert [m.span() for m in rx.finditer("abcdefg")] == [(0, 3), (5, 7)]


def test_shipped_factor_table_is_current(tmp_path):
    """Regenerate with `python -m anning.detectors.prefilter` after editing rules (stale entries are
    only slower, never wrong: unknown patterns are analysed at run time)."""
    from anning.detectors.prefilter import FACTORS_FILE, write_factors_file

    fresh = write_factors_file(tmp_path / FACTORS_FILE)
    shipped = REPO / "src" / "anning" / "data" / FACTORS_FILE
    assert json.loads(fresh.read_text(encoding="utf-8")) == json.loads(shipped.read_text(encoding="utf-8"))


def test_requirement_gating_changes_no_verdict(engine):
    """Rules whose requirements have not fired are not even run; after the engine's own condition check
    the surviving signals must be exactly those of running every rule."""
    from anning.detectors import clock, sender, urls

    k = engine.k
    for text in MESSAGES[::3]:
        p = engine.prepare(engine_message(text), "zh")
        context = [s for det in (sender.detect, clock.detect, urls.detect) for s in det(p, k)]
        prior = frozenset(s.rule for s in context)
        gated = engine._apply_conditions(context + rules.detect(p, k, use_prefilter=True, prior=prior))
        full = engine._apply_conditions(context + rules.detect(p, k, use_prefilter=False, gate=False))
        assert {s.rule for s in gated} == {s.rule for s in full}, text


def test_windowed_search_finds_what_finditer_finds():
    """Long texts search bounded patterns only near their factors: same matches as finditer."""
    from anning.detectors.prefilter import match_window, windowed_finditer
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    texts = [m.lower() for m in MESSAGES[::4]]
    texts += ["。".join(texts[i:i + 12]) for i in range(0, len(texts), 12)]  # long ones too
    # dense ones: overlapping windows are searched together, with several matches per window
    texts += ["".join(texts[i:i + 40]) for i in range(0, len(texts), 200)]
    texts += ["逾期3天欠款5000元今晚8点前还款" * 30, "欠款逾期" * 80]
    for rule in k.rules_for("rules"):
        for pattern in rule.patterns:
            factors = required_factors(pattern.pattern)
            bounds = match_window(pattern.pattern)
            if factors is None or bounds is None:
                continue
            for text in texts:
                starts = sorted({i for f in factors for i in _find_all(text, f)})
                got = [m.span() for m in windowed_finditer(pattern, text, starts, min(map(len, factors)), *bounds)]
                assert got == [m.span() for m in pattern.finditer(text)], (rule.id, pattern.pattern)


def _find_all(text: str, sub: str):
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def test_match_window():
    from anning.detectors.prefilter import match_window

    assert match_window("逾期\\d{1,3}天(?!内)") == (6, 1)
    assert match_window("逾期\\d+天") is None


def _reference_signals(p, k) -> list:
    """The plain semantics the fast path must reproduce: every pattern the prefilter lets through runs
    with ``finditer`` (pure literal lists too: the automaton's occurrences must give what the regex
    gives), rules in order, at most ``MAX_SPANS_PER_RULE`` spans per rule, spans distinct and sorted; a
    negatable rule's matches in a negated clause dropped."""
    from anning.model import Signal

    plan = rules._plan(k)
    prefilter = plan.prefilter
    text, span = p.nt.text, p.nt.span
    keys, _ = prefilter.scan_keys(text)
    out = []
    for position, rule in enumerate(k.rules_for("rules")):
        spans = []
        for index, pattern in enumerate(rule.patterns):
            key = (rule.id, index)
            if key not in keys:
                continue
            for m in pattern.finditer(text):
                a, b = m.span()
                if a == b:
                    continue
                if "ev" in pattern.groupindex and m.start("ev") >= 0:
                    a, b = m.span("ev")
                spans.append((a, b))
                if len(spans) >= rules.MAX_SPANS_PER_RULE:
                    break
        negated = plan.negation[position]
        spans = [span(a, b) for a, b in spans if negated is None or not negated(text, a)]
        if spans:
            unique = sorted(set(spans), key=lambda s: (s.start, s.end))
            out.append(Signal(rule.id, "rules", tuple(unique), unique[0].text))
    return out


# long texts (windowed search), folded ones whose offsets are not the identity, many repeats (span cap)
_ODD_TEXTS = ["。".join(MESSAGES[i:i + 12]) for i in range(0, len(MESSAGES), 12)] + [
    "ＡＢＣ　逾 期 23 天，欠款￥5000元！！\u200b请于今晚8点前还款" * 3,
    "您的借款已逾期㎏３天，请立即还款，否则上门催收。" * 2,
    "欠款" * 40 + "逾期" * 40,
    "您的征信报告将显示逾期记录，征信受损后果自负，已上报征信系统，征信报告可查。" * 2,
    "催收" * 12 + "，本平台将起诉至法院，法院传票、法院判决、律师函已发出，律师函" * 3,
    "",
]


def test_fast_path_gives_exactly_the_reference_signals(engine):
    """Spans, their order and evidence too, not just which rules fire."""
    k = engine.k
    for text in MESSAGES + _ODD_TEXTS:
        p = engine.prepare(engine_message(text), "zh")
        assert rules.detect(p, k, use_prefilter=True, gate=False) == _reference_signals(p, k), text


def test_every_path_gives_the_same_signals_on_generated_messages(engine, monkeypatch):
    """The automaton path (batches, every message after the first), the first-message path (``anning
    check``) and running every pattern give the same signals: spans and evidence included."""
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    generate = pytest.importorskip("generate")
    k = engine.k
    for row in generate.generate_rows(3000, seed=7):
        p = engine.prepare(engine_message(row["text"]), "zh")
        fast = rules.detect(p, k, use_prefilter=True, gate=False)
        monkeypatch.setattr(rules, "_analysed", set())
        assert rules.detect(p, k, use_prefilter=None, gate=False) == fast, row["text"]
        assert rules.detect(p, k, use_prefilter=False, gate=False) == fast, row["text"]


def _pure_literal_texts(k) -> list[str]:
    """Texts made of each pure literal pattern's own literals, where the automaton's occurrences overlap:
    one literal inside another (征信 in 征信报告) or a literal's end the start of another (欠款逾期 +
    逾期金额), side by side and chained; also more than ``MAX_SPANS_PER_RULE`` occurrences of each. Then
    which literal ``finditer`` takes at a position (the first listed that matches there, not
    the longest) and where it goes on from (that match's end) decide the spans."""
    prefilter = rules._prefilter(k)
    texts = []
    for rule in k.rules_for("rules"):
        for index, source in enumerate(rule.sources):
            if (rule.id, index) not in prefilter.pure:
                continue
            literals = sorted(literal_alternatives(source))
            for x in literals:
                for y in literals:
                    if x == y:
                        continue
                    if y in x:
                        texts.append(f"请查看{x}。{y}{x}{y}")
                    for i in range(1, min(len(x), len(y))):
                        if x.endswith(y[:i]):
                            texts.append(f"您的{x}{y[i:]}，{x}{y[i:]}{y}{x}")
                            texts.append(x + y[i:] + y[i:])
            texts.append("，".join(literals) * 2)
            texts.append("".join(literals))
            texts.append("".join(reversed(literals)))
            texts.extend(f"{x} " * (rules.MAX_SPANS_PER_RULE + 3) for x in literals[:3])
    return list(dict.fromkeys(texts))


def test_every_path_gives_the_same_signals_on_overlapping_literals(engine, monkeypatch):
    """The automaton path, the first-message path and running every pattern agree on ids, spans and
    evidence where a pure literal pattern's occurrences overlap or repeat, on the corpus and on odd
    texts: pure literal patterns take their spans from the automaton without running the regex."""
    k = engine.k
    texts = _pure_literal_texts(k)
    assert len(texts) > 50
    for text in texts + MESSAGES + _ODD_TEXTS:
        p = engine.prepare(engine_message(text), "zh")
        fast = rules.detect(p, k, use_prefilter=True, gate=False)
        monkeypatch.setattr(rules, "_analysed", set())
        assert rules.detect(p, k, use_prefilter=None, gate=False) == fast, text
        assert rules.detect(p, k, use_prefilter=False, gate=False) == fast, text


def test_first_call_path_gives_the_same_signals(engine, monkeypatch):
    """The first message of a knowledge pack uses substring checks instead of the automaton."""
    k = engine.k
    for text in MESSAGES[::9] + _ODD_TEXTS:
        p = engine.prepare(engine_message(text), "zh")
        monkeypatch.setattr(rules, "_analysed", set())
        first = rules.detect(p, k, use_prefilter=None, gate=False)
        plain = rules.detect(p, k, use_prefilter=False, gate=False)
        assert first == plain, text


def test_scan_numbers_agrees_with_scan_keys(engine):
    prefilter = rules._prefilter(engine.k)
    for text in [m.lower() for m in MESSAGES] + _ODD_TEXTS:
        keys, occurrences = prefilter.scan_keys(text)
        numbers, hits = prefilter.scan_numbers(text)
        assert numbers == sorted(numbers)
        assert {prefilter.keys[n] for n in numbers} == keys, text
        pure = prefilter.pure_occurrences(hits)
        assert {prefilter.keys[n]: occ for n, occ in pure.items()} == occurrences, text
