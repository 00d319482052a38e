"""Homophones, look-alike, letter and split spellings of keywords (``data/variants.yaml``), mapped back
to the keyword.

Static package data like OpenCC's tables, read once on first use: every normalised text, whether
analysed, trained on or typed into a personal rule, sees the same mapping. Homophones have their
keyword's length (offsets stay one to one); letter and split spellings may be longer (zhengxin, 征xin,
亻昔), and the normaliser maps the whole spelling to its keyword."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_CJK = "\u4e00-\u9fff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_LETTERS = re.compile("[a-z]+")
# What may stand next to a spelling in letters: the start or end, a space, a Chinese character or an
# opening, closing or separating mark — never another letter or digit, a link, an address, an identifier
# or an amount (jd-zx.top/zx, t.cn/A6x**Qk, kf_8812, a@b, HK$)
_MARKS = frozenset(",:;!?()[]<>{}\"'“”‘’「」『』【】《》、")


class _Table:
    """The three sections of variants.yaml, checked and indexed for the normaliser."""

    def __init__(self, doc: dict):
        self.canon = _homophones(doc.get("variants") or {})  # homophone → keyword
        self.pattern = _alternation(self.canon)
        self.words, self.mixed = _letters(doc.get("letters") or {})  # yq, zhengxin / v信, 征xin → keyword
        self.parted = _parts(doc.get("split") or {})  # 亻昔 → 借
        self.parted_pattern = _alternation(self.parted)
        self.parted_first = re.compile(f"[{''.join(sorted({sp[0] for sp in self.parted}))}]") if self.parted else None
        # how many Chinese characters a mixed spelling has at its end
        self.mixed_cjk = sorted({len(_HAS_CJK.findall(m)) for m in self.mixed})
        self.longest = max(map(len, self.words), default=0)
        # quick rejections: the letters of mixed spellings, the first two letters of words
        self.mixed_letters = frozenset(re.sub(f"[{_CJK}]", "", m) for m in self.mixed)
        self.word_heads = frozenset(w[:2] for w in self.words)

    def split(self, run: str) -> list[str] | None:
        """The run as a sequence of listed letter spellings (longest first), or None when it is not one."""
        if not run:
            return []
        for size in range(min(self.longest, len(run)), 1, -1):
            head = run[:size]
            if head in self.words:
                rest = self.split(run[size:])
                if rest is not None:
                    return [head, *rest]
        return None


def _homophones(section: dict[str, list[str]]) -> dict[str, str]:
    canon: dict[str, str] = {}
    for keyword, spellings in section.items():
        for spelling in spellings:
            if len(spelling) != len(keyword) or spelling in canon or spelling == keyword:
                raise ValueError(f"variants.yaml: {spelling!r} must be as long as {keyword!r} and listed once")
            canon[spelling] = keyword
    if any(v in keyword for v in canon for keyword in set(canon.values())):
        raise ValueError("variants.yaml: a keyword contains a variant spelling (the mapping would not be stable)")
    return canon


def _letters(section: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    words: dict[str, str] = {}
    mixed: dict[str, str] = {}
    for keyword, spellings in section.items():
        for spelling in spellings:
            if spelling in words or spelling in mixed or not _HAS_CJK.search(keyword):
                raise ValueError(f"variants.yaml: letter spelling {spelling!r} listed twice or for a keyword "
                                 "without Chinese characters")
            if re.fullmatch("[a-z]+", spelling):
                words[spelling] = keyword
            elif re.fullmatch(f"[a-z]+[{_CJK}]+|[{_CJK}]+[a-z]+", spelling):
                mixed[spelling] = keyword
            else:
                raise ValueError(f"variants.yaml: letter spelling {spelling!r} must be lower-case letters, or "
                                 "Chinese characters with letters at one end")
    return words, mixed


def _parts(section: dict[str, list[str]]) -> dict[str, str]:
    parted: dict[str, str] = {}
    for keyword, spellings in section.items():
        for spelling in spellings:
            chinese = re.fullmatch(f"[{_CJK}]+", spelling + keyword)
            if spelling in parted or len(spelling) <= len(keyword) or not chinese:
                raise ValueError(f"variants.yaml: split spelling {spelling!r} must be Chinese characters, "
                                 f"longer than {keyword!r}, listed once")
            parted[spelling] = keyword
    return parted


def _alternation(table: dict[str, str]) -> re.Pattern[str] | None:
    """One pattern for all the spellings, longest first; None for none."""
    return re.compile("|".join(map(re.escape, sorted(table, key=len, reverse=True)))) if table else None


@lru_cache(maxsize=1)
def _table() -> _Table:
    import yaml

    doc = yaml.safe_load(resources.files("anning").joinpath("data", "variants.yaml").read_text(encoding="utf-8"))
    return _Table(doc)


def unvary(text: str) -> str:
    """The text with every homophone or look-alike spelling replaced by its keyword (same length)."""
    table = _table()
    if table.pattern is None:
        return text
    canon = table.canon
    return table.pattern.sub(lambda m: canon[m.group()], text)


def spellings(text: str) -> list[tuple[int, int, str]]:
    """The letter and split spellings in a text, as ``(start, end, keyword)``, in order and not
    overlapping: 您的jk已yq → jk 借款, yq 逾期; 征xin修复 → 征xin 征信; 加 vx → vx 微信; 亻昔款 → 亻昔 借.
    A spelling in letters only counts when it stands as a word and, if it is a single word, beside
    Chinese text."""
    if text.isascii():
        return []  # no Chinese text for a spelling to stand beside
    table = _table()
    found: list[tuple[int, int, str]] = []
    runs = [(m.start(), m.end(), m.group()) for m in _LETTERS.finditer(text)]
    # each run read on its own: a mixed spelling, the listed words it is made of, or None
    readings = [(_mixed(text, run, a, b, table) if run in table.mixed_letters else None)
                or (_words(text, run, a, b, table) if run[:2] in table.word_heads else None) for a, b, run in runs]
    spelt = {i for (a, b, _), reading in zip(runs, readings, strict=True) if reading is not None for i in range(a, b)}
    for (a, b, _), reading in zip(runs, readings, strict=True):
        if isinstance(reading, list):  # words: a single one must stand as a word in Chinese text
            reading = None if len(reading) == 1 and not _stands_in_chinese(text, a, b, spelt) \
                else (a, b, "".join(table.words[w] for w in reading))
        if reading is not None and (not found or reading[0] >= found[-1][1]):
            found.append(reading)
    if table.parted_pattern is not None and table.parted_first.search(text):
        split = [(m.start(), m.end(), table.parted[m.group()]) for m in table.parted_pattern.finditer(text)]
        if split:
            found = _merged(found, split)
    return found


def _merged(a: list[tuple[int, int, str]], b: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Two ordered lists of spellings as one, in order, an overlapping later one dropped."""
    out: list[tuple[int, int, str]] = []
    for item in sorted(a + b):
        if not out or item[0] >= out[-1][1]:
            out.append(item)
    return out


