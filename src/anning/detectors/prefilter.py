"""A literal prefilter for the pattern rules: most messages match only a few of them.

For each compiled pattern we derive a set of literal strings such that any match must contain at least
one of them (its "required factors", read off the regex syntax tree). One Aho-Corasick scan of the
message then tells which patterns can possibly match; only those are run. Patterns without such a set
(e.g. ``[\\u4e00-\\u9fff]{1,2}\\*``) are always run. The result is identical to running every pattern.
"""

from __future__ import annotations

import hashlib
import json
import re
import re._constants as C
import re._parser as P
from collections.abc import Iterable, Iterator
from functools import lru_cache, reduce
from importlib import resources
from operator import itemgetter, or_
from pathlib import Path

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


_ZERO_WIDTH = (C.ASSERT, C.ASSERT_NOT, C.AT)


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
        if node[0] in _ZERO_WIDTH:  # lookarounds and anchors consume nothing: the run goes on ("l(?<!.l)oan")
            continue
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


def _union(branches, each) -> set[str] | None:
    """Union of ``each(branch)`` over the branches of an alternation; None if any branch is None."""
    out: set[str] = set()
    for branch in branches:
        part = each(branch)
        if part is None:
            return None
        out |= part
    return out


def _node_factors(node: tuple) -> set[str] | None:
    op, av = node
    if op is C.SUBPATTERN:
        return _seq_factors(av[-1])
    if op is C.BRANCH:
        out = _union(av[1], _seq_factors)
        return out if out is not None and len(out) <= MAX_FACTORS else None
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _high, item = av
        if low >= 1:
            return _seq_factors(item)
        return None
    if op is C.ATOMIC_GROUP:
        return _seq_factors(av)
    return _literal_set(node)


def _ignores_case(tree) -> bool:
    """Whether any part of a parsed pattern matches case-insensitively (``(?i)``, ``(?i:...)``). The
    parser keeps such literals as written while the regex also matches them in other cases, so they
    are neither factors nor a pure literal list: messages are lower-cased, ``(?i)ABC`` still matches."""
    if tree.state.flags & C.SRE_FLAG_IGNORECASE:
        return True

    def walk(seq) -> bool:
        for op, av in seq:
            if op is C.SUBPATTERN:
                if av[1] & C.SRE_FLAG_IGNORECASE:
                    return True
                parts = (av[-1],)
            elif op is C.BRANCH:
                parts = av[1]
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                parts = (av[2],)
            elif op is C.ATOMIC_GROUP:
                parts = (av,)
            elif op is C.ASSERT or op is C.ASSERT_NOT:
                parts = (av[1],)
            elif op is C.GROUPREF_EXISTS:
                parts = tuple(part for part in av[1:] if part is not None)
            else:
                continue
            if any(walk(part) for part in parts):
                return True
        return False

    return walk(tree)


@lru_cache(maxsize=4096)
def literal_alternatives(pattern: str) -> frozenset[str] | None:
    """The exact strings a pattern matches when it is nothing but an alternation of literals."""
    try:
        parsed = P.parse(pattern)
    except re.error:
        return None
    if _ignores_case(parsed):
        return None
    tree = list(parsed)

    def strings(seq) -> set[str] | None:
        out = {""}
        for op, av in seq:
            if op is C.LITERAL:
                out = {s + chr(av) for s in out}
            elif op is C.SUBPATTERN and not av[1] and not av[2]:
                inner = strings(av[-1])
                if inner is None:
                    return None
                out = {s + t for s in out for t in inner}
            elif op is C.BRANCH:
                alts = _union(av[1], strings)
                if alts is None:
                    return None
                out = {s + t for s in out for t in alts}
            else:
                return None
            if len(out) > MAX_FACTORS:
                return None
        return out

    found = strings(tree)
    return frozenset(found) if found and "" not in found else None


