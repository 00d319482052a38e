"""Text normalisation that keeps an offset map back to the original text.

Detectors match patterns against ``NormalizedText.text``; every match is mapped back with
``span()`` so that evidence always points at the characters the person actually received.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anning.model import Span

# Characters that carry no meaning and are used to break up keywords.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad\u180e")
# Separators that evaders put between CJK characters (征-信, 还.款, 催|收). Removed only when
# they sit between two CJK characters, so decimals, dates and URLs are left alone. "*" is not one:
# it masks names (张**, 李*明) far more often than it splits keywords.
_JOINERS = frozenset(" \t\r\n\u3000-_.·•|/\\~^+=#@'\"`,、，。!！?？:：;；…～—–")
# Look-alike letters folded to digits when they sit between digits (138O0I38000).
_DIGIT_LOOKALIKES = {"o": "0", "〇": "0", "l": "1", "i": "1", "|": "1"}


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def _is_symbolic(ch: str) -> bool:
    """Emoji, dingbats and other pictographs used as separators (征❤信)."""
    cat = unicodedata.category(ch)
    return cat in ("So", "Sk", "Cn", "Co") or 0x1F000 <= ord(ch) <= 0x1FAFF


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: only messages with non-ASCII text need it

    return opencc.OpenCC("t2s")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    original: str
    text: str
    offsets: tuple[int, ...]  # offsets[i] = index in ``original`` of normalised char i

    def span(self, start: int, end: int) -> Span:
        """Map a ``[start, end)`` range of the normalised text back to the original text."""
        if not self.offsets or start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return Span(pos, pos, "")
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1
        return Span(o_start, o_end, self.original[o_start:o_end])


def _to_simplified(chars: list[str]) -> list[str]:
    joined = "".join(chars)
    if joined.isascii():
        return chars
    converted = _t2s().convert(joined)
    if len(converted) == len(joined):
        return list(converted)
    return [_t2s().convert(c) or c for c in chars]  # phrase conversion changed length: go char by char


def normalize(original: str) -> NormalizedText:
    # Pass 1: per-character folding (width, case, invisibles), keeping the source index.
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(original):
        if ch in _INVISIBLE:
            continue
        if ord(ch) < 128:
            folded = ch.lower()
        else:
            folded = unicodedata.normalize("NFKC", ch).lower()
            if not folded:
                continue
        for fc in folded:
            chars.append(fc)
            offsets.append(i)

    chars = _to_simplified(chars)

    # Pass 2: drop separators and pictographs wedged between CJK characters, fold look-alike digits.
    out: list[str] = []
    out_offsets: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        ch = chars[i]
        if (ch in _JOINERS or _is_symbolic(ch)) and out and _is_cjk(out[-1]):
            j = i
            while j < n and (chars[j] in _JOINERS or _is_symbolic(chars[j])):
                j += 1
            run = chars[i:j]
            # Keep real punctuation runs (a comma ending a clause); drop only pure-obfuscation runs.
            if j < n and _is_cjk(chars[j]) and _is_obfuscation(run):
                i = j
                continue
        if ch in _DIGIT_LOOKALIKES and out and out[-1].isdigit():
            j = i
            while j < n and chars[j] in _DIGIT_LOOKALIKES:
                j += 1
            if j < n and chars[j].isdigit():
                ch = _DIGIT_LOOKALIKES[ch]
        out.append(ch)
        out_offsets.append(offsets[i])
        i += 1
    return NormalizedText(original, "".join(out), tuple(out_offsets))


_PUNCTUATION = frozenset(",、，。!！?？:：;；…")


def _is_obfuscation(run: list[str]) -> bool:
    """A separator run between two CJK characters is obfuscation unless it holds sentence punctuation."""
    return not any(c in _PUNCTUATION for c in run)