def _mixed(text: str, run: str, start: int, end: int, table: _Table) -> tuple[int, int, str] | None:
    """征xin, dai款, v信: the run with Chinese characters on one side, its letters not next to a digit."""
    if not table.mixed:
        return None
    if not text[end:end + 1].isdigit():
        for n in table.mixed_cjk:
            keyword = table.mixed.get(text[start - n:start] + run) if start >= n else None
            if keyword is not None:
                return start - n, end, keyword
    if start == 0 or not text[start - 1].isdigit():
        for n in table.mixed_cjk:
            keyword = table.mixed.get(run + text[end:end + n])
            if keyword is not None:
                return start, end + n, keyword
    return None


def _words(text: str, run: str, start: int, end: int, table: _Table) -> list[str] | None:
    """yq, zhengxin, zxxf: the listed words a run standing as a word is made of, or None."""
    if len(run) < 2 or not (_edge(text, start - 1) and _edge(text, end)):
        return None
    return table.split(run)


def _stands_in_chinese(text: str, start: int, end: int, spelt: set[int]) -> bool:
    """A single word (two or more in one run, zxxf, are no English word): touching Chinese text or one space
    away from it, and not in a phrase of Latin words (我在看 cs go). Letters that are spellings themselves
    (``spelt``) count as the Chinese they stand for."""
    def chinese(i: int) -> bool:
        return i in spelt or _beside(text, i)

    def latin(i: int) -> bool:
        return 0 <= i < len(text) and "a" <= text[i] <= "z" and i not in spelt

    space_before, space_after = text[start - 1:start] == " ", text[end:end + 1] == " "
    if (space_before and latin(start - 2)) or (space_after and latin(end + 1)):
        return False
    return (chinese(start - 1) or chinese(end) or (space_before and chinese(start - 2))
            or (space_after and chinese(end + 1)))


def _edge(text: str, i: int) -> bool:
    if i < 0 or i >= len(text):
        return True
    ch = text[i]
    return ch.isspace() or ch in _MARKS or _HAS_CJK.match(ch) is not None


def _beside(text: str, i: int) -> bool:
    return 0 <= i < len(text) and _HAS_CJK.match(text, i) is not None

