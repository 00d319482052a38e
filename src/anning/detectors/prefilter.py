"""A literal prefilter for the pattern rules: most messages match only a few of them.

For each compiled pattern we derive a set of literal strings such that any match must contain at least
one of them (its "required factors", read off the regex syntax tree). One Aho-Corasick scan of the
message then tells which patterns can possibly match; only those are run. Patterns without such a set
(e.g. ``[\\u4e00-\\u9fff]{1,2}\\*``) are always run. The result is identical to running every pattern.
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as P
from collections.abc import Iterable
from functools import lru_cache

MAX_CLASS = 8  # a character class of up to this many literals still counts as a factor set
MAX_FACTORS = 400


def _literal_set(node: tuple) -> set[str] | None:
    op, av = node
    if op is C.LITERAL:
        return {chr(av)}
    if op is C.IN:
        chars = set()
        for iop, iav in av:
            if iop is C.LITERAL:
                chars.add(chr(iav))
            else:
                return None
        return chars if 0 < len(chars) <= MAX_CLASS else None
    return None


def _seq_factors(seq: Iterable[tuple]) -> set[str] | None:
    """Required factors of a sequence: the best candidate among its elements (and literal runs)."""
    candidates: list[set[str]] = []
    run: list[set[str]] = []  # consecutive single-character sets, multiplied out into strings

    def flush() -> None:
        if run:
            strings = {""}
            for chars in run:
                strings = {s + c for s in strings for c in chars}
                if len(strings) > MAX_FACTORS:
                    break
            if len(strings) <= MAX_FACTORS:
                candidates.append(strings)
            run.clear()

    for node in seq:
        single = _literal_set(node)
        if single is not None:
            run.append(single)
            continue
        flush()
        sub = _node_factors(node)
        if sub is not None:
            candidates.append(sub)
    flush()
    if not candidates:
        return None
    return max(candidates, key=_quality)


def _quality(factors: set[str]) -> tuple[int, int]:
    return (min(len(f) for f in factors), -len(factors))


def _node_factors(node: tuple) -> set[str] | None:
    op, av = node
    if op is C.SUBPATTERN:
        return _seq_factors(av[-1])
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            f = _seq_factors(branch)
            if f is None:
                return None
            out |= f
        return out if len(out) <= MAX_FACTORS else None
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _high, item = av
        if low >= 1:
            return _seq_factors(item)
        return None
    if op is C.ATOMIC_GROUP:
        return _seq_factors(av)
    return _literal_set(node)


@lru_cache(maxsize=4096)
def required_factors(pattern: str) -> frozenset[str] | None:
    """Literal strings at least one of which occurs in every match of ``pattern`` (None: unknown)."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return None
    factors = _seq_factors(list(tree))
    if not factors or any(f == "" for f in factors):
        return None
    return frozenset(factors)


class Prefilter:
    """Maps each factor to the patterns it unlocks; ``candidates(text)`` lists the patterns to run."""

    def __init__(self, patterns: list[tuple[str, int, re.Pattern[str]]]):
        import ahocorasick  # pyahocorasick: built once per knowledge pack

        self.always: list[tuple[str, int]] = []
        by_factor: dict[str, list[tuple[str, int]]] = {}
        for rule_id, index, pattern in patterns:
            factors = required_factors(pattern.pattern)
            if factors is None:
                self.always.append((rule_id, index))
                continue
            for f in factors:
                by_factor.setdefault(f, []).append((rule_id, index))
        self.automaton = ahocorasick.Automaton()
        for factor, targets in by_factor.items():
            self.automaton.add_word(factor, tuple(targets))
        if by_factor:
            self.automaton.make_automaton()
        self.has_words = bool(by_factor)

    def candidates(self, text: str) -> set[tuple[str, int]]:
        found = set(self.always)
        if self.has_words:
            for _end, targets in self.automaton.iter(text):
                found.update(targets)
        return found
