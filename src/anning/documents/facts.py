"""The facts a letter may state, gathered from analysed messages and the knowledge base — nothing else.

``LetterFacts`` is built either from one analysed message (``from_verdict``) or from the stored
messages of an evidence case (``from_messages``: any objects with ``id, text, sender, received_at,
direction, kind, risk, flags, verdict``). Every field comes from a message (its text, sender, time or
the engine's verdict on it) or from the knowledge pack (labels, law citations with binding level and
source, channels); the person's own details are kept apart in ``Person`` and are never guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from anning.knowledge import Knowledge, load_knowledge
from anning.knowledge.loader import BINDING_LEVELS

# Behaviours that belong in a police report (threats, impersonation, fraud); order = display order.
POLICE_BEHAVIOURS = ("threatens_violence", "threatens_visit", "extortion", "impersonates_authority",
                     "impersonates_lawyer", "fake_legal_document", "false_criminal_threat",
                     "demands_personal_account", "phishing_link_or_app", "asks_verification_code",
                     "threatens_exposure", "defames", "insults")
SCAM_KINDS = ("fake_collection", "debt_relief_scam")


@dataclass(frozen=True)
class MessageFact:
    index: int  # 1-based position in the letter (chronological)
    id: Any
    text: str
    sender: str | None
    sender_type: str | None
    sender_label: str | None
    received_at: datetime | None
    kind: str
    kind_label: str
    risk: int
    flags: tuple[str, ...]
    behaviours: tuple[str, ...]
    night: bool


@dataclass(frozen=True)
class BehaviourFact:
    id: str
    label: str
    why: str
    count: int  # messages showing it
    messages: tuple[int, ...]  # MessageFact.index values
    dates: tuple[date, ...]  # distinct dates, sorted
    evidence: tuple[str, ...]  # quoted text from the messages (the engine's evidence spans)


@dataclass(frozen=True)
class Citation:
    id: str
    instrument: str
    article: str
    title: str
    summary: str
    basis: str  # "可能违反《…》第…条" / "不符合行业规范：…", worded by binding level
    binding_level: str
    binding_label: str
    source: str
    confidence: str
    behaviours: tuple[str, ...] = ()  # behaviour labels that led to it (message-derived citations)
    count: int = 0  # messages it was found in


@dataclass(frozen=True)
class ChannelFact:
    id: str
    name: str
    number: str | None
    how: str
    source: str


@dataclass(frozen=True)
class Person:
    """What the person told us about themselves. None = not given → the letter shows a blank."""

    name: str | None = None
    phone: str | None = None
    id_last4: str | None = None

    def get(self, key: str) -> str | None:
        value = getattr(self, key, None)
        return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class Counted:
    value: str
    count: int
    label: str | None = None  # e.g. the sender-number class


@dataclass
class LetterFacts:
    lang: str
    messages: tuple[MessageFact, ...]
    case_title: str | None = None
    kinds: dict[str, int] = field(default_factory=dict)
    main_kind: str = "other"
    main_kind_label: str = ""
    flags: dict[str, int] = field(default_factory=dict)
    flag_labels: dict[str, str] = field(default_factory=dict)
    senders: tuple[Counted, ...] = ()
    platforms: tuple[Counted, ...] = ()
    persons: tuple[Counted, ...] = ()
    amounts: tuple[Counted, ...] = ()
    deadlines: tuple[Counted, ...] = ()
    urls: tuple[Counted, ...] = ()
    phones: tuple[Counted, ...] = ()
    accounts: tuple[Counted, ...] = ()
    contract_numbers: tuple[Counted, ...] = ()
    behaviours: tuple[BehaviourFact, ...] = ()
    violations: tuple[Citation, ...] = ()
    night_contacts: tuple[MessageFact, ...] = ()
    first_at: datetime | None = None
    last_at: datetime | None = None
    undated: int = 0
    days: int = 0  # distinct days with a dated message
    busiest_day: tuple[date, int] | None = None
    verification_code_request: bool = False

    # ---- convenience for templates -------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def scam_likely(self) -> bool:
        return any(m.kind in SCAM_KINDS for m in self.messages)

    @property
    def third_party(self) -> bool:
        return any(m.kind == "third_party_contact" for m in self.messages)

    @property
    def police_behaviours(self) -> tuple[BehaviourFact, ...]:
        order = {b: i for i, b in enumerate(POLICE_BEHAVIOURS)}
        return tuple(sorted((b for b in self.behaviours if b.id in order), key=lambda b: order[b.id]))

    def behaviour(self, behaviour_id: str) -> BehaviourFact | None:
        return next((b for b in self.behaviours if b.id == behaviour_id), None)

    def has(self, *behaviour_ids: str) -> bool:
        return any(self.behaviour(b) for b in behaviour_ids)

    def violations_at(self, *levels: str) -> tuple[Citation, ...]:
        return tuple(c for c in self.violations if c.binding_level in levels)

    # ---- builders ------------------------------------------------------------------------------
    @classmethod
    def from_verdict(cls, verdict: dict[str, Any], knowledge: Knowledge | None = None,
                     lang: str = "zh") -> LetterFacts:
        """Facts from one analysed message (``verdict_to_dict`` output)."""
        m = verdict.get("message") or {}
        item = SimpleNamespace(id=m.get("id"), text=m.get("text", ""), sender=m.get("sender"),
                               received_at=m.get("received_at"), direction="in", kind=verdict.get("kind"),
                               risk=verdict.get("risk", 0), flags=list(verdict.get("flags") or []),
                               verdict=verdict)
        return cls.from_messages([item], knowledge=knowledge, lang=lang)

    @classmethod
    def from_messages(cls, messages: Sequence[Any], case_title: str | None = None,
                      knowledge: Knowledge | None = None, lang: str = "zh") -> LetterFacts:
        """Facts from stored messages (duck-typed: ``id, text, sender, received_at, direction, kind,
        risk, flags, verdict``; optional ``record_type``, ``corrected_kind``). Messages the person sent
        (direction ``out``), calls and empty records are left out; a kind the person corrected wins."""
        k = knowledge or load_knowledge()
        incoming = [m for m in messages if getattr(m, "direction", "in") != "out"
                    and getattr(m, "record_type", "sms") != "call" and (getattr(m, "text", "") or "").strip()]
        if not incoming:
            raise ValueError("no received messages to write about" if messages else "no messages given")
        parsed = [(_parse_time(getattr(m, "received_at", None)), i, m) for i, m in enumerate(incoming)]
        parsed.sort(key=lambda t: (t[0] is None, t[0] or datetime.min, t[1]))

        facts = cls(lang=lang, messages=(), case_title=case_title)
        msgs: list[MessageFact] = []
        ent: dict[str, Counter[str]] = {key: Counter() for key in (
            "platforms", "persons", "amounts", "deadlines", "urls", "phones", "accounts", "contract_numbers")}
        senders: Counter[str] = Counter()
        sender_types: dict[str, str | None] = {}
        evidence: dict[str, list[str]] = {}
        beh_msgs: dict[str, list[int]] = {}
        law_hits: dict[str, list[int]] = {}
        stored_laws: dict[str, dict[str, Any]] = {}
        vcode = False
        for index, (when, _pos, m) in enumerate(parsed, start=1):
            verdict = getattr(m, "verdict", None) or {}
            kind = (getattr(m, "corrected_kind", None) or getattr(m, "kind", None) or verdict.get("kind")
                    or "other")
            if kind not in k.kind_labels:
                kind = "other"
            flags = tuple(getattr(m, "flags", None) or verdict.get("flags") or ())
            entities = verdict.get("entities") or {}
            behaviours = _behaviours(verdict, kind, k)
            sender = (getattr(m, "sender", None) or "").strip() or None
            stype = (entities.get("sender") or {}).get("type")
            msgs.append(MessageFact(
                index=index, id=getattr(m, "id", None), text=getattr(m, "text", "") or "", sender=sender,
                sender_type=stype, sender_label=_sender_label(k, stype, lang), received_at=when, kind=kind,
                kind_label=k.kind_labels[kind][lang], risk=int(getattr(m, "risk", None) or verdict.get("risk") or 0),
                flags=flags, behaviours=behaviours, night="night_contact" in flags,
            ))
            if sender:
                senders[sender] += 1
                sender_types.setdefault(sender, stype)
            for key in ent:
                for e in entities.get(key) or []:
                    text = str(e.get("text", "")).strip()
                    if text:
                        ent[key][text] += 1
            vcode = vcode or bool(entities.get("verification_code_request"))
            for b in behaviours:
                beh_msgs.setdefault(b, []).append(index)
            for s in verdict.get("signals") or []:
                if s.get("evidence") and s.get("span") is not None:
                    for b in s.get("behaviours") or []:
                        if b in behaviours and s["evidence"] not in evidence.setdefault(b, []):
                            evidence[b].append(s["evidence"])
            for v in verdict.get("violations") or []:
                if v.get("id"):
                    law_hits.setdefault(v["id"], [])
                    if index not in law_hits[v["id"]]:
                        law_hits[v["id"]].append(index)
                    stored_laws.setdefault(v["id"], v)

        facts.messages = tuple(msgs)
        kinds = Counter(m.kind for m in msgs)
        facts.kinds = dict(kinds.most_common())
        severity = {kd: i for i, kd in enumerate(("fake_collection", "debt_relief_scam", "third_party_contact",
                                                 "collection_notice", "other"))}
        facts.main_kind = min(kinds, key=lambda kd: (-kinds[kd], severity.get(kd, 9)))
        facts.main_kind_label = k.kind_labels[facts.main_kind][lang]
        flag_count = Counter(f for m in msgs for f in m.flags)
        facts.flags = {f: flag_count[f] for f in k.flag_labels if flag_count[f]}
        facts.flag_labels = {f: k.flag_labels[f][lang] for f in facts.flags}
        facts.senders = tuple(Counted(s, n, _sender_label(k, sender_types.get(s), lang))
                              for s, n in senders.most_common())
        for key, counter in ent.items():
            setattr(facts, key, tuple(Counted(v, n) for v, n in counter.most_common()))
        by_index = {m.index: m for m in msgs}
        facts.behaviours = tuple(
            BehaviourFact(
                id=b, label=k.behaviours[b].label[lang], why=k.behaviours[b].why[lang], count=len(idx),
                messages=tuple(idx),
                dates=tuple(sorted({by_index[i].received_at.date() for i in idx if by_index[i].received_at})),
                evidence=tuple(evidence.get(b, [])[:3]),
            )
            for b, idx in sorted(beh_msgs.items(), key=lambda kv: (-len(kv[1]), _beh_rank(k, kv[0])))
            if b in k.behaviours
        )
        facts.violations = _citations(k, law_hits, stored_laws, beh_msgs, lang)
        facts.night_contacts = tuple(m for m in msgs if m.night)
        dated = [m.received_at for m in msgs if m.received_at]
        facts.undated = len(msgs) - len(dated)
        if dated:
            facts.first_at, facts.last_at = min(dated), max(dated)
            per_day = Counter(d.date() for d in dated)
            facts.days = len(per_day)
            day, n = max(per_day.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
            facts.busiest_day = (day, n)
        facts.verification_code_request = vcode
        return facts


def cite(k: Knowledge, law_id: str, lang: str) -> Citation:
    """One knowledge-base law as a citation in ``lang`` (the phrase follows its binding level)."""
    law = k.laws[law_id]
    level = k.binding_levels[law.binding_level]
    basis = level[f"phrase_{lang}"].format(instrument=law.instrument["zh"], article=law.article["zh"],
                                           instrument_en=law.instrument["en"], article_en=law.article["en"]).strip()
    return Citation(id=law.id, instrument=law.instrument[lang], article=law.article[lang], title=law.title[lang],
                    summary=law.summary[lang], basis=basis, binding_level=law.binding_level,
                    binding_label=level[f"label_{lang}"], source=law.source, confidence=law.confidence)


def channel(k: Knowledge, channel_id: str, lang: str) -> ChannelFact:
    ch = k.channels[channel_id]
    return ChannelFact(ch.id, ch.name[lang], ch.number, ch.how[lang], ch.source)


def _citations(k: Knowledge, hits: dict[str, list[int]], stored: dict[str, dict[str, Any]],
               beh_msgs: dict[str, list[int]], lang: str) -> tuple[Citation, ...]:
    out = []
    for law_id, idx in hits.items():
        if law_id in k.laws:
            c = cite(k, law_id, lang)
            behs = tuple(k.behaviours[b].label[lang] for b in beh_msgs
                         if b in k.behaviours and law_id in k.behaviours[b].cite)
            out.append(Citation(**{**c.__dict__, "behaviours": behs, "count": len(idx)}))
        else:  # a law the knowledge pack no longer has: keep what was stored with the message
            v = stored[law_id]
            out.append(Citation(id=law_id, instrument="", article="", title=str(v.get("title", law_id)),
                                summary="", basis=str(v.get("basis", "")),
                                binding_level=str(v.get("binding_level", "law")),
                                binding_label=str(v.get("binding_label", "")), source=str(v.get("source", "")),
                                confidence=str(v.get("confidence", "")), count=len(idx)))
    rank = {level: i for i, level in enumerate(BINDING_LEVELS)}
    return tuple(sorted(out, key=lambda c: rank.get(c.binding_level, 99)))  # stable: first-seen within a level


def _behaviours(verdict: dict[str, Any], kind: str, k: Knowledge) -> tuple[str, ...]:
    """The behaviours the engine found in a message: the kind's own, then each signal's (as gated by kind)."""
    sc = k.scoring
    out = list(sc.get("kind_behaviours", {}).get(kind, []))
    allowed = sc.get("behaviour_kinds", {})
    for s in verdict.get("signals") or []:
        for b in s.get("behaviours") or []:
            if b not in out and (b not in allowed or kind in allowed[b]):
                out.append(b)
    for v in verdict.get("violations") or []:
        b = v.get("behaviour")
        if b and b not in out:
            out.append(b)
    return tuple(b for b in out if b in k.behaviours)


def _beh_rank(k: Knowledge, behaviour: str) -> int:
    return list(k.behaviours).index(behaviour) if behaviour in k.behaviours else 999


def _sender_label(k: Knowledge, sender_type: str | None, lang: str) -> str | None:
    for s in k.senders:
        if s.id == sender_type:
            return s.label[lang]
    return None


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    from anning.engine import to_local_time

    try:
        return to_local_time(value)
    except (TypeError, ValueError):
        return None


def distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
