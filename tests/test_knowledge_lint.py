"""Knowledge lint: the YAML pack loads, every rule is exercised by its own hit/miss examples, every id
resolves, and a broken pack is rejected with an error that names the file and the id."""

from __future__ import annotations

import inspect
import itertools
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from anning.detectors import clock as clock_detector
from anning.detectors import urls as urls_detector
from anning.knowledge import KnowledgeError, load_knowledge
from anning.knowledge.loader import BINDING_LEVELS

DATA = Path(__file__).resolve().parents[1] / "src" / "anning" / "data"
CODE_DETECTORS = {"sender", "urls", "clock", "platforms", "spellings"}
# "model" (the learned classifier's signal) and "personal" (the user's own rules) are emitted by the engine.
DETECTORS = {"rules", *CODE_DETECTORS, "model", "personal"}

_K = load_knowledge()
RULE_IDS = sorted(_K.rules)


def _fired(verdict) -> list[str]:
    return [h.signal.rule for h in verdict.hits]


def _fmt(example) -> str:
    extra = []
    if example.sender:
        extra.append(f"sender={example.sender!r}")
    if example.at:
        extra.append(f"at={example.at!r}")
    return repr(example.text) + (f" ({', '.join(extra)})" if extra else "")


# -- the pack loads -------------------------------------------------------------------------------
def test_load_knowledge_succeeds():
    k = load_knowledge()
    assert k.rules and k.laws and k.behaviours and k.actions and k.scenarios and k.guide
    assert re.fullmatch(r"[0-9a-f]{16}", k.version)


def test_every_rule_has_a_known_detector(knowledge):
    bad = {r.id: r.detector for r in knowledge.rules.values() if r.detector not in DETECTORS}
    assert not bad, f"rules with an unknown detector: {bad}"


def test_pattern_rules_have_patterns_and_examples(knowledge):
    problems = []
    for r in knowledge.rules.values():
        if r.detector != "rules":
            continue
        if not r.patterns:
            problems.append(f"{r.source_file}: {r.id} has no pattern")
        if not r.hit_examples:
            problems.append(f"{r.source_file}: {r.id} has no hit example")
        if not r.miss_examples:
            problems.append(f"{r.source_file}: {r.id} has no miss example")
    assert not problems, "\n".join(problems)


def test_code_detector_rules_have_examples(knowledge):
    problems = []
    for r in knowledge.rules.values():
        if r.detector not in CODE_DETECTORS:
            continue
        if not r.hit_examples:
            problems.append(f"{r.source_file}: {r.id} ({r.detector}) has no hit example")
        if not r.miss_examples:
            problems.append(f"{r.source_file}: {r.id} ({r.detector}) has no miss example")
    assert not problems, "\n".join(problems)


def test_code_detector_rules_are_emitted_by_a_detector(knowledge):
    """A rule with detector sender/urls/clock must be a signal that detector can actually emit."""
    sender_signals = {s.signal for s in knowledge.senders if s.signal}
    sources = {"urls": inspect.getsource(urls_detector), "clock": inspect.getsource(clock_detector)}
    orphans = []
    for r in knowledge.rules.values():
        if r.detector == "sender" and r.id not in sender_signals:
            orphans.append(f"{r.id}: no class in senders.yaml emits it")
        elif r.detector in sources and f'"{r.id}"' not in sources[r.detector]:
            orphans.append(f"{r.id}: detectors/{r.detector}.py never emits it")
    assert not orphans, "\n".join(orphans)


# -- every rule behaves as its examples say --------------------------------------------------------
@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_examples(engine, rule_id):
    rule = engine.k.rules[rule_id]
    failures = []
    for ex in rule.hit_examples:
        v = engine.analyze(ex.text, ex.sender, ex.at)
        fired = _fired(v)
        if rule_id not in fired:
            failures.append(f"HIT example did not fire {rule_id}: {_fmt(ex)}\n      signals fired: {fired}")
    for ex in rule.miss_examples:
        v = engine.analyze(ex.text, ex.sender, ex.at)
        fired = _fired(v)
        if rule_id in fired:
            failures.append(f"MISS example fired {rule_id}: {_fmt(ex)}\n      signals fired: {fired}")
    assert not failures, f"{rule.source_file}: rule {rule_id}\n  " + "\n  ".join(failures)


