"""The engine: prepare a message, run the detectors, score their signals with the rule data and
decide kind, confidence, risk, flags, violations, scenario and next steps.

Every point of the verdict comes from a signal with spans and a rule in the knowledge pack.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

from anning import __version__
from anning.detectors import Prepared, classifier, clock, platforms, rules, sender, spellings, urls
from anning.knowledge import Knowledge, load_knowledge
from anning.knowledge.loader import BINDING_LEVELS
from anning.ml.features import prepare as prepare_features
from anning.ml.model import KindModel
from anning.model import Action, Channel, Hit, Message, Scenario, Signal, Verdict, Violation
from anning.personal import PersonalStore
from anning.personal import message_id as content_id
from anning.text import extract
from anning.text.normalize import normalize

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
# before the pattern rules, which may need them
CONTEXT_DETECTORS = (sender.detect, clock.detect, urls.detect, platforms.detect, spellings.detect)
PERSONAL_SIGNAL = "PERSONAL_RULE"
PERSONAL_MODEL_NAME = "personal"
# One message for Engine.analyze_batch: (text, sender, received_at, message_id).
Request = tuple[str, str | None, datetime | str | None, str | None]


def _check_unicode(value: str, field: str) -> None:
    """Python strings can hold lone UTF-16 surrogates (a JSON escape such as "\\ud800" decodes to one):
    no real message has them and they cannot be written out, so such a text or sender is refused clearly."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{field} is not valid Unicode: lone surrogate {value[exc.start]!r} at character "
                         f"{exc.start}") from None


