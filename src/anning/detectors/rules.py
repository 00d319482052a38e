"""Pattern rules from ``data/rules/*.yaml``: every match becomes a signal with its spans.

A literal prefilter (``prefilter.py``) skips the patterns that cannot match a message; the result is
the same as running every pattern, only faster. The patterns it leaves are run in one call by the C
extension ``_rx`` (PCRE2's JIT) where it is built, else by ``re``: the same matches either way."""

from __future__ import annotations

import os
import re
from functools import lru_cache

from anning.detectors import Prepared
from anning.detectors.prefilter import Prefilter, windowed_finditer
from anning.knowledge import Knowledge
from anning.knowledge.loader import terms_pattern
from anning.model import Signal, Span
from anning.text import jit as _jit_module
from anning.text.jit import JIT_FROM, jit
from anning.text.normalize import NormalizedText

MAX_SPANS_PER_RULE = 8
LONG_TEXT = 400  # from this length, bounded patterns are searched only near their factors

_literal_matches = Prefilter.literal_matches


class _Plan:
    """What ``detect`` needs about one knowledge pack, worked out once. Patterns are numbered in rule
    order (the prefilter's numbering), so sorted numbers visit rules in order."""

    def __init__(self, k: Knowledge):
        self.rules = k.rules_for("rules")
        self.prefilter = Prefilter([(r.id, i, src) for r in self.rules for i, src in enumerate(r.sources)])
        self.rule_of = [pos for pos, rule in enumerate(self.rules) for _ in rule.sources]  # number → rule
        # rule position → (rule ids, groups) of which one must have fired; None: runs unconditionally
        self.requires: list[tuple[frozenset[str], frozenset[str]] | None] = [
            (frozenset(r for r in rule.requires_any if not r.startswith("g:")),
             frozenset(r[2:] for r in rule.requires_any if r.startswith("g:"))) if rule.requires_any else None
            for rule in self.rules]
        self.number = {key: i for i, key in enumerate(self.prefilter.keys)}
        # pattern number → (compiled pattern, index of its "ev" group or 0, whether it is a pure literal
        # list), on first use
        self.entries: list[tuple[re.Pattern[str], int, bool] | None] = [None] * len(self.rule_of)
        self._windows: dict[int, tuple | None] = {}
        self._jit: dict[int, object] = {}  # pattern number → its PCRE2 twin or None
        negation = _Negation(k) if any(rule.negatable for rule in self.rules) else None
        self.negation = [negation if rule.negatable else None for rule in self.rules]  # rule position → check
        self.native = _native_matcher([self.rules[pos].sources[key[1]]
                                       for pos, key in zip(self.rule_of, self.prefilter.keys, strict=True)])

    def entry(self, number: int) -> tuple[re.Pattern[str], int, bool]:
        key = self.prefilter.keys[number]
        pattern = self.rules[self.rule_of[number]].pattern(key[1])
        entry = self.entries[number] = (pattern, pattern.groupindex.get("ev", 0), key in self.prefilter.pure)
        return entry

    def jit(self, number: int, pattern: re.Pattern[str]):
        try:
            return self._jit[number]
        except KeyError:
            fast = self._jit[number] = jit(pattern)
            return fast

    def window(self, number: int) -> tuple | None:
        try:
            return self._windows[number]
        except KeyError:
            info = self._windows[number] = self.prefilter.window(self.prefilter.keys[number])
            return info


def _native_matcher(sources: list[str]):
    """The C matcher for these pattern sources (numbered as the prefilter numbers them), or None without
    the extension, with PCRE2 switched off (``ANNING_PCRE2=0``) or with the C extensions switched off
    (``ANNING_NATIVE=0``). A pattern given with ``re.ASCII`` is one the matcher leaves to ``re``."""
    if not _jit_module.enabled() or os.environ.get("ANNING_NATIVE", "1") == "0":
        return None
    try:
        from anning.detectors import _rx
    except ImportError:
        return None
    # \Z ends the text in re but may stand before a final newline in PCRE2: such patterns stay on re
    return _rx.Matcher([(source, re.ASCII if "\\Z" in source else 0) for source in sources])


