"""Evasion: the same messages, rewritten the way evaders write keywords, keep their verdict.

The validation sets in corpus/holdout/ are rewritten by each obfuscation below (a keyword in pinyin
initials, one character of it in pinyin, characters split into their parts, spaced out, zero-width
characters, emoji between characters, full-width letters, traditional characters). Among the messages a
rewrite touched, nearly every verdict must stay what it was for the plain text, and a scam must stay a
scam: an evader gains nothing by respelling."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import opencc
import pytest

from anning.evaluation import SCAM_KINDS

REPO = Path(__file__).resolve().parents[1]
SETS = ("holdout", "val-2", "val-3", "val-4", "val-5")


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def _replacing(table: dict[str, str]) -> Callable[[str], str]:
    def rewrite(text: str) -> str:
        for plain, spelt in table.items():
            text = text.replace(plain, spelt)
        return text
    return rewrite


_S2T = opencc.OpenCC("s2t")
# name → (rewrite, share of touched messages whose kind must stay, scams allowed to stop being scams)
OBFUSCATIONS: dict[str, tuple[Callable[[str], str], float, int]] = {
    "pinyin initials": (_replacing({"征信": "zx", "逾期": "yq", "贷款": "dk", "微信": "vx", "催收": "cs",
                                    "借款": "jk", "欠款": "qk", "网贷": "wd", "客服": "kf", "修复": "xf"}), 0.96, 4),
    "one character in pinyin": (_replacing({"征信": "征xin", "逾期": "逾qi", "贷款": "dai款", "微信": "wei信",
                                            "催收": "cui收", "还款": "还kuan", "起诉": "起su", "法院": "fa院",
                                            "借款": "jie款", "欠款": "欠kuan", "网贷": "网dai", "修复": "xiu复"}),
                                0.97, 3),
    "split characters": (_replacing({"借": "亻昔", "你": "亻尔", "钱": "钅戋", "法": "氵去", "信": "亻言",
                                     "请": "讠青", "停": "亻亭", "催": "亻崔", "押": "扌甲"}), 0.99, 1),
    "spaced out": (lambda t: "".join(c + (" " if _cjk(c) else "") for c in t), 0.98, 1),
    "zero-width characters": (lambda t: "".join(c + ("\u200b" if _cjk(c) else "") for c in t), 0.995, 0),
    "emoji between characters": (lambda t: "".join(c + ("❤" if _cjk(c) and i % 3 == 0 else "")
                                                   for i, c in enumerate(t)), 0.98, 1),
    "full-width letters and digits": (lambda t: "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c
                                                        for c in t), 0.995, 0),
    "traditional characters": (_S2T.convert, 0.99, 1),
}


@pytest.fixture(scope="module")
def plain(engine):
    rows = [json.loads(line) for name in SETS
            for line in (REPO / "corpus" / "holdout" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return rows, _kinds(engine, [r["text"] for r in rows], rows)


def _kinds(engine, texts: list[str], rows: list[dict]) -> list[str]:
    requests = [(t, r.get("sender"), r.get("received_at"), str(i))
                for i, (t, r) in enumerate(zip(texts, rows, strict=True))]
    return [v.kind for i in range(0, len(requests), 512) for v in engine.analyze_batch(requests[i:i + 512])]


@pytest.mark.parametrize("name", OBFUSCATIONS)
def test_an_evader_gains_nothing_by_respelling(engine, plain, name):
    rewrite, keep_share, scams_lost_at_most = OBFUSCATIONS[name]
    rows, before = plain
    texts = [rewrite(r["text"]) for r in rows]
    touched = [i for i, (t, r) in enumerate(zip(texts, rows, strict=True)) if t != r["text"]]
    assert len(touched) > 300, f"{name}: the rewrite touched only {len(touched)} messages"
    after = _kinds(engine, [texts[i] for i in touched], [rows[i] for i in touched])
    changed = [(rows[i]["text"], before[i], kind) for i, kind in zip(touched, after, strict=True) if kind != before[i]]
    kept = 1 - len(changed) / len(touched)
    lost = [c for c in changed if c[1] in SCAM_KINDS and c[2] not in SCAM_KINDS]
    assert kept >= keep_share, f"{name}: {len(changed)} of {len(touched)} verdicts changed, e.g. {changed[:5]}"
    assert len(lost) <= scams_lost_at_most, f"{name}: scams no longer called scams: {lost}"
