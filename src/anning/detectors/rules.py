"""Pattern rules from ``data/rules/*.yaml``: every match becomes a signal with its spans.

A literal prefilter (``prefilter.py``) skips the patterns that cannot match a message; the result is
the same as running every pattern, only faster."""

from __future__ import annotations

from functools import lru_cache

from anning.detectors import Prepared
from anning.detectors.prefilter import Prefilter
from anning.knowledge import Knowledge
from anning.knowledge.loader import Rule
from anning.model import Signal

MAX_SPANS_PER_RULE = 8


@lru_cache(maxsize=4)
def _prefilter(k: Knowledge) -> Prefilter:
    return Prefilter([(r.id, i, src) for r in k.rules_for("rules") for i, src in enumerate(r.sources)])


@lru_cache(maxsize=4)
def _rule_order(k: Knowledge) -> dict[str, int]:
    return {rule.id: i for i, rule in enumerate(k.rules_for("rules"))}


_analysed: set[int] = set()


def detect(p: Prepared, k: Knowledge, use_prefilter: bool | None = None,
           prior: frozenset[str] = frozenset(), gate: bool = True) -> list[Signal]:
    """``use_prefilter``: True (automaton), False (every pattern) or None — plain substring checks for
    the first message (a one-off ``anning check`` need not build the automaton), the automaton after.

    Rules with ``requires_any`` are only run once something they require has fired (``prior`` holds the
    signals of the detectors that ran before); the engine drops unsupported signals anyway, so this
    changes nothing but the time spent."""
    text = p.nt.text
    prefilter = _prefilter(k)
    found: dict | None = None
    allowed: set | None = None
    if use_prefilter is None:
        if id(k) in _analysed:
            found = prefilter.scan(text)
        else:
            allowed = prefilter.quick_candidates(text)
            _analysed.add(id(k))
    elif use_prefilter:
        found = prefilter.scan(text)
    rules = k.rules_for("rules")
    if found is not None:  # visit only the rules the prefilter let through
        order = _rule_order(k)
        rules = [rules[i] for i in sorted({order[rule_id] for rule_id, _ in found})]

    fired_ids = set(prior)
    fired_groups = {k.rules[r].group for r in prior if r in k.rules}
    signals: list[Signal] = []

    def run(rule: Rule) -> None:
        signal = _match(rule, p, prefilter, found, allowed)
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
    order = _rule_order(k)
    signals.sort(key=lambda s: order[s.rule])
    return signals


def _match(rule: Rule, p: Prepared, prefilter: Prefilter, found: dict | None, allowed: set | None) -> Signal | None:
    text = p.nt.text
    spans = []
    for index in range(len(rule.sources)):
        key = (rule.id, index)
        if found is not None:
            if key not in found:
                continue
            if key in prefilter.pure:
                spans.extend(p.nt.span(a, b) for a, b in prefilter.literal_matches(found[key]))
                continue
        elif allowed is not None and key not in allowed:
            continue
        pattern = rule.pattern(index)
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            if "ev" in pattern.groupindex and m.group("ev") is not None:
                spans.append(p.nt.span(m.start("ev"), m.end("ev")))
            else:
                spans.append(p.nt.span(m.start(), m.end()))
            if len(spans) >= MAX_SPANS_PER_RULE:
                break
    if not spans:
        return None
    unique = sorted(set(spans), key=lambda s: (s.start, s.end))
    return Signal(rule.id, "rules", tuple(unique), unique[0].text)