# -- ids resolve -----------------------------------------------------------------------------------
def test_rule_flags_kinds_behaviours_exist(knowledge):
    flags, kinds = set(knowledge.flag_labels), set(knowledge.kind_labels)
    problems = []
    for r in knowledge.rules.values():
        for f in (*r.flags, *r.flags_if_kind):
            if f not in flags:
                problems.append(f"{r.id}: unknown flag {f!r}")
        for f, ks in r.flags_if_kind.items():
            problems.extend(f"{r.id}: flags_if_kind.{f} names unknown kind {kd!r}"
                            for kd in ks if kd not in kinds)
        problems.extend(f"{r.id}: unknown kind {kd!r}" for kd in r.kinds if kd not in kinds)
        problems.extend(f"{r.id}: unknown behaviour {b!r}"
                        for b in r.behaviours if b not in knowledge.behaviours)
        for ref in (*r.requires_any, *r.unless_any):
            if ref.startswith("g:"):
                if ref[2:] not in knowledge.groups:
                    problems.append(f"{r.id}: unknown group {ref!r}")
            elif ref not in knowledge.rules:
                problems.append(f"{r.id}: unknown rule {ref!r}")
    assert not problems, "\n".join(problems)


def test_every_flag_can_be_raised_and_every_kind_can_win(knowledge):
    raised = set()
    for r in knowledge.rules.values():
        raised.update(r.flags, r.flags_if_kind)
    missing_flags = set(knowledge.flag_labels) - raised
    assert not missing_flags, f"flags no rule can set: {missing_flags}"
    voted = {kd for r in knowledge.rules.values() for kd, w in r.kinds.items() if w > 0}
    default = knowledge.scoring["default_kind"]
    missing = set(knowledge.kind_labels) - voted - {default}
    assert not missing, f"kinds no rule votes for: {missing}"


def _rule_graph(knowledge, field: str) -> dict[str, set[str]]:
    """rule id -> rule ids it names in ``field`` (requires_any / unless_any), groups expanded."""
    graph: dict[str, set[str]] = {}
    for r in knowledge.rules.values():
        targets: set[str] = set()
        for ref in getattr(r, field):
            targets.update(knowledge.groups.get(ref[2:], ()) if ref.startswith("g:") else (ref,))
        graph[r.id] = targets
    return graph


def _find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every self-loop, plus one shortest cycle per strongly connected component of two or more rules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    for v in sorted(graph):
        if v not in index:
            strong(v)

    cycles = [[v, v] for v in sorted(graph) if v in graph[v]]
    for comp in comps:
        members = set(comp)
        start = sorted(comp)[0]
        # breadth-first search for the shortest path back to ``start`` inside the component
        prev: dict[str, str] = {}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & members):
                    if w == start:
                        found = v
                        break
                    if w not in prev:
                        prev[w] = v
                        nxt.append(w)
                if found:
                    break
            frontier = nxt
        path = [start]
        v = found
        while v is not None and v != start:
            path.insert(1, v)
            v = prev.get(v)
        cycles.append([*path, start])
    return cycles


def _describe(knowledge, cycles: list[list[str]], field: str) -> str:
    lines = []
    for c in cycles:
        steps = []
        for a, b in itertools.pairwise(c):
            via = [ref for ref in getattr(knowledge.rules[a], field)
                   if ref == b or (ref.startswith("g:") and knowledge.rules[b].group == ref[2:])]
            steps.append(f"{a} --{field}:{','.join(via)}--> {b}")
        lines.append("  " + "  ;  ".join(steps))
    return "\n".join(lines)


