"""Pattern rules from ``data/rules/*.yaml``: every match becomes a signal with its spans.

A literal prefilter (``prefilter.py``) skips the patterns that cannot match a message; the result is
the same as running every pattern, only faster."""

from __future__ import annotations

from functools import lru_cache

from anning.detectors import Prepared
from anning.detectors.prefilter import Prefilter, windowed_finditer
from anning.knowledge import Knowledge
from anning.knowledge.loader import Rule
from anning.model import Signal

MAX_SPANS_PER_RULE = 8
LONG_TEXT = 400  # from this length, bounded patterns are searched only near their factors


@lru_cache(maxsize=4)
def _prefilter(k: Knowledge) -> Prefilter:
    return Prefilter([(r.id, i, src) for r in k.rules_for("rules") for i, src in enumerate(r.sources)])


@lru_cache(maxsize=4)
def _rule_order(k: Knowledge) -> dict[str, int]:
    return {rule.id: i for i, rule in enumerate(k.rules_for("rules"))}


_analysed: set[int] = set()
_COMPILED: dict[str, tuple] = {}  # pattern source → (compiled pattern, has an "ev" group)


def _compiled(rule: Rule, index: int) -> tuple:
    source = rule.sources[index]
    entry = _COMPILED.get(source)
    if entry is None:
        pattern = rule.pattern(index)
        entry = _COMPILED[source] = (pattern, "ev" in pattern.groupindex)
    return entry


def detect(p: Prepared, k: Knowledge, use_prefilter: bool | None = None,
           prior: frozenset[str] = frozenset(), gate: bool = True) -> list[Signal]:
    """``use_prefilter``: True (automaton), False (every pattern) or None — plain substring checks for
    the first message (a one-off ``anning check`` need not build the automaton), the automaton after.

    Rules with ``requires_any`` are only run once something they require has fired (``prior`` holds the
    signals of the detectors that ran before); the engine drops unsupported signals anyway, so this
    changes nothing but the time spent."""
    text = p.nt.text
    prefilter = _prefilter(k)
    keys: set | None = None
    occurrences: dict = {}
    allowed: set | None = None
    if use_prefilter is None:
        if id(k) in _analysed:
            keys, occurrences = prefilter.scan_keys(text)
        else:
            allowed = prefilter.quick_candidates(text)
            _analysed.add(id(k))
    elif use_prefilter:
        keys, occurrences = prefilter.scan_keys(text)
    rules = k.rules_for("rules")
    order = _rule_order(k)
    if keys is not None:  # visit only the rules the prefilter let through
        rules = [rules[i] for i in sorted({order[rule_id] for rule_id, _ in keys})]

    long_text: list | None = [] if keys is not None and len(text) >= LONG_TEXT else None

    fired_ids = set(prior)
    fired_groups = {k.rules[r].group for r in prior if r in k.rules}
    signals: list[Signal] = []

    def run(rule: Rule) -> None:
        signal = _match(rule, p, prefilter, keys, occurrences, allowed, long_text)
        if signal is not None:
            signals.append(signal)
            fired_ids.add(rule.id)
            fired_groups.add(rule.group)

    pending = []
    for rule in rules:
        if rule.requires_any and gate:
            pending.append(rule)
        else:
            run(rule)
    progress = True
    while pending and progress:
        progress = False
        waiting = []
        for rule in pending:
            if any((ref[2:] in fired_groups) if ref.startswith("g:") else (ref in fired_ids)
                   for ref in rule.requires_any):
                run(rule)
                progress = True
            else:
                waiting.append(rule)
        pending = waiting
    if len(signals) > 1:
        signals.sort(key=lambda s: order[s.rule])
    return signals


def _match(rule: Rule, p: Prepared, prefilter: Prefilter, keys: set | None, occurrences: dict,
           allowed: set | None, long_text: list | None = None) -> Signal | None:
    """``long_text``: a list (filled on first use with the factor start positions) when the text is long
    enough for ``windowed_finditer`` to pay; it yields the same matches as ``finditer``."""
    text = p.nt.text
    span = p.nt.span
    spans = []
    for index in range(len(rule.sources)):
        key = (rule.id, index)
        if keys is not None:
            if key not in keys:
                continue
            if key in prefilter.pure:
                spans.extend(span(a, b) for a, b in prefilter.literal_matches(occurrences[key]))
                continue
        elif allowed is not None and key not in allowed:
            continue
        pattern, has_ev = _compiled(rule, index)
        matches = None
        if long_text is not None:
            window = prefilter.window(key)
            if window is not None:
                if not long_text:
                    long_text.append(prefilter.starts(text))
                by_index = long_text[0]
                indices, shortest, longest, reach = window
                starts = sorted(q for i in indices for q in by_index.get(i, ()))
                matches = windowed_finditer(pattern, text, starts, shortest, longest, reach)
        for m in matches if matches is not None else pattern.finditer(text):
            a, b = m.span()
            if a == b:
                continue
            if has_ev:
                ev = m.span("ev")
                if ev[0] >= 0:  # the group took part in the match
                    a, b = ev
            spans.append(span(a, b))
            if len(spans) >= MAX_SPANS_PER_RULE:
                break
    if not spans:
        return None
    unique = sorted(set(spans), key=lambda s: (s.start, s.end))
    return Signal(rule.id, "rules", tuple(unique), unique[0].text)