@lru_cache(maxsize=4)
def _plan(k: Knowledge) -> _Plan:
    return _Plan(k)


def _prefilter(k: Knowledge) -> Prefilter:
    return _plan(k).prefilter


_analysed: set[int] = set()


class _Negation:
    """Whether a match sits in a negated clause: a negation cue (lexicon ``negation_cues``, not inside one
    of ``negation_non_cues``) between the match and the last clause end before it, at most ``window``
    characters back (scoring.yaml ``negation``). Anti-fraud warnings name exactly what scammers ask for."""

    def __init__(self, k: Knowledge):
        conf = k.scoring["negation"]
        self.window = int(conf["window"])
        self.ends = tuple(conf["clause_ends"])
        self.cues = _terms(k.lexicons["negation_cues"])
        self.non_cues = _terms(k.lexicons.get("negation_non_cues", ()))

    def __call__(self, text: str, start: int) -> bool:
        clause = text[max(0, start - self.window):start]
        clause = clause[max((clause.rfind(end) + len(end) for end in self.ends if end in clause), default=0):]
        if self.non_cues is not None:
            clause = self.non_cues.sub("_", clause)
        return self.cues is not None and self.cues.search(clause) is not None


def _terms(terms: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """One pattern for a list of terms; Latin words only as whole words."""
    return re.compile(terms_pattern(terms, whole_words=True)) if terms else None


class _Text:
    """One message's text and what the automaton found in it, worked out lazily."""

    __slots__ = ("_occurrences", "_starts", "hits", "jit", "literal", "native", "nt", "prefilter", "windowed")

    def __init__(self, nt: NormalizedText, prefilter: Prefilter, hits: list[tuple[int, int]] | None,
                 native: dict[int, list[tuple[int, int]] | None] | None = None):
        self.nt = nt
        self.native = native  # the C matcher's answers: pattern number → ranges, None → ask re
        self.prefilter = prefilter
        self.hits = hits
        self.literal = hits is not None  # pure literal patterns take their matches from the automaton
        self.windowed = hits is not None and len(nt.text) >= LONG_TEXT
        self.jit = len(nt.text) >= JIT_FROM  # patterns run on PCRE2's JIT (text/jit.py)
        self._occurrences: dict[int, list[tuple[int, int]]] | None = None
        self._starts: dict[int, list[int]] | None = None

    def occurrences(self, number: int) -> list[tuple[int, int]]:
        if self._occurrences is None:
            self._occurrences = self.prefilter.pure_occurrences(self.hits)
        return self._occurrences[number]

    def starts(self) -> dict[int, list[int]]:
        if self._starts is None:
            self._starts = self.prefilter.starts_from(self.hits)
        return self._starts


def detect(p: Prepared, k: Knowledge, use_prefilter: bool | None = None,
           prior: frozenset[str] = frozenset(), gate: bool = True) -> list[Signal]:
    """``use_prefilter``: True (automaton), False (every pattern) or None — plain substring checks for
    the first message (a one-off ``anning check`` need not build the automaton), the automaton after.

    Rules with ``requires_any`` are only run once something they require has fired (``prior`` holds the
    signals of the detectors that ran before); the engine drops unsupported signals anyway, so this
    changes nothing but the time spent."""
    text = p.nt.text
    plan = _plan(k)
    prefilter = plan.prefilter
    hits = None
    numbers: list[int] | range  # the patterns to run, in rule order
    if use_prefilter is None and id(k) not in _analysed:
        _analysed.add(id(k))
        number = plan.number
        numbers = sorted(number[key] for key in prefilter.quick_candidates(text))
    elif use_prefilter is not None and not use_prefilter:
        numbers = range(len(plan.rule_of))
    else:
        numbers, hits = prefilter.scan_numbers(text)
    native = plan.native.match(text, numbers, MAX_SPANS_PER_RULE) if plan.native is not None else None
    if native is not None:
        numbers = [n for n in numbers if n in native]  # the others have no match
    scan = _Text(p.nt, prefilter, hits, native)

    rules = plan.rules
    fired_ids = set(prior)
    fired_groups = {k.rules[r].group for r in prior if r in k.rules}
    found: list[tuple[int, Signal]] = []
    pending: list[tuple[int, list[int]]] = []

    def run(pos: int, group: list[int]) -> None:
        spans = _spans(plan, group, scan)
        if spans:
            rule = rules[pos]
            found.append((pos, Signal(rule.id, "rules", spans, spans[0].text)))
            fired_ids.add(rule.id)
            fired_groups.add(rule.group)

    requires = plan.requires
    for pos, group in _by_rule(plan.rule_of, numbers):
        if gate and requires[pos] is not None:
            pending.append((pos, group))
        else:
            run(pos, group)
    progress = True
    while pending and progress:
        progress = False
        waiting = []
        for pos, group in pending:
            ids, groups = requires[pos]
            if not ids.isdisjoint(fired_ids) or not groups.isdisjoint(fired_groups):
                run(pos, group)
                progress = True
            else:
                waiting.append((pos, group))
        pending = waiting
    if len(found) > 1:
        found.sort(key=_first)
    return [signal for _, signal in found]


def _by_rule(rule_of: list[int], numbers: list[int] | range) -> list[tuple[int, list[int]]]:
    """Sorted pattern numbers grouped by rule: (rule position, its numbers), in rule order."""
    out: list[tuple[int, list[int]]] = []
    last = -1
    for n in numbers:
        pos = rule_of[n]
        if pos != last:
            group = [n]
            out.append((pos, group))
            last = pos
        else:
            group.append(n)
    return out


def _first(item: tuple) -> int:
    return item[0]


def _spans(plan: _Plan, numbers: list[int], scan: _Text) -> tuple[Span, ...]:
    """The spans of one rule's patterns ``numbers`` (original text, sorted, distinct). On long texts,
    bounded patterns are searched only near their factors (``windowed_finditer`` yields the same
    matches as ``finditer``)."""
    text = scan.nt.text
    found: list[tuple[int, int]] = []  # [start, end) in the normalised text
    native = scan.native
    for number in numbers:
        if native is not None:
            ranges = native[number]
            if ranges is not None:
                found.extend(ranges[:max(1, MAX_SPANS_PER_RULE - len(found))])
                continue
        entry = plan.entries[number] or plan.entry(number)
        pattern, ev, pure = entry
        if pure and scan.literal:
            occ = scan.occurrences(number)
            if len(occ) > 1:
                chosen = _literal_matches(occ)
                # Overlapping literals (征信 / 征信报告): which one the regex takes depends on how its
                # alternation is written, so the regex answers. Otherwise the occurrences are its matches.
                occ = chosen if len(chosen) == len(occ) else None
            if occ is not None:
                found.extend(occ[:max(1, MAX_SPANS_PER_RULE - len(found))])
                continue
        matches = None
        if scan.windowed:
            window = plan.window(number)
            if window is not None:
                by_index = scan.starts()
                indices, shortest, longest, reach = window
                at = sorted(q for i in indices for q in by_index.get(i, ()))
                matches = windowed_finditer(pattern, text, at, shortest, longest, reach)
        if matches is None and scan.jit:
            fast = plan.jit(number, pattern)
            if fast is not None:
                try:  # PCRE2 may give up (its backtracking limit): then re answers
                    found.extend(_ranges(fast.finditer(text), ev, max(1, MAX_SPANS_PER_RULE - len(found))))
                    continue
                except Exception:
                    pass
        found.extend(_ranges(matches if matches is not None else pattern.finditer(text), ev,
                             max(1, MAX_SPANS_PER_RULE - len(found))))
    if not found:
        return ()
    negated = plan.negation[plan.rule_of[numbers[0]]]
    if negated is not None:
        found = [r for r in found if not negated(text, r[0])]
        if not found:
            return ()
    return scan.nt.spans(found)


def _ranges(matches, ev: int, limit: int) -> list[tuple[int, int]]:
    """The first ``limit`` non-empty matches as ranges: the "ev" group's where it took part."""
    out = []
    for m in matches:
        a, b = m.span()
        if a == b:
            continue
        if ev:
            ev_span = m.span(ev)
            if ev_span[0] >= 0:
                a, b = ev_span
        out.append((a, b))
        if len(out) >= limit:
            break
    return out