def test_no_rule_requires_itself(knowledge):
    """requires_any naming a group the rule belongs to is vacuous: the rule satisfies its own condition."""
    graph = _rule_graph(knowledge, "requires_any")
    selfish = {r: [ref for ref in knowledge.rules[r].requires_any
                   if ref == r or ref == f"g:{knowledge.rules[r].group}"]
               for r, targets in graph.items() if r in targets}
    assert not selfish, f"rules whose requires_any is satisfied by the rule itself: {selfish}"


def test_no_requires_any_cycle(knowledge):
    """No rule may require itself through other rules (A needs B and B needs A keep each other alive)."""
    cycles = _find_cycles(_rule_graph(knowledge, "requires_any"))
    assert not cycles, "requires_any cycles:\n" + _describe(knowledge, cycles, "requires_any")


def test_no_unless_any_cycle(knowledge):
    """A unless B and B unless A: when both match the engine drops both, so neither signal survives."""
    cycles = _find_cycles(_rule_graph(knowledge, "unless_any"))
    assert not cycles, "unless_any cycles:\n" + _describe(knowledge, cycles, "unless_any")


def test_cycle_finder_finds_cycles():
    graph = {"A": {"B"}, "B": {"C"}, "C": {"A"}, "D": {"D"}, "E": {"A"}}
    cycles = _find_cycles(graph)
    assert sorted(tuple(c) for c in cycles) == [("A", "B", "C", "A"), ("D", "D")]
    assert _find_cycles({"A": {"B"}, "B": set()}) == []


# -- laws, behaviours, actions, scenarios, guide ---------------------------------------------------
def test_laws_have_source_binding_level_and_confidence(knowledge):
    problems = []
    for law in knowledge.laws.values():
        if not re.match(r"^https?://\S+$", law.source or ""):
            problems.append(f"{law.id}: source {law.source!r} is not an http(s) URL")
        if law.binding_level not in BINDING_LEVELS or law.binding_level not in knowledge.binding_levels:
            problems.append(f"{law.id}: binding level {law.binding_level!r}")
        if law.confidence not in {"verified", "likely"}:
            problems.append(f"{law.id}: confidence {law.confidence!r}")
        if not law.instrument["zh"] or not law.title["zh"] or not law.title["en"]:
            problems.append(f"{law.id}: missing instrument/title")
        for d in (law.in_force_from, law.in_force_until):
            if d is not None:
                try:
                    date.fromisoformat(d)
                except ValueError:
                    problems.append(f"{law.id}: bad date {d!r}")
        problems.extend(f"{law.id}: unknown behaviour {b!r}"
                        for b in law.behaviours if b not in knowledge.behaviours)
    assert not problems, "\n".join(problems)


def test_binding_levels_have_wording(knowledge):
    for level in BINDING_LEVELS:
        entry = knowledge.binding_levels[level]
        for lang in ("zh", "en"):
            assert entry.get(f"label_{lang}"), (level, lang)
            assert "{instrument" in entry.get(f"phrase_{lang}", ""), (level, lang)
    assert knowledge.binding_levels["law"]["phrase_zh"].startswith("可能违反")
    assert knowledge.binding_levels["self_regulatory"]["phrase_zh"].startswith("不符合行业规范")


def test_behaviours_cite_known_laws_and_channels(knowledge):
    problems = []
    for b in knowledge.behaviours.values():
        if not b.cite:
            problems.append(f"{b.id}: cites no law")
        problems.extend(f"{b.id}: unknown law {x!r}" for x in b.cite if x not in knowledge.laws)
        problems.extend(f"{b.id}: unknown channel {x!r}" for x in b.channels if x not in knowledge.channels)
    assert not problems, "\n".join(problems)


