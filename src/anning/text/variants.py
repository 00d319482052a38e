"""Homophones and look-alike spellings of keywords (``data/variants.yaml``), mapped back to the keyword.

Static package data like OpenCC's tables, read once on first use: every normalised text, whether
analysed, trained on or typed into a personal rule, sees the same mapping."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _table() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    import yaml

    doc = yaml.safe_load(resources.files("anning").joinpath("data", "variants.yaml").read_text(encoding="utf-8"))
    canon: dict[str, str] = {}
    for keyword, spellings in (doc.get("variants") or {}).items():
        for spelling in spellings:
            if len(spelling) != len(keyword) or spelling in canon or spelling == keyword:
                raise ValueError(f"variants.yaml: {spelling!r} must be as long as {keyword!r} and listed once")
            canon[spelling] = keyword
    if any(v in keyword for v in canon for keyword in set(canon.values())):
        raise ValueError("variants.yaml: a keyword contains a variant spelling (the mapping would not be stable)")
    if not canon:
        return None, canon
    return re.compile("|".join(map(re.escape, sorted(canon, key=len, reverse=True)))), canon


def unvary(text: str) -> str:
    """The text with every variant spelling replaced by its keyword (same length)."""
    pattern, canon = _table()
    if pattern is None:
        return text
    return pattern.sub(lambda m: canon[m.group()], text)