def to_local_time(value: datetime | str | None) -> datetime | None:
    """Parse an ISO time; naive times are taken as China local time (UTC+8)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(CHINA_TZ)


class Engine:
    """Analyses messages with one knowledge pack. Build once, call ``analyze`` many times."""

    def __init__(self, knowledge: Knowledge | None = None, lang: str = "zh", model: str | None = "auto",
                 personal: PersonalStore | None = None):
        """``model``: "auto" (the personal model if trained, else the shipped one), None (rules only) or a
        model file path. ``personal``: the user's rules and corrections (None: ignore them)."""
        self.k = knowledge or load_knowledge()
        self.lang = lang
        self.surnames = frozenset(self.k.lexicons["surnames"])
        self.version = __version__
        self.personal_rules = personal.rules() if personal else []
        self._platform_names, self._platform_automaton = _platform_index(self.k)
        # rules that a condition can drop: signals of other rules always survive _apply_conditions
        self._conditional = frozenset(r.id for r in self.k.rules.values() if r.requires_any or r.unless_any)
        self._flag_rank = {f: i for i, f in enumerate(self.k.flag_labels)}
        self._verification_rules = frozenset(self.k.scoring.get("verification_code_rules", []))
        supplied = self.k.scoring.get("model", {}).get("supplies_context")
        # (rule id, probability from which the model supplies it, the rule's group, for which predicted
        # kinds), or None
        self._model_context = None if supplied is None else (
            supplied["rule"], float(supplied["from"]), self.k.rules[supplied["rule"]].group,
            frozenset(supplied["kinds"]))
        if model == "auto" and personal is not None and personal.model_path.is_file():
            model = str(personal.model_path)
        self.model = load_model(model, self.k)

    # -- preparation -------------------------------------------------------------------------
    def prepare(self, message: Message, lang: str) -> Prepared:
        nt = normalize(message.text)
        link_list = extract.urls(nt)
        acct = extract.accounts(nt)
        taken = [_norm_range(nt, e["span"]) for e in (*link_list, *acct)]
        entities: dict[str, Any] = {
            "platforms": [],
            "persons": extract.persons(nt, self.surnames),
            "amounts": extract.amounts(nt),
            "dates": extract.dates(nt),
            "deadlines": extract.deadlines(nt),
            "relative_times": extract.relative_times(nt),
            "days_overdue": extract.days_overdue(nt),
            "contract_numbers": extract.contract_numbers(nt),
            "urls": link_list,
            "phones": extract.phones(nt, taken),
            "accounts": acct,
            "verification_code_request": False,
            "sender": sender.classify(message.sender, self.k, lang) if message.sender else None,
        }
        entities["platforms"] = self._platforms(nt)
        return Prepared(message, nt, to_local_time(message.received_at), entities)

    def _platforms(self, nt) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        seen_text: set[str] = set()
        seen_ids: set[str | None] = set()
        for sig in extract.signatures(nt):
            pid = self._platform_names.get(sig["text"].lower())
            found.append({**sig, "id": pid, "source": "signature"})
            seen_text.add(sig["text"])
            seen_ids.add(pid)
        for end, (name, pid) in self._platform_automaton.iter(nt.text):
            if pid in seen_ids:
                continue
            span = nt.span(end - len(name) + 1, end + 1)
            if span.text not in seen_text:
                found.append({"text": span.text, "span": [span.start, span.end], "id": pid, "source": "name"})
                seen_ids.add(pid)
        return found

    # -- analysis ------------------------------------------------------------------------------
    def analyze(self, text: str, sender_number: str | None = None, received_at: datetime | str | None = None,
                message_id: str | None = None, lang: str | None = None) -> Verdict:
        lang = lang or self.lang
        p, signals = self._rule_evidence(text, sender_number, received_at, message_id, lang)
        if self._model_reads(p):
            model_signals = classifier.detect(p, self.model, self.k)
            signals = self._with_model_context(p, signals, model_signals[0])
            signals.extend(model_signals)
        signals.extend(self._personal_signals(p))
        return self._decide(p, signals, lang)

    def analyze_batch(self, requests: Sequence[Request], lang: str | None = None) -> list[Verdict | Exception]:
        """``analyze`` for many messages at once: one verdict per request, in order, equal to what
        ``analyze`` gives for it. The classifier reads the whole batch in one vectorised pass.

        A request that cannot be analysed gets the exception instead of a verdict (the rest go on)."""
        lang = lang or self.lang
        results: list[Verdict | Exception | None] = [None] * len(requests)
        staged: list[tuple[int, Prepared, list[Signal]]] = []
        for i, (text, sender_number, received_at, message_id) in enumerate(requests):
            try:
                staged.append((i, *self._rule_evidence(text, sender_number, received_at, message_id, lang)))
            except Exception as exc:  # reported for this request, as analyze would raise it
                results[i] = exc
        reading = [entry for entry in staged if self._model_reads(entry[1])]
        model_read: dict[int, list[Signal]] = {}  # request → its signals with the model's
        if reading:
            # the native classifier prepares texts itself and knows where its features occur
            prepared = None if self.model.native else [prepare_features(p.nt.text) for _, p, _ in reading]
            try:
                predictions = self.model.predict_many([p.nt.text for _, p, _ in reading],
                                                      explain=classifier.explain_count(self.k), prepared=prepared)
            except Exception:  # one text broke the vectorised pass: read them one by one
                predictions = None
            for n, (i, p, signals) in enumerate(reading):
                try:
                    if predictions is not None:
                        model_signals = [classifier.signal(p, predictions[n], self.model,
                                                           None if prepared is None else prepared[n]),
                                         *classifier.flag_signals(p, predictions[n], self.model, self.k)]
                    else:
                        model_signals = classifier.detect(p, self.model, self.k)
                    with_context = self._with_model_context(p, signals, model_signals[0])
                    with_context.extend(model_signals)
                    model_read[i] = with_context
                except Exception as exc:
                    results[i] = exc
        for i, p, signals in staged:
            signals = model_read.get(i, signals)
            if results[i] is not None:
                continue
            try:
                signals.extend(self._personal_signals(p))
                results[i] = self._decide(p, signals, lang)
            except Exception as exc:
                results[i] = exc
        return results  # type: ignore[return-value] - every slot is filled above

    def _rule_evidence(self, text: str, sender_number: str | None, received_at: datetime | str | None,
                       message_id: str | None, lang: str) -> tuple[Prepared, list[Signal]]:
        """The prepared message and the signals of every detector but the model and personal rules."""
        if not isinstance(text, str):
            raise TypeError("text must be a string")
        if not text.isascii():
            _check_unicode(text, "text")
        if isinstance(sender_number, str) and not sender_number.isascii():
            _check_unicode(sender_number, "sender")
        at = to_local_time(received_at)
        message = Message(text, sender_number or None, at, message_id or content_id(text))
        p = self.prepare(message, lang)
        return p, self._rule_signals(p)

    def _rule_signals(self, p: Prepared, extra: Sequence[Signal] = ()) -> list[Signal]:
        """The signals of the context detectors and the pattern rules, ``extra`` counting as fired."""
        signals = [s for det in CONTEXT_DETECTORS for s in det(p, self.k)]
        signals.extend(extra)
        signals.extend(rules.detect(p, self.k, prior=frozenset(s.rule for s in signals)))
        return self._apply_conditions(signals)

    def _with_model_context(self, p: Prepared, signals: list[Signal], kind_signal: Signal) -> list[Signal]:
        """The rule signals again with the model's debt context (scoring.yaml ``model.supplies_context``)
        when the model is sure enough that the message is about a debt and no rule has said so: rules
        that need that context then count what they see. Unchanged otherwise, and when no rule needed it."""
        context = self._model_context
        if context is None:
            return signals
        rule_id, threshold, group, kinds = context
        probs = kind_signal.detail["probabilities"]
        debt = 1.0 - probs.get(self.k.scoring["default_kind"], 0.0)
        if (debt < threshold or kind_signal.detail["predicted"] not in kinds
                or any(self.k.rules[s.rule].group == group for s in signals)):
            return signals
        supplied = Signal(rule_id, "model", kind_signal.spans, kind_signal.evidence,
                          {"model": kind_signal.detail["model"], "probability": round(debt, 4)})
        again = self._rule_signals(p, (supplied,))
        before = {s.rule for s in signals}
        counted = any(s.rule not in before and s.rule != rule_id for s in again)
        return again if counted else signals  # kept only when it let a rule count

    def _model_reads(self, p: Prepared) -> bool:
        """With nothing to read, the model would only echo its prior: it gives no signal then."""
        return self.model is not None and bool(p.nt.text.strip())

    def _personal_signals(self, p: Prepared) -> list[Signal]:
        """The highest-priority personal rule that matches, as a signal that decides the kind."""
        for rule in self.personal_rules:
            hit = rule.match(p.nt.text, p.message.sender)
            if hit is not None:
                spans = (p.nt.span(*hit),) if hit[1] > hit[0] else ()
                evidence = spans[0].text if spans else (p.message.sender or "")
                return [Signal(PERSONAL_SIGNAL, "personal", spans, evidence,
                               {"rule_id": rule.id, "kind": rule.kind, "flags": list(rule.flags)})]
        return []

    def analyze_many(self, messages: Iterable[Message], lang: str | None = None) -> Iterator[Verdict]:
        for m in messages:
            yield self.analyze(m.text, m.sender, m.received_at, m.id, lang)

    def _apply_conditions(self, signals: list[Signal]) -> list[Signal]:
        """Drop signals whose rule requires a signal that is absent, then those suppressed by a signal
        that is present — requirements first, so an unsupported signal can never suppress another."""
        conditional = self._conditional
        if not any(s.rule in conditional for s in signals):
            return signals
        while True:
            before = len(signals)
            signals = self._filter(signals, lambda r, present: not r.requires_any
                                   or any(present(x) for x in r.requires_any), until_stable=True)
            signals = self._filter(signals, lambda r, present: not any(present(x) for x in r.unless_any))
            if len(signals) == before:
                return signals

    def _filter(self, signals: list[Signal], keep, until_stable: bool = False) -> list[Signal]:
        while True:
            ids = {s.rule for s in signals}
            groups = {self.k.rules[i].group for i in ids}

            def present(ref: str, ids=ids, groups=groups) -> bool:
                return ref[2:] in groups if ref.startswith("g:") else ref in ids

            kept = [s for s in signals if keep(self.k.rules[s.rule], present)]
            if not until_stable or len(kept) == len(signals):
                return kept
            signals = kept

    def _decide(self, p: Prepared, signals: list[Signal], lang: str) -> Verdict:
        k = self.k
        sc = k.scoring
        scores: dict[str, float] = dict.fromkeys(k.kind_labels, 0.0)
        model_votes: dict[str, float] = {}
        personal = None
        model_signal = None
        verification = False
        rules = k.rules
        for s in signals:
            verification = verification or s.rule in self._verification_rules
            if s.rule == classifier.SIGNAL:
                model_signal = s
                continue
            if s.detector == "personal" and personal is None:
                personal = s
            for kind, vote in rules[s.rule].kinds.items():
                scores[kind] += vote
        rules_kind = self._policy(scores)
        if model_signal is not None:
            model_votes = self._model_votes(model_signal.detail["probabilities"], scores, p.nt.text,
                                            frozenset(s.rule for s in signals))
            model_signal.detail["votes"] = {kd: round(v, 3) for kd, v in model_votes.items()}
            combined = {kd: v + model_votes.get(kd, 0.0) for kd, v in scores.items()}
            kind = self._scam_by_model(self._policy(combined), combined, model_signal)
        else:
            combined = scores
            kind = rules_kind
        decided_by = "rules" if kind == rules_kind else "model"
        protected = sc.get("model", {}).get("protected_kinds", [])
        if rules_kind in protected and kind != rules_kind and not self._model_tells_scams_apart(kind, model_signal):
            kind, decided_by = rules_kind, "rules (model overruled)"
        if decided_by == "model" and self.model is not None and self.model.name == PERSONAL_MODEL_NAME:
            decided_by = "personal model"
        if personal is not None:
            overridden = kind
            kind, decided_by = personal.detail["kind"], f"personal rule {personal.detail['rule_id']}"
            if overridden != kind:
                decided_by += f" (overrides {overridden})"
        scores = combined

        hits: list[Hit] = []
        flags: list[str] = []
        flag_kinds = sc.get("flag_kinds", {})
        risk = float(sc["kind_risk"].get(kind, 0))
        behaviours: list[str] = list(sc.get("kind_behaviours", {}).get(kind, []))
        scored = self._scored_rule
        for s in signals:
            label, weight, rule_flags, rule_risk, rule_behaviours, visible, kept_behaviours = scored(s.rule, kind, lang)
            extra = s.detail.get("flags") if s.detail else None
            if extra:
                rule_flags += tuple(f for f in extra if kind in flag_kinds.get(f, (kind,)))
            for f in rule_flags:
                if f not in flags:
                    flags.append(f)
            if s.rule == classifier.SIGNAL:
                weight = round(model_votes.get(kind, 0.0), 3)
            hits.append(Hit(s, label, weight, rule_risk, rule_flags, rule_behaviours, visible))
            risk += rule_risk
            for b in kept_behaviours:
                if b not in behaviours:
                    behaviours.append(b)
        flags.sort(key=self._flag_rank.__getitem__)
        risk_score = max(0, min(100, round(risk)))
        level_id, level_label = self._risk_level(risk_score)

        if verification:
            p.entities["verification_code_request"] = True

        confidence = self._confidence(kind, scores,
                                      model_signal.detail["probabilities"] if model_signal is not None else None)
        on = (p.local_time or datetime.now(UTC).astimezone(CHINA_TZ)).date()
        violations = self._violations(tuple(behaviours), on, lang)
        scenario, actions = self._next_steps(kind, tuple(behaviours), tuple(flags), lang)
        return Verdict(
            kind=kind, kind_label=k.kind_labels[kind][lang], confidence=confidence, risk=risk_score,
            risk_level=level_id, risk_label=level_label[lang], flags=tuple(flags), hits=tuple(hits),
            entities=p.entities, violations=violations, scenario=scenario, actions=actions,
            kind_scores={kd: round(v, 3) for kd, v in scores.items()}, lang=lang, decided_by=decided_by,
            engine_version=self.version, knowledge_version=k.version, message=p.message,
        )

    def _model_tells_scams_apart(self, kind: str, model_signal: Signal | None) -> bool:
        """Whether the model may choose ``kind`` among the protected kinds (scoring.yaml ``model.protected_kinds``:
        a scam posing as the lender and a paid relief offer are both scams, and telling them apart is a
        matter of wording, which the model reads better than the rules): when it is at least
        ``protected_swap_from`` sure of it. The model can never move a verdict out of these kinds."""
        conf = self.k.scoring["model"]
        threshold = conf.get("protected_swap_from")
        return (threshold is not None and model_signal is not None and kind in conf.get("protected_kinds", ())
                and model_signal.detail["probabilities"].get(kind, 0.0) >= threshold)

    def _scam_by_model(self, kind: str, scores: dict[str, float], model_signal: Signal) -> str:
        """When the policy chose one protected kind and the votes also carry the other past its threshold
        (the policy takes the first in its order), the model's choice between them if it is sure of it."""
        predicted = model_signal.detail["predicted"]
        if (predicted == kind or kind not in self.k.scoring["model"].get("protected_kinds", ())
                or not self._model_tells_scams_apart(predicted, model_signal)):
            return kind
        threshold = next(p.threshold for p in self.k.kind_policy if p.kind == predicted)
        return predicted if scores[predicted] >= threshold else kind

    @lru_cache(maxsize=8192)  # noqa: B019 - see _violations
    def _scored_rule(self, rule_id: str, kind: str, lang: str) -> tuple[
            str, float, tuple[str, ...], int, tuple[str, ...], bool, tuple[str, ...]]:
        """What a signal of ``rule_id`` is worth in a verdict of ``kind``: label, rounded weight, flags
        (those allowed for ``kind``), risk, behaviours, visibility, and the behaviours that apply to
        ``kind``. A model signal's weight and a signal's own flags (``detail["flags"]``) come on top."""
        r = self.k.rules[rule_id]
        sc = self.k.scoring
        flag_kinds = sc.get("flag_kinds", {})
        behaviour_kinds = sc.get("behaviour_kinds", {})
        flags = tuple(f for f in (*r.flags, *(f for f, kinds in r.flags_if_kind.items() if kind in kinds))
                      if kind in flag_kinds.get(f, (kind,)))
        kept = tuple(b for b in r.behaviours if behaviour_kinds.get(b) is None or kind in behaviour_kinds[b])
        return r.label[lang], round(r.kinds.get(kind, 0.0), 3), flags, r.risk, r.behaviours, r.visible, kept

    def _model_votes(self, probs: dict[str, float], scores: dict[str, float],
                     text: str | None = None, fired: frozenset[str] | None = None) -> dict[str, float]:
        """Turn the model's probabilities into votes.

        Kinds the model may not choose are taken out first (a kind listed in ``blocked_mass_to`` hands its
        probability to its sibling kind there, when that one may be chosen) and the rest renormalised: a kind that
        needs rule evidence and has none, unless the model is at least ``decides_alone_from`` sure of it
        (and, for the kinds in ``decides_alone_requires``, a rule sees the debt or the scam's lever, unless
        the model is at least ``decides_alone_certain_from`` sure in a text of ``decides_alone_certain_min_chars``), and
        a kind the rules explicitly argue against (a repayment
        confirmation, an anti-fraud warning). A probability p then becomes weight·(2p − 1) — +weight
        when certain, 0 at a coin toss — with the smaller against_weight below p = 0.5 so the model cannot
        veto clear rule evidence. ``text``: the message, whose length decides whether the model may choose
        alone (``decides_alone_min_chars``); ``fired``: the rules that fired, of which a kind listed in
        ``decides_alone_requires`` needs one (a rule id, or ``g:group``) to be chosen alone. None skips these
        checks."""
        conf = self.k.scoring["model"]
        needs = conf.get("needs_rule_evidence", {})
        blocked = conf.get("blocked_below", float("-inf"))
        alone = conf.get("decides_alone_from", {})  # kind → probability from which it needs no rule evidence
        min_chars = conf.get("decides_alone_min_chars", 0)
        requires = conf.get("decides_alone_requires", {})
        certain = conf.get("decides_alone_certain_from", {})  # kind → from here no rule need see the lever
        certain_chars = conf.get("decides_alone_certain_min_chars", 0)

        def is_certain(kind: str, p: float) -> bool:  # "你好": the model is sure of far too much in it
            return p >= certain.get(kind, 2.0) and (text is None or _has_content(text, certain_chars))

        def may_decide_alone(kind: str, p: float) -> bool:  # "是": too little text to know anything alone
            return (p >= alone.get(kind, 2.0) and (text is None or _has_content(text, min_chars))
                    and (fired is None or kind not in requires or is_certain(kind, p)
                         or self._fired_any(fired, requires[kind])))

        allowed = {kd: p for kd, p in probs.items()
                   if (scores.get(kd, 0.0) >= needs.get(kd, float("-inf")) or may_decide_alone(kd, p))
                   and scores.get(kd, 0.0) >= blocked}
        for kd, sibling in conf.get("blocked_mass_to", {}).items():
            if kd not in allowed and sibling in allowed:  # a debt read as the other debt kind is still a debt
                allowed[sibling] += probs.get(kd, 0.0)
        total = sum(allowed.values())
        votes = {}
        for kd in probs:
            p = allowed[kd] / total if kd in allowed and total > 0 else 0.0
            weight = conf["weight"] if p >= 0.5 else conf["against_weight"]
            votes[kd] = weight * (2 * p - 1) if kd in allowed else 0.0
        return votes

    def _fired_any(self, fired: frozenset[str], refs: list[str]) -> bool:
        """Whether one of ``refs`` fired: a rule id, or ``g:group`` for any rule of that group."""
        groups = {self.k.rules[r].group for r in fired}
        return any(ref[2:] in groups if ref.startswith("g:") else ref in fired for ref in refs)

    def _policy(self, scores: dict[str, float]) -> str:
        for policy in self.k.kind_policy:
            if scores[policy.kind] >= policy.threshold:
                return policy.kind
        return self.k.scoring["default_kind"]

    def _behaviour_applies(self, behaviour: str, kind: str) -> bool:
        allowed = self.k.scoring.get("behaviour_kinds", {}).get(behaviour)
        return allowed is None or kind in allowed

    def _risk_level(self, risk: int) -> tuple[str, dict[str, str]]:
        level = self.k.risk_levels[0]
        for entry in self.k.risk_levels:
            if risk >= entry[1]:
                level = entry
        return level[0], level[2]

    def _confidence(self, kind: str, scores: dict[str, float], probs: dict[str, float] | None = None) -> float:
        """A monotone squashing of the evidence margin. For the default kind, also no more than the model's
        own belief that the message is none of the others (``probs``, before any kind was taken from it):
        "ordinary" because no rule saw anything is not a confident verdict when the model reads a scam."""
        c = self.k.scoring["confidence"]
        if kind == self.k.scoring["default_kind"]:
            strongest = max((v for kd, v in scores.items() if kd != kind), default=0.0)
            value = c["other_base"] - c["other_penalty"] * max(0.0, strongest)
            if probs is not None and c.get("other_capped_by_model"):
                value = min(value, 1.0 - max((p for kd, p in probs.items() if kd != kind), default=0.0))
            return round(min(c["max"], max(c["min"], value)), 3)
        own = scores[kind]
        ignored = set(c.get("ignore_rivals", {}).get(kind, []))
        rival = max((v for kd, v in scores.items() if kd != kind and kd not in ignored), default=0.0)
        margin = own - max(0.0, rival) * c["rival_weight"]
        value = 1.0 / (1.0 + math.exp(-(margin - c["midpoint"]) / c["scale"]))
        return round(min(c["max"], max(c["min"], value)), 3)

    @lru_cache(maxsize=4096)  # noqa: B019 - engines are few and long-lived; verdicts repeat these inputs
    def _violations(self, behaviours: tuple[str, ...], on: date, lang: str) -> tuple[Violation, ...]:
        cited, by_in_force = self._cited_laws(behaviours, lang)
        in_force = tuple((start is None or on >= start) and (end is None or on <= end) for start, end, _ in cited)
        found = by_in_force.get(in_force)
        if found is None:
            found = by_in_force[in_force] = tuple(x for (_, _, x), ok in zip(cited, in_force, strict=True) if ok)
        return found

    @lru_cache(maxsize=1024)  # noqa: B019 - see _violations
    def _cited_laws(self, behaviours: tuple[str, ...], lang: str) -> tuple[
            tuple[tuple[date | None, date | None, Violation], ...], dict[tuple[bool, ...], tuple[Violation, ...]]]:
        """Each law the behaviours cite, for the first behaviour citing it, in binding order, with the
        dates it is in force; and the violation tuples already returned, by which of those laws are in
        force. The date only selects laws, so verdicts of different days share equal tuples as one
        object (the writers of ``anning.explain`` cache their JSON by identity)."""
        k = self.k
        out: list[tuple[date | None, date | None, Violation]] = []
        seen: set[str] = set()
        for b in behaviours:
            beh = k.behaviours[b]
            for law_id in beh.cite:
                if law_id in seen:
                    continue
                law = k.laws[law_id]
                seen.add(law_id)
                level = k.binding_levels[law.binding_level]
                basis = level[f"phrase_{lang}"].format(
                    instrument=law.instrument["zh"], article=law.article["zh"],
                    instrument_en=law.instrument["en"], article_en=law.article["en"],
                ).strip()
                start = date.fromisoformat(law.in_force_from) if law.in_force_from else None
                end = date.fromisoformat(law.in_force_until) if law.in_force_until else None
                out.append((start, end, Violation(
                    id=law.id, title=law.title[lang], basis=basis, binding_level=law.binding_level,
                    binding_label=level[f"label_{lang}"], source=law.source,
                    why=f"{beh.label[lang]}{'：' if lang == 'zh' else ': '}{beh.why[lang]}",
                    behaviour=b, confidence=law.confidence,
                )))
        rank = {level: i for i, level in enumerate(BINDING_LEVELS)}
        out.sort(key=lambda x: rank[x[2].binding_level])  # stable: filtering by date afterwards keeps the order
        return tuple(out), {}

    @lru_cache(maxsize=4096)  # noqa: B019 - see _violations
    def _next_steps(self, kind: str, behaviours: tuple[str, ...], flags: tuple[str, ...],
                    lang: str) -> tuple[Scenario, tuple[Action, ...]]:
        k = self.k
        sdef = next(s for s in k.scenarios.values() if s.applies(kind, flags))
        scenario = Scenario(sdef.id, sdef.title[lang], sdef.summary[lang], sdef.alternatives[lang])
        ids = list(sdef.actions)
        for b in behaviours:
            for a in k.scoring.get("behaviour_actions", {}).get(b, []):
                if a not in ids:
                    ids.insert(_insert_position(ids, a, k.scoring.get("action_order", [])), a)
        channel_pool = k.scoring.get("action_channels", {})
        beh_channels = [c for b in behaviours for c in k.behaviours[b].channels]
        actions = []
        for aid in ids:
            a = k.actions[aid]
            pool = channel_pool.get(aid, [])
            chosen = [c for c in dict.fromkeys(beh_channels) if c in pool] or list(pool)
            chans = tuple(Channel(c, k.channels[c].name[lang], k.channels[c].number) for c in chosen)
            actions.append(Action(aid, a.title[lang], a.detail[lang], a.guide, chans))
        return scenario, tuple(actions)


