"""The same regular expressions, run by PCRE2's JIT compiler where Python's ``re`` is slow.

``re`` tries a pattern that has no literal prefix at every position of the text in its interpreter;
PCRE2's JIT-compiled matcher does that 3–20 times faster, but its Python binding costs more per call
and per match. On a long text the scan dominates and PCRE2 wins; on a short message (most of them)
the engine gained nothing from it. So a ``DualPattern`` uses PCRE2 from ``JIT_FROM``
characters on and ``re`` below (``benchmarks/regex_engines.py`` measures both, per pattern).

Both engines give the same matches for the patterns used here: tests compare them on the project's
corpus, on long pasted texts and on random text, and compare whole batch outputs. Without the
``pcre2`` package, or with ``ANNING_PCRE2=0`` in the environment, everything runs on ``re``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

try:
    import pcre2
except ImportError:  # pragma: no cover - pcre2 is a dependency; this keeps a broken install working
    pcre2 = None

_FLAGS = ((re.IGNORECASE, "I"), (re.DOTALL, "S"), (re.MULTILINE, "M"), (re.VERBOSE, "X"))
JIT_FROM = 100
_ENABLED = pcre2 is not None and os.environ.get("ANNING_PCRE2", "1") != "0"


def enabled() -> bool:
    return _ENABLED


def jit(pattern: re.Pattern[str]) -> Any | None:
    """PCRE2 (JIT) compilation of ``pattern``, or None when PCRE2 is off or can't take the pattern."""
    if not _ENABLED or pattern.flags & re.ASCII or not isinstance(pattern.pattern, str):
        return None
    flags = pcre2.U
    for re_flag, name in _FLAGS:
        if pattern.flags & re_flag:
            flags |= getattr(pcre2, name)
    try:
        return pcre2.compile(pattern.pattern, flags)
    except Exception:  # a construct PCRE2 reads differently or not at all: stay on re
        return None


class DualPattern:
    """A compiled ``re`` pattern and its PCRE2 twin; ``finditer``/``search`` pick the engine by text
    length. If PCRE2 fails on a text (its backtracking limit), that call is answered by ``re``."""

    __slots__ = ("fast", "from_length", "plain")

    def __init__(self, pattern: re.Pattern[str], from_length: int = JIT_FROM):
        self.plain = pattern
        self.fast = jit(pattern)
        self.from_length = from_length if self.fast is not None else 1 << 62

    @property
    def pattern(self) -> str:
        return self.plain.pattern

    def finditer(self, text: str) -> Iterator[Any]:
        if len(text) < self.from_length:
            return self.plain.finditer(text)
        try:
            return iter(list(self.fast.finditer(text)))
        except Exception:
            return self.plain.finditer(text)

    def search(self, text: str) -> Any | None:
        if len(text) < self.from_length:
            return self.plain.search(text)
        try:
            return self.fast.search(text)
        except Exception:
            return self.plain.search(text)