@lru_cache(maxsize=4096)
def required_factors(pattern: str) -> frozenset[str] | None:
    """Literal strings at least one of which occurs in every match of ``pattern`` (None: unknown)."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return None
    if _ignores_case(tree):
        return None
    factors = _seq_factors(list(tree))
    if not factors or any(f == "" for f in factors):
        return None
    return frozenset(factors)


@lru_cache(maxsize=4096)
def further_factors(pattern: str) -> tuple[frozenset[str], ...]:
    """Other literal sets each of which must also have a member in every match: the factor sets of the
    remaining top-level elements besides the best one (``required_factors``). A text lacking any of
    them cannot match either."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return ()
    best = required_factors(pattern)
    if best is None:
        return ()
    out: list[frozenset[str]] = []
    run: list[set[str]] = []

    def flush() -> None:
        if run:
            strings = {""}
            for chars in run:
                strings = {s + c for s in strings for c in chars}
                if len(strings) > MAX_FACTORS:
                    break
            if len(strings) <= MAX_FACTORS:
                out.append(frozenset(strings))
            run.clear()

    for node in list(tree):
        single = _literal_set(node)
        if single is not None:
            run.append(single)
            continue
        flush()
        sub = _node_factors(node)
        if sub is not None:
            out.append(frozenset(sub))
    flush()
    return tuple(sorted({f for f in out if f and "" not in f and f != best}, key=sorted))


def _lookahead_reach(seq) -> int | None:
    """Upper bound on how far past the characters it consumes a match attempt may look (the widths of
    all lookaheads added up); None when the pattern has a construct this does not model."""
    total = 0
    for op, av in seq:
        if op is C.ASSERT or op is C.ASSERT_NOT:
            direction, sub = av
            if direction == 1:
                total += sub.getwidth()[1]
            inner = _lookahead_reach(sub)
        elif op is C.SUBPATTERN:
            inner = _lookahead_reach(av[-1])
        elif op is C.BRANCH:
            parts = [_lookahead_reach(b) for b in av[1]]
            inner = None if None in parts else sum(parts)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            inner = _lookahead_reach(av[2])
        elif op is C.ATOMIC_GROUP:
            inner = _lookahead_reach(av)
        elif op in (C.GROUPREF, C.GROUPREF_EXISTS, C.GROUPREF_IGNORE, C.GROUPREF_LOC_IGNORE,
                    C.GROUPREF_UNI_IGNORE):
            return None
        else:
            inner = 0
        if inner is None:
            return None
        total += inner
    return total


@lru_cache(maxsize=4096)
def match_window(pattern: str) -> tuple[int, int] | None:
    """``(longest match, lookahead reach)`` when every match of ``pattern`` is at most that long and its
    lookaheads are bounded; None otherwise. See ``windowed_finditer``."""
    try:
        tree = P.parse(pattern)
    except re.error:
        return None
    longest = tree.getwidth()[1]
    reach = _lookahead_reach(list(tree))
    if longest >= C.MAXREPEAT or reach is None or reach >= C.MAXREPEAT:
        return None
    return longest, reach


def windowed_finditer(pattern: re.Pattern[str], text: str, starts: list[int], shortest_factor: int,
                      longest: int, reach: int) -> Iterator[re.Match[str]]:
    """The matches ``pattern.finditer(text)`` gives, found by searching only near factor occurrences.

    ``starts``: sorted start positions of the pattern's required factors in ``text``. A match contains
    a factor occurrence at some q and is at most ``longest`` long, so it starts within
    [q + shortest_factor − longest, q]; characters more than ``longest + reach`` past q are never looked
    at by an attempt starting at or before q (lookbehinds and ``^`` see the real text before ``pos``;
    the extra 2 keep ``$`` away from ``endpos``). So a search in that window that finds a match
    starting at or before q finds exactly the match ``finditer`` would; otherwise no match starts at
    or before q. Patterns here never match the empty string (they contain a factor)."""
    n = len(text)
    pos = 0
    i = j = 0
    count = len(starts)
    while i < count:
        q = starts[i]
        if q < pos:
            i += 1
            continue
        # Occurrences whose windows overlap are searched as one window (fewer scans, none longer): an
        # attempt starting at or before the last of them is exact, as above. starts[i..j] is a maximal
        # chain of overlapping windows, so j stays valid for a later i in the same chain.
        j = max(i, j)
        while j + 1 < count and starts[j + 1] + shortest_factor - longest <= starts[j] + longest + reach + 2:
            j += 1
        last = starts[j]
        m = pattern.search(text, max(pos, q + shortest_factor - longest), min(n, last + longest + reach + 2))
        if m is None or m.start() > last:
            i = j + 1
            continue
        yield m
        pos = m.end()  # > q: the match contains an occurrence not before q
        i += 1


