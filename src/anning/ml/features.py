"""Features shared by training and inference: character 1–3-grams of the normalised text (digits folded
to 0 so amounts and dates generalise) plus whole Latin words for English and mixed messages."""

from __future__ import annotations

import re
from collections import Counter

NGRAM_MIN = 1
NGRAM_MAX = 3
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]{2,}")


def prepare(normalised: str) -> str:
    """Digits → 0 and whitespace → one space, keeping the length (so offsets stay valid)."""
    return _SPACES.sub(lambda m: " " * len(m.group(0)), _DIGITS.sub("0", normalised))


def features(normalised: str) -> Counter[str]:
    text = prepare(normalised)
    out: Counter[str] = Counter()
    n = len(text)
    for size in range(NGRAM_MIN, NGRAM_MAX + 1):
        for i in range(n - size + 1):
            gram = text[i:i + size]
            if any(c.isalnum() for c in gram):  # n-grams of only spaces, masks or punctuation carry no meaning
                out[gram] += 1
    for m in _WORD.finditer(text):
        out["w:" + m.group(0)] += 1
    return out


def locate(normalised: str, feature: str) -> list[tuple[int, int]]:
    """Where a feature occurs in the normalised text (for evidence spans)."""
    text = prepare(normalised)
    if feature.startswith("w:"):
        return [(m.start(), m.end()) for m in re.finditer(rf"(?<![a-z]){re.escape(feature[2:])}(?![a-z])", text)]
    spans, start = [], text.find(feature)
    while start >= 0 and len(spans) < 4:
        spans.append((start, start + len(feature)))
        start = text.find(feature, start + 1)
    return spans
