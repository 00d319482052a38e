"""Load and validate the YAML knowledge files into immutable objects.

Errors name the file, the entry id and the field, so a lawyer editing ``laws.yaml`` sees exactly
what to fix. Cross-references (law ids, behaviours, actions, guide topics) are checked here too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

LANGS = ("zh", "en")
BINDING_LEVELS = ("law", "judicial_interpretation", "regulation", "national_standard_recommended",
                  "self_regulatory")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_LEX = re.compile(r"\{lex:([a-z0-9_]+)\}")


class KnowledgeError(ValueError):
    """A knowledge file is malformed; the message names file, id and field."""


Text = dict[str, str]  # {"zh": ..., "en": ...}


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    sender: str | None = None
    at: str | None = None


@lru_cache(maxsize=2048)
def compile_pattern(source: str, where: str = "") -> re.Pattern[str]:
    """Patterns compile on first use (most messages need few of them); errors name the rule."""
    try:
        return re.compile(source)
    except re.error as exc:
        raise KnowledgeError(f"{where}: pattern {source!r} does not compile: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    group: str
    detector: str
    label: Text
    sources: tuple[str, ...]
    flags: tuple[str, ...]
    flags_if_kind: dict[str, tuple[str, ...]]
    kinds: dict[str, float]
    risk: int
    behaviours: tuple[str, ...]
    requires_any: tuple[str, ...]
    unless_any: tuple[str, ...]
    hit_examples: tuple[Example, ...]
    miss_examples: tuple[Example, ...]
    source_file: str
    visible: bool = True
    negatable: bool = False  # a match in a negated clause (我行不会要求您提供验证码) does not count

    def pattern(self, index: int) -> re.Pattern[str]:
        return compile_pattern(self.sources[index], f"{self.source_file}: rule {self.id}")

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(self.pattern(i) for i in range(len(self.sources)))


@dataclass(frozen=True, slots=True)
class Law:
    id: str
    instrument: Text
    article: Text
    title: Text
    summary: Text
    binding_level: str
    behaviours: tuple[str, ...]
    applies_to: str
    source: str
    confidence: str
    in_force_from: str | None
    in_force_until: str | None
    note: Text


@dataclass(frozen=True, slots=True)
class ChannelDef:
    id: str
    name: Text
    number: str | None
    how: Text
    source: str


@dataclass(frozen=True, slots=True)
class Behaviour:
    id: str
    label: Text
    why: Text
    cite: tuple[str, ...]
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionDef:
    id: str
    title: Text
    detail: Text
    guide: str | None


@dataclass(frozen=True, slots=True)
class ScenarioDef:
    id: str
    kinds: tuple[str, ...]
    title: Text
    summary: Text
    alternatives: dict[str, tuple[str, ...]]
    actions: tuple[str, ...]
    when_flags_any: tuple[str, ...] = ()  # only when the verdict has one of these flags (empty: always)

    def applies(self, kind: str, flags: tuple[str, ...]) -> bool:
        return kind in self.kinds and (not self.when_flags_any or any(f in flags for f in self.when_flags_any))


@dataclass(frozen=True, slots=True)
class GuideTopic:
    id: str
    title: Text
    body: Text
    related: tuple[str, ...]
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Platform:
    id: str
    name: Text
    aliases: tuple[str, ...]
    type: str
    official_domains: tuple[str, ...]
    official_numbers: tuple[str, ...]
    url_tokens: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SenderClass:
    id: str
    pattern: re.Pattern[str]
    label: Text
    proves: Text
    signal: str | None


@dataclass(frozen=True, slots=True)
class KindPolicy:
    kind: str
    threshold: float


@dataclass(frozen=True, eq=False)  # identity hash: detectors cache per knowledge pack
class Knowledge:
    version: str
    taxonomy: dict[str, Any]
    kind_labels: dict[str, Text]
    flag_labels: dict[str, Text]
    risk_levels: tuple[tuple[str, int, Text], ...]
    rules: dict[str, Rule]
    lexicons: dict[str, tuple[str, ...]]
    laws: dict[str, Law]
    binding_levels: dict[str, dict[str, str]]
    channels: dict[str, ChannelDef]
    behaviours: dict[str, Behaviour]
    actions: dict[str, ActionDef]
    scenarios: dict[str, ScenarioDef]
    guide: dict[str, GuideTopic]
    platforms: dict[str, Platform]
    senders: tuple[SenderClass, ...]
    scoring: dict[str, Any]
    kind_policy: tuple[KindPolicy, ...]
    ui: dict[str, Text]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def rules_for(self, detector: str) -> list[Rule]:
        cache = self.__dict__.setdefault("_by_detector", {})
        if detector not in cache:
            cache[detector] = [r for r in self.rules.values() if r.detector == detector]
        return cache[detector]


def _text(entry: dict[str, Any], name: str, where: str, required: bool = True) -> Text:
    out: Text = {}
    for lang in LANGS:
        value = entry.get(f"{name}_{lang}")
        if value is None:
            if required:
                raise KnowledgeError(f"{where}: missing field '{name}_{lang}'")
            value = ""
        if not isinstance(value, str):
            raise KnowledgeError(f"{where}: field '{name}_{lang}' must be text")
        out[lang] = value.strip()
    return out


def _str_list(entry: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = entry.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KnowledgeError(f"{where}: field '{name}' must be a list of strings")
    return tuple(value)


def _entries(doc: Any, key: str, file: str) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise KnowledgeError(f"{file}: expected a top-level '{key}:' list")
    seen: set[str] = set()
    for i, entry in enumerate(doc[key]):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise KnowledgeError(f"{file}: entry #{i + 1} of '{key}' has no 'id'")
        if not _ID.match(entry["id"]):
            raise KnowledgeError(f"{file}: id '{entry['id']}' is not a valid identifier")
        if entry["id"] in seen:
            raise KnowledgeError(f"{file}: duplicate id '{entry['id']}'")
        seen.add(entry["id"])
    return doc[key]


def _examples(raw: Any, where: str) -> tuple[Example, ...]:
    out = []
    for item in raw or []:
        if isinstance(item, str):
            out.append(Example(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(Example(item["text"], item.get("sender"), item.get("at")))
        else:
            raise KnowledgeError(f"{where}: examples must be strings or {{text, sender, at}} maps")
    return tuple(out)


_LATIN_HEAD = re.compile(r"^[a-z]+")
_LATIN_TAIL = re.compile(r"[a-z]+$")


def _term(term: str, whole_word: bool = False) -> str:
    """A lexicon term as a regex. A Latin word must start a word, not continue a word or a link ("loan"
    in quickhk-loan.com is part of a domain name, not the text's own word); a short Latin abbreviation at
    its end (up to three letters: "cs" for 催收, "yu期", "hr") must also end one, or it would match inside
    any Latin word ("bcs"); longer words still match as a prefix ("loan" in "loans") unless ``whole_word``.
    Normalised text is lower case."""
    out = re.escape(term)
    head, tail = _LATIN_HEAD.match(term), _LATIN_TAIL.search(term)
    if head:
        # the check sits after the first letter ("l(?<![…]l)oan"), so that every alternative of a lexicon
        # still starts with a literal: re then skips positions by the first characters, 5-10x faster
        first = re.escape(term[0])
        out = first + f"(?<![a-z0-9./_@-]{first})" + re.escape(term[1:])
    if tail and (whole_word or len(tail.group()) <= 3):
        out += "(?![a-z$])"  # nor a currency: "hk" is 还款 in pinyin, "hk$" Hong Kong dollars
    return out


def terms_pattern(terms: Iterable[str], whole_words: bool = False) -> str:
    """A non-capturing alternation of lexicon terms, longest first (``{lex:NAME}`` in a pattern)."""
    return "(?:" + "|".join(_term(t, whole_words) for t in sorted(terms, key=len, reverse=True)) + ")"


def _expand_lexicons(pattern: str, lexicons: dict[str, tuple[str, ...]], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in lexicons:
            raise KnowledgeError(f"{where}: unknown lexicon '{name}'")
        return terms_pattern(lexicons[name])

    return _LEX.sub(sub, pattern)


def _load_rules(files: list[tuple[str, Any]], lexicons: dict[str, tuple[str, ...]]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for file, doc in files:
        group = doc.get("group") if isinstance(doc, dict) else None
        if not isinstance(group, str):
            raise KnowledgeError(f"{file}: missing top-level 'group:'")
        for entry in _entries(doc, "rules", file):
            rid = entry["id"]
            where = f"{file}: rule {rid}"
            if rid in rules:
                raise KnowledgeError(f"{where}: id already defined in {rules[rid].source_file}")
            detector = entry.get("detector", "rules")
            patterns = []
            for raw in entry.get("patterns") or []:
                if not isinstance(raw, str):
                    raise KnowledgeError(f"{where}: patterns must be strings")
                patterns.append(_expand_lexicons(raw, lexicons, where))
            if detector == "rules" and not patterns:
                raise KnowledgeError(f"{where}: a pattern rule needs at least one pattern")
            kinds = entry.get("kinds") or {}
            if not isinstance(kinds, dict) or not all(isinstance(v, int | float) for v in kinds.values()):
                raise KnowledgeError(f"{where}: 'kinds' must map kind ids to numbers")
            risk = entry.get("risk", 0)
            if not isinstance(risk, int) or not -100 <= risk <= 100:
                raise KnowledgeError(f"{where}: 'risk' must be an integer in [-100, 100]")
            fik = entry.get("flags_if_kind") or {}
            examples = entry.get("examples") or {}
            rules[rid] = Rule(
                id=rid,
                group=entry.get("group", group),
                detector=detector,
                label=_text(entry, "label", where),
                sources=tuple(patterns),
                flags=_str_list(entry, "flags", where),
                flags_if_kind={k: tuple(v) for k, v in fik.items()},
                kinds={k: float(v) for k, v in kinds.items()},
                risk=risk,
                behaviours=_str_list(entry, "behaviours", where),
                requires_any=_str_list(entry, "requires_any", where),
                unless_any=_str_list(entry, "unless_any", where),
                hit_examples=_examples(examples.get("hit"), where),
                miss_examples=_examples(examples.get("miss"), where),
                source_file=file,
                visible=bool(entry.get("visible", True)),
                negatable=bool(entry.get("negatable", False)),
            )
    return rules


class _Reader:
    """Reads YAML files from the packaged data directory (or an override directory)."""

    def __init__(self, root: Path | None):
        self.root = root
        self.digest = hashlib.sha256()

    def _path(self, name: str) -> Any:
        if self.root is not None:
            return self.root / name
        return resources.files("anning") / "data" / name

    def read(self, name: str) -> Any:
        raw = self._path(name).read_bytes()
        self.digest.update(name.encode() + b"\0" + raw)
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            return yaml.load(raw, Loader=loader)
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{name}: invalid YAML: {exc}") from exc

    def listdir(self, name: str) -> list[str]:
        base = self._path(name)
        return sorted(p.name for p in base.iterdir() if p.name.endswith(".yaml"))


def _check_refs(k: Knowledge) -> None:
    kinds = set(k.kind_labels)
    flags = set(k.flag_labels)
    ids = set(k.rules)
    groups = {r.group for r in k.rules.values()}
    for r in k.rules.values():
        where = f"{r.source_file}: rule {r.id}"
        if r.negatable and ("negation_cues" not in k.lexicons or "negation" not in k.scoring):
            raise KnowledgeError(f"{where}: 'negatable' needs the lexicon negation_cues and scoring.yaml 'negation'")
        for f in (*r.flags, *r.flags_if_kind):
            if f not in flags:
                raise KnowledgeError(f"{where}: unknown flag '{f}'")
        for f, ks in r.flags_if_kind.items():
            for kd in ks:
                if kd not in kinds:
                    raise KnowledgeError(f"{where}: flags_if_kind.{f} names unknown kind '{kd}'")
        for kd in r.kinds:
            if kd not in kinds:
                raise KnowledgeError(f"{where}: unknown kind '{kd}'")
        for b in r.behaviours:
            if b not in k.behaviours:
                raise KnowledgeError(f"{where}: unknown behaviour '{b}'")
        for ref in (*r.requires_any, *r.unless_any):
            if ref.startswith("g:"):
                if ref[2:] not in groups:
                    raise KnowledgeError(f"{where}: unknown group '{ref[2:]}'")
            elif ref not in ids:
                raise KnowledgeError(f"{where}: unknown rule '{ref}' in requires_any/unless_any")
    for b in k.behaviours.values():
        for law in b.cite:
            if law not in k.laws:
                raise KnowledgeError(f"behaviours.yaml: {b.id} cites unknown law '{law}'")
        for ch in b.channels:
            if ch not in k.channels:
                raise KnowledgeError(f"behaviours.yaml: {b.id} names unknown channel '{ch}'")
    for law in k.laws.values():
        if law.binding_level not in k.binding_levels:
            raise KnowledgeError(f"laws.yaml: {law.id} has unknown binding level '{law.binding_level}'")
    for a in k.actions.values():
        if a.guide and a.guide not in k.guide:
            raise KnowledgeError(f"actions.yaml: {a.id} links unknown guide topic '{a.guide}'")
    for s in k.scenarios.values():
        for a in s.actions:
            if a not in k.actions:
                raise KnowledgeError(f"scenarios.yaml: {s.id} names unknown action '{a}'")
        for kd in s.kinds:
            if kd not in kinds:
                raise KnowledgeError(f"scenarios.yaml: {s.id} names unknown kind '{kd}'")
        for f in s.when_flags_any:
            if f not in k.flag_labels:
                raise KnowledgeError(f"scenarios.yaml: {s.id} names unknown flag '{f}'")
    covered = {kd for s in k.scenarios.values() if not s.when_flags_any for kd in s.kinds}
    if covered != kinds:
        raise KnowledgeError(f"scenarios.yaml: kinds without an unconditional scenario: {sorted(kinds - covered)}")
    for g in k.guide.values():
        for rel in g.related:
            if rel not in k.guide:
                raise KnowledgeError(f"guide.yaml: {g.id} relates to unknown topic '{rel}'")
    sc = k.scoring
    for kd in [p.kind for p in k.kind_policy] + [sc["default_kind"]]:
        if kd not in kinds:
            raise KnowledgeError(f"scoring.yaml: unknown kind '{kd}'")
    for beh, acts in sc.get("behaviour_actions", {}).items():
        if beh not in k.behaviours:
            raise KnowledgeError(f"scoring.yaml: behaviour_actions names unknown behaviour '{beh}'")
        for a in acts:
            if a not in k.actions:
                raise KnowledgeError(f"scoring.yaml: behaviour_actions.{beh} names unknown action '{a}'")
    for a, chans in sc.get("action_channels", {}).items():
        if a not in k.actions:
            raise KnowledgeError(f"scoring.yaml: action_channels names unknown action '{a}'")
        for ch in chans:
            if ch not in k.channels:
                raise KnowledgeError(f"scoring.yaml: action_channels.{a} names unknown channel '{ch}'")
    for kd, behs in sc.get("kind_behaviours", {}).items():
        for beh in behs:
            if beh not in k.behaviours:
                raise KnowledgeError(f"scoring.yaml: kind_behaviours.{kd} names unknown behaviour '{beh}'")
    alone = sc.get("model", {}).get("decides_alone_from", {})
    if set(alone) - set(k.kind_labels) or not all(0.5 <= float(v) <= 1 for v in alone.values()):
        raise KnowledgeError(f"scoring.yaml: model.decides_alone_from must map known kinds to probabilities "
                             f"from 0.5 to 1, got {alone!r}")
    groups = {r.group for r in k.rules.values()}
    for kd, refs in sc.get("model", {}).get("decides_alone_requires", {}).items():
        if kd not in alone or not refs or any(r[2:] not in groups if r.startswith("g:") else r not in k.rules
                                              for r in refs):
            raise KnowledgeError(f"scoring.yaml: model.decides_alone_requires.{kd} must list rule ids or g:groups, "
                                 f"for a kind in decides_alone_from, got {refs!r}")
    certain = sc.get("model", {}).get("decides_alone_certain_from", {})
    if not isinstance(certain, dict) or set(certain) - set(alone) or not all(0.5 <= float(v) <= 1
                                                                           for v in certain.values()):
        raise KnowledgeError(f"scoring.yaml: model.decides_alone_certain_from must map kinds of decides_alone_from "
                             f"to probabilities from 0.5 to 1, got {certain!r}")
    if not isinstance(sc.get("model", {}).get("decides_alone_certain_min_chars", 0), int):
        raise KnowledgeError("scoring.yaml: model.decides_alone_certain_min_chars must be a whole number")
    siblings = sc.get("model", {}).get("blocked_mass_to", {})
    if not isinstance(siblings, dict) or any(a not in k.kind_labels or b not in k.kind_labels or a == b
                                             for a, b in siblings.items()):
        raise KnowledgeError(f"scoring.yaml: model.blocked_mass_to must map a kind to another kind, got {siblings!r}")
    if not isinstance(sc.get("model", {}).get("decides_alone_min_chars", 0), int):
        raise KnowledgeError("scoring.yaml: model.decides_alone_min_chars must be a whole number")
    context = sc.get("model", {}).get("supplies_context")
    if context is not None:
        rule = k.rules.get(context.get("rule"))
        if rule is None or rule.detector != "model":
            raise KnowledgeError("scoring.yaml: model.supplies_context.rule must name a model rule, "
                                 f"got {context.get('rule')!r}")
        if not 0.5 <= float(context.get("from", -1)) <= 1:
            raise KnowledgeError("scoring.yaml: model.supplies_context.from must be a probability from 0.5 to 1")
        unknown = set(context.get("kinds") or ()) - set(k.kind_labels)
        if not context.get("kinds") or unknown:
            raise KnowledgeError("scoring.yaml: model.supplies_context.kinds must list known kinds, "
                                 f"got {context.get('kinds')!r}")
    platform_types = {p.type for p in k.platforms.values()}
    if not set(sc.get("lender_platform_types", ())) <= platform_types:
        raise KnowledgeError(f"scoring.yaml: lender_platform_types must list platform types of platforms.yaml "
                             f"({sorted(platform_types)}), got {sc.get('lender_platform_types')!r}")
    for sclass in k.senders:
        if sclass.signal and sclass.signal not in ids:
            raise KnowledgeError(f"senders.yaml: {sclass.id} emits undeclared signal '{sclass.signal}'")


def _build(reader: _Reader, strict: bool = False) -> Knowledge:
    tax = reader.read("taxonomy.yaml")
    kind_labels = {e["id"]: _text(e, "label", f"taxonomy.yaml: {e['id']}")
                   for e in _entries(tax, "kinds", "taxonomy.yaml")}
    flag_labels = {e["id"]: _text(e, "label", f"taxonomy.yaml: {e['id']}")
                   for e in _entries(tax, "flags", "taxonomy.yaml")}
    risk_levels = tuple(
        (e["id"], int(e["min_risk"]), _text(e, "label", f"taxonomy.yaml: {e['id']}"))
        for e in sorted(_entries(tax, "risk_levels", "taxonomy.yaml"), key=lambda e: e["min_risk"])
    )

    lex_doc = reader.read("lexicons.yaml")
    if not isinstance(lex_doc, dict) or not isinstance(lex_doc.get("lexicons"), dict):
        raise KnowledgeError("lexicons.yaml: expected a top-level 'lexicons:' map")
    lexicons: dict[str, tuple[str, ...]] = {}
    for name, terms in lex_doc["lexicons"].items():
        if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t for t in terms):
            raise KnowledgeError(f"lexicons.yaml: lexicon '{name}' must be a non-empty list of strings")
        lexicons[name] = tuple(terms)

    rule_files = [(f"rules/{n}", reader.read(f"rules/{n}")) for n in reader.listdir("rules")]
    rules = _load_rules(rule_files, lexicons)
    if strict:  # the packaged knowledge is compiled by the test suite; other directories are checked here
        for r in rules.values():
            r.patterns  # noqa: B018 - compiling is the check

    laws_doc = reader.read("laws.yaml")
    binding_levels = laws_doc.get("binding_levels") or {}
    laws: dict[str, Law] = {}
    for e in _entries(laws_doc, "laws", "laws.yaml"):
        where = f"laws.yaml: {e['id']}"
        for req in ("binding_level", "source", "confidence"):
            if not e.get(req):
                raise KnowledgeError(f"{where}: missing field '{req}'")
        if e["binding_level"] not in BINDING_LEVELS:
            raise KnowledgeError(f"{where}: binding_level must be one of {BINDING_LEVELS}")
        if e["confidence"] not in ("verified", "likely"):
            raise KnowledgeError(f"{where}: only verified or likely entries may be shipped")
        laws[e["id"]] = Law(
            id=e["id"], instrument=_text(e, "instrument", where), article=_text(e, "article", where, False),
            title=_text(e, "title", where), summary=_text(e, "summary", where),
            binding_level=e["binding_level"], behaviours=_str_list(e, "behaviours", where),
            applies_to=e.get("applies_to") or "both", source=e["source"], confidence=e["confidence"],
            in_force_from=_date_str(e.get("in_force_from")), in_force_until=_date_str(e.get("in_force_until")),
            note=_text(e, "note", where, False),
        )

    ch_doc = reader.read("channels.yaml")
    channels = {
        e["id"]: ChannelDef(e["id"], _text(e, "name", f"channels.yaml: {e['id']}"),
                            str(e["number"]) if e.get("number") else None,
                            _text(e, "how", f"channels.yaml: {e['id']}"), str(e.get("source", "")))
        for e in _entries(ch_doc, "channels", "channels.yaml")
    }
    beh_doc = reader.read("behaviours.yaml")
    behaviours = {
        e["id"]: Behaviour(e["id"], _text(e, "label", f"behaviours.yaml: {e['id']}"),
                           _text(e, "why", f"behaviours.yaml: {e['id']}"),
                           _str_list(e, "cite", e["id"]), _str_list(e, "channels", e["id"]))
        for e in _entries(beh_doc, "behaviours", "behaviours.yaml")
    }
    act_doc = reader.read("actions.yaml")
    actions = {
        e["id"]: ActionDef(e["id"], _text(e, "title", f"actions.yaml: {e['id']}"),
                           _text(e, "detail", f"actions.yaml: {e['id']}"), e.get("guide"))
        for e in _entries(act_doc, "actions", "actions.yaml")
    }
    sc_doc = reader.read("scenarios.yaml")
    scenarios = {
        e["id"]: ScenarioDef(
            e["id"], _str_list(e, "kinds", e["id"]), _text(e, "title", f"scenarios.yaml: {e['id']}"),
            _text(e, "summary", f"scenarios.yaml: {e['id']}"),
            {lang: tuple(e.get(f"alternatives_{lang}") or []) for lang in LANGS},
            _str_list(e, "actions", e["id"]), _str_list(e, "when_flags_any", e["id"]),
        )
        for e in _entries(sc_doc, "scenarios", "scenarios.yaml")
    }
    g_doc = reader.read("guide.yaml")
    guide = {
        e["id"]: GuideTopic(e["id"], _text(e, "title", f"guide.yaml: {e['id']}"),
                            _text(e, "body", f"guide.yaml: {e['id']}"), _str_list(e, "related", e["id"]),
                            _str_list(e, "questions_zh", e["id"]))
        for e in _entries(g_doc, "guide", "guide.yaml")
    }
    p_doc = reader.read("platforms.yaml")
    platforms = {
        e["id"]: Platform(e["id"], _text(e, "name", f"platforms.yaml: {e['id']}"),
                          _str_list(e, "aliases", e["id"]), str(e.get("type", "")),
                          _str_list(e, "official_domains", e["id"]), _str_list(e, "official_numbers", e["id"]),
                          _str_list(e, "url_tokens", e["id"]))
        for e in _entries(p_doc, "platforms", "platforms.yaml")
    }
    s_doc = reader.read("senders.yaml")
    senders = []
    for e in _entries(s_doc, "classes", "senders.yaml"):
        where = f"senders.yaml: {e['id']}"
        try:
            pat = re.compile(e["pattern"])
        except (KeyError, re.error) as exc:
            raise KnowledgeError(f"{where}: bad or missing 'pattern': {exc}") from exc
        senders.append(SenderClass(e["id"], pat, _text(e, "label", where), _text(e, "proves", where),
                                   e.get("signal")))
    scoring = reader.read("scoring.yaml")
    kind_policy = tuple(KindPolicy(p["kind"], float(p["threshold"])) for p in scoring["kind_policy"])
    ui_doc = reader.read("ui.yaml")
    ui = {key: {lang: str(val.get(lang, "")) for lang in LANGS} for key, val in ui_doc["strings"].items()}

    groups: dict[str, list[str]] = {}
    for r in rules.values():
        groups.setdefault(r.group, []).append(r.id)

    k = Knowledge(
        version=reader.digest.hexdigest()[:16], taxonomy=tax, kind_labels=kind_labels,
        flag_labels=flag_labels, risk_levels=risk_levels, rules=rules, lexicons=lexicons, laws=laws,
        binding_levels=binding_levels, channels=channels, behaviours=behaviours, actions=actions,
        scenarios=scenarios, guide=guide, platforms=platforms, senders=tuple(senders), scoring=scoring,
        kind_policy=kind_policy, ui=ui, groups={g: tuple(v) for g, v in groups.items()},
    )
    _check_refs(k)
    return k


def _date_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


@lru_cache(maxsize=4)
def load_knowledge(root: str | None = None) -> Knowledge:
    """Load the packaged knowledge (or the directory ``root``), validated and cross-checked.

    The packaged pack is cached on disk (``anning.cache``), keyed by its files and this module."""
    if root is not None:
        return _build(_Reader(Path(root)), strict=True)
    from anning.cache import cached

    return cached("knowledge", _packaged_inputs(), lambda: _build(_Reader(None)))


def _packaged_inputs() -> list[bytes]:
    data = resources.files("anning") / "data"
    parts = [Path(__file__).read_bytes()]
    for folder in (data, data / "rules"):
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".yaml"):
                parts.append(entry.name.encode() + b"\0" + entry.read_bytes())
    return parts
