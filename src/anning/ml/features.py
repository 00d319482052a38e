"""Features shared by training and inference: character 1–3-grams of the normalised text (digits folded
to 0 so amounts and dates generalise) plus whole Latin words for English and mixed messages."""

from __future__ import annotations

import re
from collections import Counter
from itertools import filterfalse

NGRAM_MIN = 1
NGRAM_MAX = 3
_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[a-z]{2,}")
WORD = _WORD  # whole Latin words, counted as "w:<word>"


_NOT_WORD = re.compile(r"[^\w]|_")


def prepare(normalised: str) -> str:
    """Digits → 0; spaces, punctuation and masks (*) → one space each, keeping the length (so offsets
    stay valid): n-grams of punctuation or masks carry no meaning and only overfit the corpus."""
    return _NOT_WORD.sub(" ", _DIGITS.sub("0", normalised))


def features(normalised: str) -> Counter[str]:
    text = prepare(normalised)
    n = len(text)
    grams = [text[i:i + size] for size in range(NGRAM_MIN, NGRAM_MAX + 1) for i in range(n - size + 1)]
    out = Counter(filterfalse(str.isspace, grams))
    out.update("w:" + w for w in _WORD.findall(text))
    return out


def locate(prepared: str, feature: str) -> list[tuple[int, int]]:
    """Where a feature occurs in the ``prepare``d text (same offsets as the normalised text)."""
    text = prepared
    if feature.startswith("w:"):
        return [(m.start(), m.end()) for m in re.finditer(rf"(?<![a-z]){re.escape(feature[2:])}(?![a-z])", text)]
    spans, start = [], text.find(feature)
    while start >= 0 and len(spans) < 4:
        spans.append((start, start + len(feature)))
        start = text.find(feature, start + 1)
    return spans
