"""The one analyser for screening at scale: ``analyse_batch(pyarrow.RecordBatch) -> pyarrow.RecordBatch``.

``anning batch`` (Parquet), ``anning.scale.spark`` (``mapInArrow``) and any other Arrow-speaking engine
call this function, so every backend gives the same rows. The output schema is explicit and versioned
(``VERDICT_SCHEMA_VERSION``; documented in docs/scale.md): adding a column bumps the minor version,
changing the meaning of one is not allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from anning.explain import IdentityCache, action_list, dumps, flag_evidence, scenario_dict
from anning.model import Hit, Violation

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from anning.engine import Engine
    from anning.model import Verdict

VERDICT_SCHEMA_VERSION = "1.0"
SCHEMA_METADATA_KEY = b"anning.verdict_schema"
DEFAULT_KEEP = ("text", "sender", "received_at")
PAYMENT_ACCOUNT_TYPES = ("account_number", "card_number")
SCAM_KINDS = ("fake_collection", "debt_relief_scam")

# A collection agency (催收外包机构) named in the text: two characters of trade name and a business-type
# ending. Heuristic on purpose (no lexicon of agencies exists); documented in docs/scale.md.
_AGENCY = re.compile(
    r"[\u4e00-\u9fff]{2}(?:资产管理(?:有限)?公司|商务(?:咨询|服务)(?:有限)?公司|信息(?:服务|咨询)(?:有限)?公司"
    r"|信用管理(?:有限)?公司|法务调解中心|调解中心|律师事务所|催收(?:服务)?(?:有限)?公司)"
)
_NON_DIGIT = re.compile(r"[^0-9*]")

_engines: dict[tuple[str, str | None, str | None], Engine] = {}


def get_engine(lang: str = "zh", model: str | None = "auto", personal_home: str | None = None) -> Engine:
    """One Engine per (lang, model, personal rules) and per process: built on first use, then reused
    (a Spark Python worker or a pool process builds it once)."""
    key = (lang, model, personal_home)
    engine = _engines.get(key)
    if engine is None:
        from pathlib import Path

        from anning.engine import Engine
        from anning.personal import PersonalStore

        personal = PersonalStore(Path(personal_home)) if personal_home else None
        engine = _engines[key] = Engine(lang=lang, model=model, personal=personal)
        freeze_heap(engine)
    return engine


WARM_UP = ("您的借款已逾期，请尽快还款。", "【某某银行】验证码123456，5分钟内有效。")
GC_THRESHOLDS = (50_000, 20, 100)  # young collections every 50,000 allocations instead of 700


def freeze_heap(engine: Engine | None = None) -> None:
    """Prepare a long-running analysis process: analyse two short messages so that everything the
    engine builds lazily (the prefilter automaton, compiled patterns, the classifier's arrays) exists,
    move all those long-lived objects out of the garbage collector's view, and collect the young
    generation less often. Per-message objects are freed by reference counting; the collector only has
    cycles to find, and each pass over a chunk's objects was about 10 % of the batch time (measured).
    The warm-up also means no message of a batch takes the one-off first-message path."""
    import gc

    if engine is not None:
        engine.analyze_batch([(text, None, None, None) for text in WARM_UP])
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# -- schema ----------------------------------------------------------------------------------------
def _types() -> dict[str, pa.DataType]:
    import pyarrow as pa

    strings = pa.list_(pa.string())
    signal = pa.struct([
        ("rule", pa.string()), ("detector", pa.string()), ("weight", pa.float64()), ("risk", pa.int32()),
        ("start", pa.int32()), ("end", pa.int32()), ("evidence", pa.string()), ("flags", strings),
    ])
    violation = pa.struct([
        ("id", pa.string()), ("title", pa.string()), ("binding_level", pa.string()), ("behaviour", pa.string()),
        ("confidence", pa.string()),
    ])
    return {
        "id": pa.string(), "kind": pa.string(), "confidence": pa.float64(), "risk": pa.int32(),
        "risk_level": pa.string(), "flags": strings, "decided_by": pa.string(), "scenario_id": pa.string(),
        "platform": pa.string(), "platform_id": pa.string(), "agency": pa.string(), "sender_type": pa.string(),
        "url_domains": strings, "payment_accounts": strings, "contacts": strings, "night": pa.bool_(),
        "local_date": pa.date32(), "local_hour": pa.int32(), "local_weekday": pa.int32(),
        "signals": pa.list_(signal), "violations": pa.list_(violation),
        "entities": pa.string(), "scenario": pa.string(), "actions": pa.string(), "flag_evidence": pa.string(),
        "error": pa.string(), "engine_version": pa.string(), "knowledge_version": pa.string(),
    }


VERDICT_COLUMNS = (
    "id", "kind", "confidence", "risk", "risk_level", "flags", "decided_by", "scenario_id", "platform",
    "platform_id", "agency", "sender_type", "url_domains", "payment_accounts", "contacts", "night", "local_date",
    "local_hour", "local_weekday", "signals", "violations", "entities", "scenario", "actions", "flag_evidence",
    "error", "engine_version", "knowledge_version",
)


def verdict_schema(kept: Iterable[pa.Field] = ()) -> pa.Schema:
    """The output schema: the verdict columns (``VERDICT_COLUMNS``) and then the kept input columns."""
    import pyarrow as pa

    types = _types()
    fields = [pa.field(name, types[name]) for name in VERDICT_COLUMNS]
    for f in kept:
        if f.name in types:
            raise ValueError(f"input column '{f.name}' cannot be kept: the output has a column of that name")
        fields.append(f)
    return pa.schema(fields, metadata={SCHEMA_METADATA_KEY: VERDICT_SCHEMA_VERSION.encode()})


# -- one row -----------------------------------------------------------------------------------------
def check_row(row: dict[str, Any]) -> str | None:
    """Why an input row cannot be analysed (None if it can). The same wording in every output format."""
    if "__error__" in row:
        return str(row["__error__"])
    text = row.get("text")
    if text is None:
        return "missing 'text' field"
    if not isinstance(text, str):
        return f"'text' must be a string, got {type(text).__name__}"
    at = row.get("received_at")
    if at not in (None, "") and not isinstance(at, str | datetime):
        return f"'received_at' must be an ISO time, got {type(at).__name__}"
    return None


Outcome = tuple[Any, "Verdict | None", str | None]  # (id, verdict, error) of one input row


def analyse_one(engine: Engine, row: dict[str, Any], row_number: int) -> Outcome:
    """(id, verdict, error) for one input row; never raises. A missing id becomes the row number."""
    return analyse_many(engine, [(row, row_number)])[0]


def analyse_many(engine: Engine, rows: Sequence[tuple[dict[str, Any], int]]) -> list[Outcome]:
    """``analyse_one`` for (row, row number) pairs, analysed together by ``Engine.analyze_batch``."""
    out: list[Outcome] = []
    requests = []
    for row, row_number in rows:
        rid = row.get("id")
        rid = row_number if rid in (None, "") else rid
        problem = check_row(row)
        out.append((rid, None, problem))
        if not problem:
            sender = row.get("sender")
            sender = None if sender in (None, "") else str(sender)
            requests.append((len(out) - 1, (row["text"], sender, row.get("received_at") or None, str(rid))))
    results = engine.analyze_batch([request for _, request in requests]) if requests else []
    for (position, _), result in zip(requests, results, strict=True):
        rid = out[position][0]
        if isinstance(result, ValueError):
            out[position] = (rid, None, f"cannot analyse row: {result}")
        elif isinstance(result, Exception):  # a bug must not stop the batch; the row records it
            out[position] = (rid, None, f"internal error: {result.__class__.__name__}: {result}")
        else:
            out[position] = (rid, result, None)
    return out


def _dumps(value: Any) -> str:
    return dumps(value)  # json.dumps(value, ensure_ascii=False), with a reused encoder


def _agency(text: str, platform_texts: Sequence[str]) -> str | None:
    for name in platform_texts:
        if _AGENCY.fullmatch(name):
            return name
    m = _AGENCY.search(text)
    return m.group(0) if m else None


def _violation_rows(violations: tuple[Violation, ...]) -> list[dict[str, Any]]:
    return [{"id": v.id, "title": v.title, "binding_level": v.binding_level, "behaviour": v.behaviour,
             "confidence": v.confidence} for v in violations]


def _signal_rows(hits: tuple[Hit, ...]) -> list[dict[str, Any]]:
    rows = []
    for h in hits:
        sig = h.signal
        first = sig.spans[0] if sig.spans else None
        rows.append({"rule": sig.rule, "detector": sig.detector, "weight": h.weight, "risk": h.risk,
                     "start": first.start if first else None, "end": first.end if first else None,
                     "evidence": first.text if first else sig.evidence, "flags": list(h.flags)})
    return rows


_cached_violation_rows = IdentityCache(_violation_rows)  # the engine reuses its violation tuples
_scenario_json = IdentityCache(lambda s: _dumps(scenario_dict(s)))
_actions_json = IdentityCache(lambda a: _dumps(action_list(a)))


def entity_columns(text: str, ent: dict[str, Any]) -> dict[str, Any]:
    """The columns read from a verdict's entities: platform, agency, link domains, payment accounts and
    contacts (IM accounts, then phone numbers), each list without repeats."""
    platforms = ent.get("platforms") or []
    agency = _agency(text, [p["text"] for p in platforms])
    platform = next((p for p in platforms if p["text"] != agency), None)
    domains: list[str] = []
    for u in ent.get("urls") or []:
        domain = (u.get("domain") or "").lower()
        if domain and domain not in domains:
            domains.append(domain)
    accounts: list[str] = []
    contacts: list[str] = []
    for a in ent.get("accounts") or []:
        if a.get("type") in PAYMENT_ACCOUNT_TYPES:
            value = _NON_DIGIT.sub("", a["text"])
            if value and value not in accounts:
                accounts.append(value)
        elif a.get("type") == "im_contact" and a["text"] not in contacts:
            contacts.append(a["text"])
    for p in ent.get("phones") or []:
        if p.get("number") and p["number"] not in contacts:
            contacts.append(p["number"])
    return {"platform": platform["text"] if platform else None, "platform_id": platform["id"] if platform else None,
            "agency": agency, "url_domains": domains, "payment_accounts": accounts, "contacts": contacts}


def record(rid: Any, verdict: Verdict | None, error: str | None) -> dict[str, Any]:
    """The verdict columns of one output row (a dict keyed by ``VERDICT_COLUMNS``). The values are
    those of ``verdict_to_dict``, built from the verdict directly; ``violations`` is shared between
    rows (read it, never change it)."""
    if verdict is None:
        return {"id": None if rid is None else str(rid), "error": error}
    ent = verdict.entities
    at = verdict.message.received_at
    sender = ent.get("sender") or {}
    return {
        "id": None if rid is None else str(rid),
        "kind": verdict.kind, "confidence": verdict.confidence, "risk": verdict.risk,
        "risk_level": verdict.risk_level, "flags": list(verdict.flags), "decided_by": verdict.decided_by,
        "scenario_id": verdict.scenario.id,
        **entity_columns(verdict.message.text, ent), "sender_type": sender.get("type"),
        "night": None if at is None else (at.hour >= 22 or at.hour < 8),
        "local_date": None if at is None else at.date(),
        "local_hour": None if at is None else at.hour,
        "local_weekday": None if at is None else at.isoweekday(),
        "signals": _signal_rows(verdict.hits),
        "violations": _cached_violation_rows(verdict.violations),
        "entities": _dumps(ent), "scenario": _scenario_json(verdict.scenario),
        "actions": _actions_json(verdict.actions), "flag_evidence": _dumps(flag_evidence(verdict.hits)),
        "error": None, "engine_version": verdict.engine_version, "knowledge_version": verdict.knowledge_version,
    }


# -- one batch -------------------------------------------------------------------------------------------
def analyse_batch(batch: pa.RecordBatch, engine: Engine | None = None, *, text_col: str = "text",
                  sender_col: str = "sender", time_col: str = "received_at", id_col: str = "id",
                  keep: Sequence[str] | None = None, row_offset: int = 0, row_numbers: Sequence[int] | None = None,
                  lang: str = "zh", model: str | None = "auto", personal_home: str | None = None) -> pa.RecordBatch:
    """Analyse every row of ``batch``; one output row per input row, in order, never raising for a row.

    ``keep``: input columns copied unchanged after the verdict columns (default: whichever of
    ``text_col``, ``sender_col``, ``time_col`` exist). A row without an id gets its 1-based row number:
    ``row_offset`` + position + 1, or ``row_numbers[position]`` when given (Spark passes these).
    ``engine``: default one cached per process for (``lang``, ``model``, ``personal_home``).
    """
    import pyarrow as pa

    engine = engine or get_engine(lang, model, personal_home)
    names = batch.schema.names
    n = batch.num_rows

    def column(name: str) -> list[Any]:
        return batch.column(name).to_pylist() if name in names else [None] * n

    ids, texts, senders, times = column(id_col), column(text_col), column(sender_col), column(time_col)
    missing_text = text_col not in names
    numbers = [row_numbers[i] if row_numbers is not None else row_offset + i + 1 for i in range(n)]
    if missing_text:
        rows = [record(ids[i] if ids[i] not in (None, "") else numbers[i], None, f"missing '{text_col}' column")
                for i in range(n)]
    else:
        pairs = [({"id": ids[i], "text": texts[i], "sender": senders[i], "received_at": times[i]}, numbers[i])
                 for i in range(n)]
        rows = [record(*result) for result in analyse_many(engine, pairs)]
    if keep is None:
        keep = [c for c in dict.fromkeys((text_col, sender_col, time_col)) if c in names]
    kept = [batch.schema.field(c) for c in keep if c in names]
    schema = verdict_schema(kept)
    out = pa.RecordBatch.from_pylist(rows, schema=verdict_schema())
    return pa.RecordBatch.from_arrays([*out.columns, *(batch.column(f.name) for f in kept)], schema=schema)


def error_count(batch: pa.RecordBatch | pa.Table) -> int:
    """Rows of an output batch that carry an ``error``."""
    col = batch.column("error")
    return len(col) - col.null_count
