"""PCRE2's JIT gives the same matches as ``re`` for every pattern it runs: the extractors', the
normaliser's and every rule pattern, on the corpus, on long pasted texts and on random text; and the
whole ``anning batch`` output is byte-identical with PCRE2 switched off."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anning.corpus import shipped_corpus
from anning.detectors import rules
from anning.ml.train import read_corpus
from anning.text import extract, jit, normalize
from anning.text.normalize import normalize as normalise

pytestmark = pytest.mark.skipif(not jit.enabled(), reason="pcre2 not installed or switched off")


CORPUS = [row["text"] for row in read_corpus(shipped_corpus())]
# several messages pasted together, as people forward them: long texts are where PCRE2 runs
PASTED = ["\n".join(CORPUS[i:i + n]) for n in (3, 12, 40) for i in range(0, len(CORPUS), n)]
DUAL = {f"{module.__name__}.{name}": value for module in (extract, normalize)
        for name, value in vars(module).items() if isinstance(value, jit.DualPattern)}


def _matches(pattern, text: str) -> list[tuple]:
    out = []
    for m in pattern.finditer(text):
        out.append((m.span(), *(m.span(g) for g in range(1, pattern.groups + 1))))
    return out


def test_the_extractors_and_the_normaliser_have_pcre2_twins():
    assert {"anning.text.extract._AMOUNT", "anning.text.extract._URL", "anning.text.normalize._JOIN_RUN"} <= set(DUAL)
    assert all(p.fast is not None for p in DUAL.values())


@pytest.mark.parametrize("name", sorted(DUAL))
def test_dual_pattern_engines_agree(name):
    pattern = DUAL[name]
    texts = CORPUS + PASTED
    if not name.startswith("anning.text.normalize"):
        texts = [normalise(t).text for t in texts]
    for text in texts:
        assert _matches(pattern.fast, text) == _matches(pattern.plain, text), text[:80]


def test_every_rule_pattern_agrees_under_pcre2(knowledge):
    plan = rules._plan(knowledge)
    texts = [normalise(t).text for t in CORPUS + PASTED]
    differing = []
    for number in range(len(plan.rule_of)):
        pattern = (plan.entries[number] or plan.entry(number))[0]
        fast = plan.jit(number, pattern)
        assert fast is not None, pattern.pattern
        if any(_matches(fast, t) != _matches(pattern, t) for t in texts):
            differing.append(pattern.pattern)
    assert differing == []


_ALPHABET = st.sampled_from([*"逾期欠款元万千天日号前内今明张某*xo〇l|.-_ :：,，【】[]0123456789１２ ¥$",
                             "http://", "www.", ".com", "\u3000", "\u200b", "微信", "征信", "人民币", "1069"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, min_size=0, max_size=300).map("".join))
def test_engines_agree_on_random_text(text):
    for pattern in DUAL.values():
        assert _matches(pattern.fast, text) == _matches(pattern.plain, text)


def test_a_pcre2_failure_falls_back_to_re():
    class Failing:
        def finditer(self, text):
            raise RuntimeError("match limit exceeded")

        search = finditer

    pattern = jit.DualPattern(re.compile(r"\d+元"))
    pattern.fast = Failing()
    text = "欠款3200元" * 40
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in re.finditer(r"\d+元", text)]
    assert pattern.search(text).span() == (2, 7)


def test_short_texts_stay_on_re():
    pattern = extract._AMOUNT
    assert type(next(pattern.finditer("欠款3200元"))) is re.Match
    assert type(next(pattern.finditer("欠款3200元" + "。" * jit.JIT_FROM))) is not re.Match


def test_batch_output_is_identical_without_pcre2(tmp_path):
    rows = [{"id": str(i), "text": t, "sender": "10690000123" if i % 2 else "13800138000",
             "received_at": "2026-11-20T23:15:00+08:00"} for i, t in enumerate(PASTED[:60] + CORPUS[:60])]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    outputs = []
    for setting in ("1", "0"):
        out = tmp_path / f"out-{setting}.jsonl"
        env = {**os.environ, "ANNING_PCRE2": setting}
        subprocess.run([sys.executable, "-m", "anning", "batch", str(src), str(out), "--no-progress", "--jobs", "1"],
                       check=True, env=env, cwd=Path(__file__).resolve().parents[1])
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") == len(rows)


def test_rule_spans_fall_back_to_re_when_pcre2_fails(engine, monkeypatch):
    """A long text whose PCRE2 run fails (its backtracking limit) still gets every rule's spans, from re."""

    class Failing:
        def finditer(self, text):
            raise RuntimeError("match limit exceeded")

    plan = rules._plan(engine.k)
    long_texts = [t for t in PASTED if len(normalise(t).text) >= jit.JIT_FROM][:40]
    assert long_texts
    prepared = [engine.prepare(_message(t), "zh") for t in long_texts]
    expected = [rules.detect(p, engine.k, use_prefilter=False, gate=False) for p in prepared]
    monkeypatch.setattr(plan, "native", None)  # the C matcher's own fallback: tests/test_native_rules.py
    monkeypatch.setattr(plan, "_jit", dict.fromkeys(range(len(plan.rule_of)), Failing()))
    assert [rules.detect(p, engine.k, use_prefilter=True, gate=False) for p in prepared] == expected


def _message(text: str):
    from anning.model import Message

    return Message(text)