@lru_cache(maxsize=4)
def _platform_index(k: Knowledge):
    """Lower-case platform names and aliases → platform id, plus an Aho-Corasick automaton over them."""
    import ahocorasick

    names: dict[str, str] = {}
    for p in k.platforms.values():
        for name in (p.name["zh"], *p.aliases):
            names.setdefault(normalize(name).text, p.id)
    automaton = ahocorasick.Automaton()
    for name, pid in names.items():
        automaton.add_word(name, (name, pid))
    automaton.make_automaton()
    return names, automaton


def load_model(model: str | None, k: Knowledge) -> KindModel | None:
    if model is None:
        return None
    if model == "auto":
        conf = k.scoring.get("model", {})
        if not conf.get("enabled", False):
            return None
        path = resources.files("anning") / "data" / conf["file"]
        if not path.is_file():
            return None
        return _cached_model(str(path))
    return _cached_model(model)


@lru_cache(maxsize=4)
def _cached_model(path: str) -> KindModel:
    return KindModel.load(path)


def _insert_position(ids: list[str], new: str, order: list[str]) -> int:
    """Insert ``new`` before the first action that comes later in the canonical order."""
    if new not in order:
        return len(ids)
    rank = order.index(new)
    for i, existing in enumerate(ids):
        if existing in order and order.index(existing) > rank:
            return i
    return len(ids)


def _norm_range(nt, span: list[int]) -> tuple[int, int]:
    """Translate an original-text span back into normalised offsets (for overlap checks)."""
    return bisect_left(nt.offsets, span[0]), bisect_left(nt.offsets, span[1])  # offsets never decrease


def _has_content(text: str, at_least: int) -> bool:
    """Whether a text has at least ``at_least`` letters, digits or CJK characters (what the model can
    read; spaces, marks and emoji are not)."""
    found = 0
    for ch in text:
        if found >= at_least:
            return True
        found += ch.isalnum()
    return found >= at_least
