"""Text normalisation that keeps an offset map back to the original text.

Detectors match patterns against ``NormalizedText.text``; every match is mapped back with
``span()`` so that evidence always points at the characters the person actually received.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from anning.model import Span
from anning.text.jit import DualPattern
from anning.text.variants import spellings, unvary

# Characters that carry no meaning and are used to break up keywords.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad\u180e")
# Separators that evaders put between CJK characters (征-信, 还.款, 催|收). Removed only when
# they sit between two CJK characters, so decimals, dates and URLs are left alone. "*" is not one:
# it masks names (张**, 李*明) far more often than it splits keywords.
_JOINERS = frozenset(" \t\r\n\u3000-_.·•|/\\~^+=#@'\"`,、，。!！?？:：;；…～—–")
# Look-alike letters folded to digits when they sit between digits (138O0I38000).
_PUNCTUATION = frozenset(",、，。!！?？:：;；…")
_DIGIT_LOOKALIKES = {"o": "0", "〇": "0", "l": "1", "i": "1", "|": "1"}


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: only messages with non-ASCII text need it

    return opencc.OpenCC("t2s")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    original: str
    text: str
    offsets: Sequence[int]  # offsets[i] = index in ``original`` of normalised char i (a range if 1:1)
    # letter and split spellings read as their keyword (yq → 逾期, 亻昔 → 借): their span in the original
    # and the keyword
    respelled: tuple[tuple[Span, str], ...] = ()
    # original start → original end of a spelling read as a shorter keyword (zhengxin → 征信): every
    # character of the keyword maps to the spelling's start, and a span ending in it ends with the spelling
    ends: dict[int, int] | None = field(default=None, hash=False)

    def span(self, start: int, end: int) -> Span:
        """Map a ``[start, end)`` range of the normalised text back to the original text."""
        if not self.offsets or start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return Span(pos, pos, "")
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1
        if self.ends is not None:
            o_end = self.ends.get(o_end - 1, o_end)
        return Span(o_start, o_end, self.original[o_start:o_end])

    def spans(self, ranges: Sequence[tuple[int, int]]) -> tuple[Span, ...]:
        """Map normalised ranges to the distinct original spans they cover, sorted by (start, end)."""
        offsets, original = self.offsets, self.original
        if type(offsets) is range and offsets.start == 0 and offsets.step == 1 and len(offsets) == len(original):
            # one character per character: the offsets are the identity (span would give the same)
            if len(ranges) == 1:
                a, b = ranges[0]
                return (Span(a, b, original[a:b]),)
            return tuple(Span(a, b, original[a:b]) for a, b in sorted(set(ranges)))
        if len(ranges) == 1:
            return (self.span(*ranges[0]),)
        span = self.span
        return tuple(sorted({span(a, b) for a, b in ranges}, key=_start_end))


def _start_end(s: Span) -> tuple[int, int]:
    return (s.start, s.end)


def _span_start_end(item: tuple[Span, str]) -> tuple[int, int]:
    return _start_end(item[0])


class _FoldTable(dict):
    """str.translate table: full width → half width and lower case (NFKC), invisibles removed.
    Filled lazily, one entry per distinct character ever seen."""

    def __missing__(self, ch: str) -> str:
        c = chr(ch)
        if c in _INVISIBLE:
            value = ""
        elif ch < 128:
            value = c.lower()
        else:
            value = unicodedata.normalize("NFKC", c).lower()
        self[ch] = value
        return value


_FOLD = _FoldTable()
_CJK = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"
# Separator runs between CJK characters: joiners (not sentence punctuation), pictographs, emoji parts.
_PICTOGRAPHS = "\u2190-\u2bff\u3200-\u32ff\ufe0e\ufe0f\u200d\U0001f000-\U0001faff"
_JOIN_RUN = DualPattern(re.compile(
    f"(?<=[{_CJK}])[{re.escape(''.join(sorted(_JOINERS - _PUNCTUATION)))}{_PICTOGRAPHS}]+(?=[{_CJK}])"
))
# Spaces between a CJK character and a digit (逾 期 23 天) are spacing obfuscation too.
_CJK_DIGIT_GAP = DualPattern(re.compile(f"(?<=[{_CJK}])[ \\t\\u3000]+(?=\\d)|(?<=\\d)[ \\t\\u3000]+(?=[{_CJK}])"))
# Pictographs next to a CJK character inside a line are decoration too (费用❤3000, 修复❤，, 详情❤ rs-jk.cn);
# those opening or closing a line stay. Removed before the gaps, which they may hide.
_PICTOGRAPH_BY_CJK = DualPattern(re.compile(
    f"(?<=[{_CJK}])[{_PICTOGRAPHS}]+(?=[^\\n])|(?<=[^\\n{_PICTOGRAPHS}])[{_PICTOGRAPHS}]+(?=[{_CJK}])"))
_ANY_PICTOGRAPH = re.compile(f"[{_PICTOGRAPHS}]")
_GAPS = ((_PICTOGRAPH_BY_CJK, _ANY_PICTOGRAPH), (_JOIN_RUN, None), (_CJK_DIGIT_GAP, None))
_LOOKALIKE_RUN = DualPattern(re.compile("(?<=\\d)[o〇li|]+(?=\\d)"))
# A message spaced out character by character (您 的 借 款 已 逾 期 ，请 hk): when most CJK characters are
# followed by a space, a space next to a CJK character is obfuscation wherever it is, not only between two.
_CJK_THEN_SPACE = re.compile(f"[{_CJK}][ \\t\\u3000]")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACED_OUT_MIN_CJK = 6
_SPACED_OUT_SHARE = 0.6
_SPACE_BY_CJK = DualPattern(re.compile(
    # (the first space of a wider gap after a CJK character: the one the spacing-out added)
    f"(?<=[{_CJK}])[ \\t\\u3000](?=\\S|[ \\t\\u3000])|(?<=\\S)[ \\t\\u3000](?=[{_CJK}])"
    "|(?<=(?<![a-z0-9])[a-z0-9])[ \\t\\u3000](?=[a-z0-9](?![a-z0-9]))"))  # and between single letters: Y Q 用 户
# Letters and digits spelt out one by one (h t t p s : / /, v x : a b 1 2 3, 1 3 8 0 0 …): four or more
# single characters each followed by one space. The spaces go; a wider gap ends the run (a word gap).
_SPACED_CHAR = "a-z0-9:/.@_"
_SPACED_RUN = DualPattern(re.compile(
    f"(?<![{_SPACED_CHAR}])[{_SPACED_CHAR}](?:[ \\t][{_SPACED_CHAR}]){{3,}}(?![{_SPACED_CHAR}])"))
# A link written with spaces around its dots and slashes (https:// pay-xx . top / a); a dot with a space
# only after it ends a sentence (see https://a.cn. then …)
_SPACED_LINK = DualPattern(re.compile("(?<=://)[ \\t]?[a-z0-9-]+(?:(?:[./]|[ \\t][./][ \\t])[a-z0-9-]+)+"))


_ONE_TO_ONE: set[str] = set()  # characters known to fold to exactly one character
_SPELLING_ROUNDS = 3


def _fold(original: str) -> tuple[str, list[int] | None]:
    """Per-character folding; offsets are None when every character maps to exactly one."""
    table = _FOLD
    if _ONE_TO_ONE.issuperset(original):  # the usual case once the common characters have been seen
        return original.translate(table), None
    unknown = set(original) - _ONE_TO_ONE
    for c in unknown:
        if len(table[ord(c)]) == 1:
            _ONE_TO_ONE.add(c)
    if not unknown - _ONE_TO_ONE:
        return original.translate(table), None
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(original):
        for fc in table[ord(ch)]:
            chars.append(fc)
            offsets.append(i)
    return "".join(chars), offsets


def _to_simplified(text: str) -> str:
    if text.isascii():
        return text
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_t2s().convert(c) or c for c in text)  # phrase conversion changed length: char by char


def normalize(original: str) -> NormalizedText:
    text, offsets = _fold(original)
    text = _to_simplified(text)
    for runs in (_SPACED_RUN, _SPACED_LINK):
        if runs.search(text):
            text, offsets = _drop_spaces_in(runs, text, offsets)
    if _LOOKALIKE_RUN.search(text):
        text = _LOOKALIKE_RUN.plain.sub(lambda m: "".join(_DIGIT_LOOKALIKES[c] for c in m.group(0)), text)
    if _spaced_out(text):
        text, offsets = _drop(_SPACE_BY_CJK, text, offsets)
    respelled: tuple[tuple[Span, str], ...] = ()
    ends: dict[int, int] = {}
    # spellings before the joins (已 yq 3天 becomes 已逾期3天), and again after them while they find more:
    # a join can put a spelling next to Chinese text (征xin❤yq), and a spelling can make a gap joinable
    for _ in range(_SPELLING_ROUNDS):
        found = spellings(text)
        if found:
            text, offsets, spans, more_ends = _respell(original, text, offsets, found)
            respelled += spans
            ends.update(more_ends or {})
        joined = False
        for gap, needs in _GAPS:
            if (needs is None or needs.search(text)) and gap.search(text):
                text, offsets = _drop(gap, text, offsets)
                joined = True
        if not (found or joined) or text.isascii():
            break
    text = unvary(text)  # after the joins: 正 信 is 正信 by now
    return NormalizedText(original, text, tuple(offsets) if offsets is not None else range(len(text)),
                          tuple(sorted(respelled, key=_span_start_end)), ends or None)


def _respell(original: str, text: str, offsets: list[int] | None, found: list[tuple[int, int, str]]
             ) -> tuple[str, list[int] | None, tuple[tuple[Span, str], ...], dict[int, int] | None]:
    """The text with each ``(start, end, keyword)`` spelling replaced by its keyword, its offset map,
    the spellings' spans in the original with their keywords, and the ends of spellings longer than
    their keyword."""
    base = offsets if offsets is not None else range(len(text))
    spans = tuple(Span(base[a], base[b - 1] + 1, original[base[a]:base[b - 1] + 1]) for a, b, _ in found)
    read = tuple(zip(spans, (keyword for _, _, keyword in found), strict=True))
    if offsets is None and all(b - a == len(keyword) for a, b, keyword in found):
        chars = list(text)
        for a, b, keyword in found:
            chars[a:b] = keyword
        return "".join(chars), None, read, None
    out: list[str] = []
    new_offsets: list[int] = []
    ends: dict[int, int] = {}
    pos = 0
    for (a, b, keyword), span in zip(found, spans, strict=True):
        out.append(text[pos:a])
        new_offsets.extend(base[pos:a])
        out.append(keyword)
        if b - a == len(keyword):
            new_offsets.extend(base[a:b])
        else:
            new_offsets.extend([span.start] * len(keyword))
            ends[span.start] = span.end
        pos = b
    out.append(text[pos:])
    new_offsets.extend(base[pos:])
    return "".join(out), new_offsets, read, ends or None


def _spaced_out(text: str) -> bool:
    if " " not in text and "\t" not in text and "\u3000" not in text:
        return False
    spaced = len(_CJK_THEN_SPACE.findall(text))
    return spaced >= _SPACED_OUT_MIN_CJK and spaced >= _SPACED_OUT_SHARE * len(_CJK_CHAR.findall(text))


def _drop(gap: DualPattern, text: str, offsets: list[int] | None) -> tuple[str, list[int]]:
    """Remove every match of ``gap`` from the text, keeping the offset map in step."""
    return _remove(text, offsets, (m.span() for m in gap.finditer(text)))


def _drop_spaces_in(runs: DualPattern, text: str, offsets: list[int] | None) -> tuple[str, list[int]]:
    """Remove the spaces and tabs inside every match of ``runs``."""
    return _remove(text, offsets, ((i, i + 1) for m in runs.finditer(text)
                                   for i in range(m.start(), m.end()) if text[i] in " \t"))


def _remove(text: str, offsets: list[int] | None, ranges: Iterable[tuple[int, int]]) -> tuple[str, list[int]]:
    """The text without the ``[start, end)`` ranges (in order, not overlapping), and its offset map."""
    base = offsets if offsets is not None else range(len(text))
    kept_chars: list[str] = []
    kept_offsets: list[int] = []
    pos = 0
    for start, end in ranges:
        kept_chars.append(text[pos:start])
        kept_offsets.extend(base[pos:start])
        pos = end
    kept_chars.append(text[pos:])
    kept_offsets.extend(base[pos:])
    return "".join(kept_chars), kept_offsets