def test_scenario_action_guide_references_resolve(knowledge):
    k = knowledge
    problems = []
    for s in k.scenarios.values():
        if not s.actions:
            problems.append(f"scenario {s.id}: no actions")
        problems.extend(f"scenario {s.id}: unknown action {a!r}" for a in s.actions if a not in k.actions)
        problems.extend(f"scenario {s.id}: unknown kind {kd!r}" for kd in s.kinds if kd not in k.kind_labels)
    for a in k.actions.values():
        if a.guide and a.guide not in k.guide:
            problems.append(f"action {a.id}: unknown guide topic {a.guide!r}")
    for g in k.guide.values():
        problems.extend(f"guide {g.id}: unknown related topic {x!r}" for x in g.related if x not in k.guide)
    sc = k.scoring
    for beh, acts in sc.get("behaviour_actions", {}).items():
        if beh not in k.behaviours:
            problems.append(f"scoring.behaviour_actions: unknown behaviour {beh!r}")
        problems.extend(f"scoring.behaviour_actions.{beh}: unknown action {a!r}"
                        for a in acts if a not in k.actions)
    for a, chans in sc.get("action_channels", {}).items():
        if a not in k.actions:
            problems.append(f"scoring.action_channels: unknown action {a!r}")
        problems.extend(f"scoring.action_channels.{a}: unknown channel {c!r}"
                        for c in chans if c not in k.channels)
    for beh, kinds in sc.get("behaviour_kinds", {}).items():
        if beh not in k.behaviours:
            problems.append(f"scoring.behaviour_kinds: unknown behaviour {beh!r}")
        problems.extend(f"scoring.behaviour_kinds.{beh}: unknown kind {kd!r}"
                        for kd in kinds if kd not in k.kind_labels)
    for kd, behs in sc.get("kind_behaviours", {}).items():
        if kd not in k.kind_labels:
            problems.append(f"scoring.kind_behaviours: unknown kind {kd!r}")
        problems.extend(f"scoring.kind_behaviours.{kd}: unknown behaviour {b!r}"
                        for b in behs if b not in k.behaviours)
    problems.extend(f"scoring.action_order: unknown action {a!r}" for a in sc.get("action_order", [])
                    if a not in k.actions)
    problems.extend(f"scoring.verification_code_rules: unknown rule {r!r}"
                    for r in sc.get("verification_code_rules", []) if r not in k.rules)
    if set(sc["kind_risk"]) != set(k.kind_labels):
        problems.append(f"scoring.kind_risk covers {sorted(sc['kind_risk'])}, "
                        f"kinds are {sorted(k.kind_labels)}")
    for s in k.senders:
        if s.signal and (s.signal not in k.rules or k.rules[s.signal].detector != "sender"):
            problems.append(f"senders.yaml {s.id}: signal {s.signal!r} is not a sender rule")
    assert not problems, "\n".join(problems)


def test_every_kind_has_a_scenario(knowledge):
    covered = {kd for s in knowledge.scenarios.values() for kd in s.kinds}
    assert set(knowledge.kind_labels) <= covered, set(knowledge.kind_labels) - covered


def test_kind_and_flag_ids_are_the_design_contract(knowledge):
    assert list(knowledge.kind_labels) == [
        "collection_notice", "third_party_contact", "fake_collection", "debt_relief_scam", "other"]
    assert set(knowledge.flag_labels) == {
        "threat", "legal_intimidation", "privacy_disclosure", "phishing_link", "payment_redirect", "urgency",
        "insult", "impersonation", "night_contact"}


# -- a broken copy of the pack is rejected ---------------------------------------------------------
def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    return root


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: Any) -> None:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _first_pattern_rule(root: Path) -> tuple[str, dict[str, Any], Path, dict[str, Any]]:
    for path in sorted((root / "rules").glob("*.yaml")):
        doc = _read(path)
        for rule in doc["rules"]:
            if rule.get("detector", "rules") == "rules" and rule.get("patterns"):
                return f"rules/{path.name}", doc, path, rule
    raise AssertionError("no pattern rule found")


def _load_broken(root: Path) -> str:
    load_knowledge.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as exc:
            load_knowledge(str(root))
        return str(exc.value)
    finally:
        load_knowledge.cache_clear()