FACTORS_FILE = "prefilter-factors.json"
_second = itemgetter(1)


def _source_key(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def shipped_factors() -> dict[str, list[str] | None]:
    """Factors computed ahead of time for the packaged rules (``python -m anning.detectors.prefilter``);
    any pattern missing from the file (an edited rule) is analysed at run time instead."""
    path = resources.files("anning") / "data" / FACTORS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def factors_for(source: str) -> frozenset[str] | None:
    table = shipped_factors()
    key = _source_key(source)
    if key in table:
        value = table[key]
        return frozenset(value) if value is not None else None
    return required_factors(source)


def further_factors_for(source: str) -> tuple[frozenset[str], ...]:
    table = shipped_factors()
    key = "also:" + _source_key(source)
    if key in table:
        return tuple(frozenset(f) for f in table[key])
    return further_factors(source)


def is_pure_literal(source: str, factors: frozenset[str] | None) -> bool:
    table = shipped_factors()
    key = "pure:" + _source_key(source)
    if key in table:
        return bool(table[key])
    return factors is not None and literal_alternatives(source) == factors


class Prefilter:
    """Maps each factor to the patterns it unlocks. ``scan(text)`` returns, per pattern that can match,
    where its factors occur; for a pattern that is only a list of literals those occurrences *are* the
    matches, so the regex need not run at all (``literal_matches``)."""

    def __init__(self, patterns: list[tuple[str, int, str]]):
        import ahocorasick  # pyahocorasick: built once per knowledge pack

        self.keys: list[tuple[str, int]] = [(rule_id, index) for rule_id, index, _ in patterns]  # by number
        self.always: list[tuple[str, int]] = []
        self.pure: set[tuple[str, int]] = set()
        self.factors: dict[tuple[str, int], frozenset[str] | None] = {}
        by_factor: dict[str, list[tuple[str, int]]] = {}
        self._sources = {(rule_id, index): source for rule_id, index, source in patterns}
        for rule_id, index, source in patterns:
            factors = factors_for(source)
            self.factors[(rule_id, index)] = factors
            if factors is None:
                self.always.append((rule_id, index))
                continue
            if is_pure_literal(source, factors):
                self.pure.add((rule_id, index))
            for f in factors:
                by_factor.setdefault(f, []).append((rule_id, index))
        self._by_factor = by_factor
        self._automaton = None
        self._ahocorasick = ahocorasick

    @property
    def automaton(self):
        """Each factor → its index; per index: length, the patterns it unlocks, and those of them that
        are pure literal lists (whose occurrences are their matches)."""
        if self._automaton is None:
            automaton = self._ahocorasick.Automaton()
            self._lengths: list[int] = []
            self._targets: list[tuple[tuple[str, int], ...]] = []
            self._pure_targets: list[tuple[tuple[str, int], ...]] = []
            for factor, targets in self._by_factor.items():
                automaton.add_word(factor, len(self._targets))
                self._lengths.append(len(factor))
                self._targets.append(tuple(targets))
                self._pure_targets.append(tuple(t for t in targets if t in self.pure))
            self._has_pure = frozenset(i for i, t in enumerate(self._pure_targets) if t)
            # further required sets per pattern, as sets of factor indices (new factors added as needed)
            self._further: dict[tuple[str, int], tuple[frozenset[int], ...]] = {}
            index_of = {factor: i for i, factor in enumerate(self._by_factor)}
            for key, factors in self.factors.items():
                if factors is None or key in self.pure:
                    continue
                needs = []
                for extra in further_factors_for(self._sources[key]):
                    for f in extra:
                        if f not in index_of:
                            index_of[f] = len(self._targets)
                            automaton.add_word(f, index_of[f])
                            self._lengths.append(len(f))
                            self._targets.append(())
                            self._pure_targets.append(())
                    needs.append(frozenset(index_of[f] for f in extra))
                if needs:
                    self._further[key] = tuple(needs)
            self._checked = frozenset(self._further)
            self._index_of = index_of
            self._number_tables()
            if self._by_factor:
                automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def _number_tables(self) -> None:
        """The automaton's tables by pattern number (see ``scan_numbers``), as bit masks: bit n is
        pattern n, bit ``len(keys) + m`` is the m-th distinct further set. Per factor index, the
        patterns it unlocks and the further sets it satisfies; per pattern, the further sets it needs."""
        number = {key: i for i, key in enumerate(self.keys)}
        width = len(self.keys)
        need_bits: dict[frozenset[int], int] = {}
        masks = [sum(1 << number[key] for key in targets) for targets in self._targets]
        self._needs = [0] * width  # pattern number → mask of the further sets it needs
        for key, needs in self._further.items():
            mask = 0
            for need in needs:
                if need not in need_bits:
                    need_bits[need] = bit = 1 << (width + len(need_bits))
                    for index in need:
                        masks[index] |= bit
                mask |= need_bits[need]
            self._needs[number[key]] = mask
        self._masks = masks
        self._always_mask = sum(1 << number[key] for key in self.always)
        self._always_numbers = sorted(number[key] for key in self.always)
        self._pattern_bits = (1 << width) - 1
        # the set bits of the pattern part of a mask are read a byte at a time: per byte position and
        # value, the pattern numbers it stands for
        self._mask_bytes = (width + 7) // 8
        self._byte_numbers = [[tuple(8 * i + b for b in range(8) if value >> b & 1) for value in range(256)]
                              for i in range(self._mask_bytes)]
        self._pure_by_index = [tuple(number[key] for key in targets) for targets in self._pure_targets]

    def scan_numbers(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """What ``scan_keys`` finds, by pattern number (position in the constructor's list): the sorted
        numbers of the patterns that can match, and the automaton's hits ``(end, factor index)`` for
        ``pure_occurrences`` and ``starts_from``."""
        automaton = self.automaton
        if not self._by_factor:
            return list(self._always_numbers), []
        hits = list(automaton.iter(text))
        if not hits:
            return list(self._always_numbers), hits
        found = reduce(or_, map(self._masks.__getitem__, set(map(_second, hits))), self._always_mask)
        missing, needs, byte_numbers = ~found, self._needs, self._byte_numbers
        data = (found & self._pattern_bits).to_bytes(self._mask_bytes, "little")
        # a pattern stays unless one of its further sets has no occurrence (needs[n] & missing)
        numbers = [n for i, value in enumerate(data) if value for n in byte_numbers[i][value]
                   if not needs[n] & missing]
        return numbers, hits

    def pure_occurrences(self, hits: list[tuple[int, int]]) -> dict[int, list[tuple[int, int]]]:
        """Pure literal pattern number → ``[start, end)`` of its factor occurrences among ``hits``."""
        out: dict[int, list[tuple[int, int]]] = {}
        lengths, pure_by_index, has_pure = self._lengths, self._pure_by_index, self._has_pure
        for end, index in [hit for hit in hits if hit[1] in has_pure]:
            for n in pure_by_index[index]:
                out.setdefault(n, []).append((end - lengths[index] + 1, end + 1))
        return out

    def starts_from(self, hits: list[tuple[int, int]]) -> dict[int, list[int]]:
        """``starts(text)`` from the hits ``scan_numbers`` returned for that text."""
        out: dict[int, list[int]] = {}
        lengths = self._lengths
        for end, index in hits:
            out.setdefault(index, []).append(end - lengths[index] + 1)
        return out

    def quick_candidates(self, text: str) -> set[tuple[str, int]]:
        """Without the automaton (one-off analyses): plain substring tests per pattern."""
        return {key for key, factors in self.factors.items()
                if factors is None or any(f in text for f in factors)}

    def scan(self, text: str) -> dict[tuple[str, int], list[tuple[int, int]]]:
        """Every pattern that can match → the ``[start, end)`` ranges where its factors occur."""
        found: dict[tuple[str, int], list[tuple[int, int]]] = {key: [] for key in self.always}
        if self._by_factor:
            automaton, lengths, targets = self.automaton, self._lengths, self._targets
            for end, index in automaton.iter(text):
                start = end - lengths[index] + 1
                for key in targets[index]:
                    found.setdefault(key, []).append((start, end + 1))
        return found

    def scan_keys(self, text: str) -> tuple[set[tuple[str, int]], dict[tuple[str, int], list[tuple[int, int]]]]:
        """What ``scan`` finds, cheaper: the patterns that can match, and factor occurrences only for the
        pure literal ones among them (the others need only to be run)."""
        keys = set(self.always)
        occurrences: dict[tuple[str, int], list[tuple[int, int]]] = {}
        if not self._by_factor:
            return keys, occurrences
        hits = list(self.automaton.iter(text))
        if not hits:
            return keys, occurrences
        indices = set(map(_second, hits))
        targets = self._targets
        for index in indices:
            keys.update(targets[index])
        further = self._further
        for key in keys & self._checked:
            if any(need.isdisjoint(indices) for need in further[key]):
                keys.discard(key)
        if not self._has_pure.isdisjoint(indices):
            lengths, pure_targets = self._lengths, self._pure_targets
            for end, index in hits:
                for key in pure_targets[index]:
                    occurrences.setdefault(key, []).append((end - lengths[index] + 1, end + 1))
        return keys, occurrences

    def window(self, key: tuple[str, int]) -> tuple[tuple[int, ...], int, int, int] | None:
        """For a pattern that can be searched near its factors: (factor indices, shortest factor,
        longest match, lookahead reach); None for a pure literal list or an unbounded pattern."""
        try:
            return self._windows[key]
        except KeyError:
            pass
        except AttributeError:
            self._windows: dict = {}
        factors = self.factors.get(key)
        info = None
        if factors is not None and key not in self.pure:
            bounds = match_window(self._sources[key])
            if bounds is not None:
                self.automaton  # noqa: B018 - builds the factor index
                info = (tuple(self._index_of[f] for f in factors), min(map(len, factors)), *bounds)
        self._windows[key] = info
        return info

    def starts(self, text: str) -> dict[int, list[int]]:
        """Factor index → sorted start positions of that factor in ``text``."""
        out: dict[int, list[int]] = {}
        lengths = self._lengths
        for end, index in self.automaton.iter(text):
            out.setdefault(index, []).append(end - lengths[index] + 1)
        return out

    def candidates(self, text: str) -> set[tuple[str, int]]:
        return set(self.scan(text))

    @staticmethod
    def literal_matches(occurrences: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Leftmost, then longest, non-overlapping occurrences — what ``finditer`` returns for an
        alternation of literals listed longest first. ``rules`` uses it only when no occurrences overlap
        (then any order gives the same); overlapping ones go to the regex, whose alternation order decides."""
        out: list[tuple[int, int]] = []
        last_end = -1
        for start, end in sorted(occurrences, key=lambda se: (se[0], -se[1])):
            if start >= last_end:
                out.append((start, end))
                last_end = end
        return out


def write_factors_file(path: Path | None = None) -> Path:
    """Regenerate the shipped factor table for the packaged rules."""
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    table: dict[str, object] = {}
    for rule in k.rules_for("rules"):
        for source in rule.sources:
            factors = required_factors(source)
            key = _source_key(source)
            table[key] = sorted(factors) if factors is not None else None
            table["pure:" + key] = factors is not None and literal_alternatives(source) == factors
            also = further_factors(source)
            if also:
                table["also:" + key] = [sorted(f) for f in also]
    path = path or Path(str(resources.files("anning") / "data" / FACTORS_FILE))
    path.write_text(json.dumps(table, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m anning.detectors.prefilter
    print(f"wrote {write_factors_file()}")