def test_unmodified_copy_loads(tmp_path):
    root = _copy(tmp_path)
    load_knowledge.cache_clear()
    try:
        k = load_knowledge(str(root))
    finally:
        load_knowledge.cache_clear()
    assert set(k.rules) == set(_K.rules)


def test_broken_regex_is_rejected(tmp_path):
    root = _copy(tmp_path)
    name, doc, path, rule = _first_pattern_rule(root)
    rule["patterns"][0] = "(?:never closed"
    _write(path, doc)
    msg = _load_broken(root)
    assert name in msg and rule["id"] in msg and "compile" in msg, msg


def _add_law(entry):
    entry["cite"] = [*entry["cite"], "NO-SUCH-LAW-999"]
    return "NO-SUCH-LAW-999"


def _unverify(entry):
    entry["confidence"] = "unverified"
    return "laws.yaml"


def _drop_source(entry):
    del entry["source"]
    return "source"


def _add_action(entry):
    entry["actions"] = [*entry["actions"], "no_such_action"]
    return "no_such_action"


# (file, list key, which entry, how to break it → a word the error must name)
BROKEN_DATA = [
    ("behaviours.yaml", "behaviours", 0, _add_law),
    ("laws.yaml", "laws", 0, _unverify),
    ("laws.yaml", "laws", -1, _drop_source),
    ("scenarios.yaml", "scenarios", 0, _add_action),
]


@pytest.mark.parametrize(("name", "key", "index", "breaker"), BROKEN_DATA,
                         ids=[f"{b[0]}-{b[3].__name__}" for b in BROKEN_DATA])
def test_broken_data_file_is_rejected(tmp_path, name, key, index, breaker):
    root = _copy(tmp_path)
    path = root / name
    doc = _read(path)
    entry = doc[key][index]
    word = breaker(entry)
    _write(path, doc)
    msg = _load_broken(root)
    assert name in msg and entry["id"] in msg and word in msg, msg


def test_unknown_flag_in_rule_is_rejected(tmp_path):
    root = _copy(tmp_path)
    name, doc, path, rule = _first_pattern_rule(root)
    rule["flags"] = [*(rule.get("flags") or []), "not_a_flag"]
    _write(path, doc)
    msg = _load_broken(root)
    assert name in msg and rule["id"] in msg and "not_a_flag" in msg, msg


def test_unknown_rule_reference_is_rejected(tmp_path):
    root = _copy(tmp_path)
    name, doc, path, rule = _first_pattern_rule(root)
    rule["requires_any"] = ["NO_SUCH_RULE"]
    _write(path, doc)
    msg = _load_broken(root)
    assert name in msg and rule["id"] in msg and "NO_SUCH_RULE" in msg, msg


def test_scenario_conditions_are_checked(tmp_path):
    root = _copy(tmp_path)
    path = root / "scenarios.yaml"
    doc = _read(path)
    doc["scenarios"][0]["when_flags_any"] = ["not_a_flag"]
    _write(path, doc)
    msg = _load_broken(root)
    assert "scenarios.yaml" in msg and doc["scenarios"][0]["id"] in msg and "not_a_flag" in msg, msg
    # every kind keeps a scenario that applies whatever the flags
    del doc["scenarios"][0]["when_flags_any"]
    doc["scenarios"] = [s for s in doc["scenarios"] if s["id"] != "not_collection"]
    _write(path, doc)
    msg = _load_broken(root)
    assert "unconditional scenario" in msg and "other" in msg, msg


def test_duplicate_rule_id_across_files_is_rejected(tmp_path):
    root = _copy(tmp_path)
    _, _, _, rule = _first_pattern_rule(root)
    extra = {"group": "dup", "rules": [dict(rule)]}
    _write(root / "rules" / "99_duplicate.yaml", extra)
    msg = _load_broken(root)
    assert rule["id"] in msg and "99_duplicate.yaml" in msg, msg


def test_short_latin_lexicon_terms_stand_alone():
    """"cs" (催收) or "zx" (征信) in a lexicon match as abbreviations, not inside a link or a word; longer
    words still match as a prefix (loan → loans)."""
    from anning.knowledge.loader import _expand_lexicons

    lexicons = {"abbr": ("cs", "zx", "yu期", "loan")}
    rx = re.compile(_expand_lexicons("{lex:abbr}", lexicons, "test"))
    assert [m.group() for m in rx.finditer("已转cs处理，zx受损，yu期三天")] == ["cs", "zx", "yu期"]
    assert rx.search("bcs.duapp.com sxbzx-court.top xyu期") is None
    assert rx.search("your loans").group() == "loan"


def _unreachable(term: str) -> set[str]:
    """Characters of a pattern or lexicon term that normalised text never contains (full-width
    punctuation, traditional characters, "·" between CJK characters): they can never match."""
    from anning.text.normalize import normalize

    chars = {c for c in term if not c.isascii()}
    return {c for c in chars if normalize(c).text != c} | ({"·"} & chars)


def test_patterns_and_lexicons_are_written_in_normalised_form():
    """Patterns run on the normalised text (simplified, half-width, separators removed), so a pattern
    written with 搵, "，" or 騙·子 silently never matches that part."""
    dead = [f"rule {rule.id}: {sorted(bad)}" for rule in _K.rules.values()
            for source in rule.sources if (bad := _unreachable(source))]
    dead += [f"lexicon {name}: {term!r}" for name, terms in _K.lexicons.items()
             for term in terms if _unreachable(term)]
    assert not dead, "\n".join(dead)


@pytest.mark.parametrize(("change", "expected"), [
    ({"rule": "DEBT_CONTEXT"}, "must name a model rule"),
    ({"from": 0.3}, "probability from 0.5 to 1"),
    ({"kinds": ["collection_notice", "loan_shark"]}, "known kinds"),
])
def test_bad_model_context_is_rejected(tmp_path, change, expected):
    root = _copy(tmp_path)
    scoring = _read(root / "scoring.yaml")
    scoring["model"]["supplies_context"].update(change)
    _write(root / "scoring.yaml", scoring)
    msg = _load_broken(root)
    assert "supplies_context" in msg and expected in msg, msg


@pytest.mark.parametrize(("key", "value"), [
    ("decides_alone_requires", {"third_party_contact": ["NO_SUCH_RULE"]}),
    ("decides_alone_requires", {"other": ["DEBT_CONTEXT"]}),
    ("decides_alone_requires", {"fake_collection": ["g:no_such_group"]}),
    ("decides_alone_from", {"loan_shark": 0.9}),
    ("decides_alone_from", {"collection_notice": 1.5}),
    ("decides_alone_min_chars", "two"),
])
def test_bad_decides_alone_setting_is_rejected(tmp_path, key, value):
    root = _copy(tmp_path)
    scoring = _read(root / "scoring.yaml")
    scoring["model"][key] = value
    _write(root / "scoring.yaml", scoring)
    assert key in _load_broken(root)


def test_unknown_lender_platform_type_is_rejected(tmp_path):
    root = _copy(tmp_path)
    scoring = _read(root / "scoring.yaml")
    scoring["lender_platform_types"] = ["online_lender", "loan_shark"]
    _write(root / "scoring.yaml", scoring)
    msg = _load_broken(root)
    assert "lender_platform_types" in msg and "loan_shark" in msg, msg


def test_short_latin_lexicon_terms_end_a_word_and_are_not_a_currency():
    from anning.knowledge.loader import terms_pattern

    pinyin = re.compile(terms_pattern(["hk", "yq"]))
    assert [m.group() for m in pinyin.finditer("请尽快hk，已yq 3天")] == ["hk", "yq"]
    assert pinyin.search("hkd 500") is None  # continues a Latin word
    assert pinyin.search("保证金hk$20,000") is None  # Hong Kong dollars, not 还款
