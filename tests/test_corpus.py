"""Quality floors on labelled corpora, hand-written edge cases, and the shared dev and background sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anning.evaluation import GENUINE_KINDS, SCAM_KINDS, evaluate
from anning.explain import verdict_to_dict

REPO = Path(__file__).resolve().parents[1]
# The training corpus shipped in the package (rules and model were built from it) and the held-out
# sets in corpus/holdout/ (written blind, never used to write rules or train: they measure generalisation).
CORPUS_FILES = sorted((REPO / "src" / "anning" / "corpus").glob("*.jsonl"))
HOLDOUT_FILES = sorted((REPO / "corpus" / "holdout").glob("*.jsonl"))
EDGE_CASES = Path(__file__).resolve().parent / "data" / "edge_cases.jsonl"
DEV = REPO.parent / "shared" / "corpus" / "dev.jsonl"
BACKGROUND = REPO.parent / "shared" / "corpus" / "background" / "mudou_spam_test.jsonl"

# Measured with `anning eval` when these floors were set (part-a: macro 0.974, flags 0.870;
# part-b: macro 0.980, flags 0.780); each floor sits about 0.05 below.
FLOORS = {
    "part-a.jsonl": {"macro_f1": 0.92, "flag_micro_f1": 0.82},
    "part-b.jsonl": {"macro_f1": 0.93, "flag_micro_f1": 0.73},
}


def _load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _predict(engine, rows: list[dict]) -> list[dict]:
    return [verdict_to_dict(engine.analyze(r["text"], r.get("sender"), r.get("received_at"))) for r in rows]


def _report(engine, rows: list[dict]) -> dict:
    k = engine.k
    return evaluate(rows, _predict(engine, rows), list(k.kind_labels), list(k.flag_labels))


def _scams_called_genuine(report: dict) -> str:
    return "\n".join(f"  {s['id']}: {s['gold']} -> {s['predicted']}: {s['text'][:90]}"
                     for s in report["scams_called_genuine"])


CORPUS_IDS = [str(p.relative_to(REPO)) for p in CORPUS_FILES]


@pytest.fixture(scope="module")
def corpus_reports(engine) -> dict[str, dict]:
    return {str(p.relative_to(REPO)): _report(engine, _load(p)) for p in CORPUS_FILES}


# -- project corpus ----------------------------------------------------------------------------------
def test_corpus_files_are_labelled(knowledge):
    names = {p.name for p in CORPUS_FILES}
    assert set(FLOORS) <= names, f"corpus files not found: {set(FLOORS) - names}"
    for path in CORPUS_FILES:
        rows = _load(path)
        assert rows, path
        ids = [r["id"] for r in rows]
        assert len(set(ids)) == len(ids), f"{path}: duplicate ids"
        for r in rows:
            assert isinstance(r["text"], str), r["id"]
            assert r["kind"] in knowledge.kind_labels, r["id"]
            assert set(r.get("flags") or []) <= set(knowledge.flag_labels), r["id"]


@pytest.mark.parametrize("name", [i for i in CORPUS_IDS if Path(i).name in FLOORS])
def test_corpus_quality_floor(corpus_reports, name):
    report = corpus_reports[name]
    floor = FLOORS[Path(name).name]
    assert not report["errors"], report["errors"]
    assert report["macro_f1"] >= floor["macro_f1"], (
        f"{name}: macro-F1 {report['macro_f1']} < {floor['macro_f1']}; per kind: "
        + json.dumps({k: v["f1"] for k, v in report["per_kind"].items()}))
    assert report["flag_micro"]["f1"] >= floor["flag_micro_f1"], (
        f"{name}: flag micro-F1 {report['flag_micro']['f1']} < {floor['flag_micro_f1']}; per flag: "
        + json.dumps({f: v["f1"] for f, v in report["per_flag"].items()}))


@pytest.mark.parametrize("name", CORPUS_IDS)
def test_corpus_no_scam_called_genuine(corpus_reports, name):
    report = corpus_reports[name]
    assert not report["scams_called_genuine"], (
        f"{name}: scams called {' / '.join(GENUINE_KINDS)}:\n" + _scams_called_genuine(report))


# Held-out floors: about 0.05 below what the build measured when they were last raised (2026-11-23:
# holdout 0.943, test-2 0.935, test-3 0.850, val-2 0.929, test-4 0.881; docs/quality.md). test-4 and
# test-5 raised on 2026-11-23 after training part L (test-4 0.899, test-5 0.905). test-6 added 2026-11-23
# morning at 0.844; val-3 (validation) at 0.875. val-4 (validation, 0.919; 4 of 96 scams called genuine) and
# test-7 (blind, 0.909) added 2026-11-23 late morning; test-8 (blind, 0.930 at the end of that afternoon) 2026-11-23;
# test-9 (blind, 0.912 that evening; 2 of 95 scams called genuine) 2026-11-23.
# test-10 (blind, 0.900 at the start of that night, 0.908 at its end; 0 of 95 scams called genuine).
# test-11 (blind, 2026-11-23 late night: 0.921 with the build of the session's start, 0.929 when added; 0 of
# 100 scams called genuine). test-12 (blind, same session: 0.943 with the start build, 0.942 when added; 1 of 100
# scams called genuine).
HOLDOUT_FLOORS = {
    "holdout.jsonl": {"macro_f1": 0.89, "scams_called_genuine_share": 0.05},
    "test-2.jsonl": {"macro_f1": 0.88, "scams_called_genuine_share": 0.05},
    "test-3.jsonl": {"macro_f1": 0.79, "scams_called_genuine_share": 0.05},
    "val-2.jsonl": {"macro_f1": 0.87, "scams_called_genuine_share": 0.05},
    "test-4.jsonl": {"macro_f1": 0.85, "scams_called_genuine_share": 0.05},
    "test-5.jsonl": {"macro_f1": 0.85, "scams_called_genuine_share": 0.05},
    "test-6.jsonl": {"macro_f1": 0.79, "scams_called_genuine_share": 0.06},
    "val-3.jsonl": {"macro_f1": 0.82, "scams_called_genuine_share": 0.05},
    "val-4.jsonl": {"macro_f1": 0.86, "scams_called_genuine_share": 0.08},
    "test-7.jsonl": {"macro_f1": 0.85, "scams_called_genuine_share": 0.05},
    "test-8.jsonl": {"macro_f1": 0.88, "scams_called_genuine_share": 0.05},
    "test-9.jsonl": {"macro_f1": 0.86, "scams_called_genuine_share": 0.05},
    "test-10.jsonl": {"macro_f1": 0.85, "scams_called_genuine_share": 0.05},
    "test-11.jsonl": {"macro_f1": 0.87, "scams_called_genuine_share": 0.05},
    "test-12.jsonl": {"macro_f1": 0.89, "scams_called_genuine_share": 0.05},
}


@pytest.mark.parametrize("path", [p for p in HOLDOUT_FILES if p.name in HOLDOUT_FLOORS], ids=lambda p: p.name)
def test_holdout_generalisation(engine, knowledge, path):
    rows = _load(path)
    for r in rows:
        assert r["kind"] in knowledge.kind_labels and set(r.get("flags") or []) <= set(knowledge.flag_labels)
    report = _report(engine, rows)
    floor = HOLDOUT_FLOORS[path.name]
    assert report["macro_f1"] >= floor["macro_f1"], json.dumps(report["per_kind"], indent=1)
    scams = sum(1 for r in rows if r["kind"] in SCAM_KINDS)
    share = len(report["scams_called_genuine"]) / scams
    assert share <= floor["scams_called_genuine_share"], _scams_called_genuine(report)


# -- hand-written edge cases -------------------------------------------------------------------------
EDGE = _load(EDGE_CASES)


def test_edge_cases_cover_every_kind_and_flag(knowledge):
    assert len(EDGE) >= 40
    assert {r["kind"] for r in EDGE} == set(knowledge.kind_labels)
    assert {f for r in EDGE for f in r["flags"]} == set(knowledge.flag_labels)
    assert any(r["text"] == "" for r in EDGE)
    assert len({r["id"] for r in EDGE}) == len(EDGE)


@pytest.mark.parametrize("case", EDGE, ids=[r["id"] for r in EDGE])
def test_edge_case(engine, case):
    v = engine.analyze(case["text"], case.get("sender"), case.get("received_at"))
    got = f"got kind={v.kind} flags={list(v.flags)} signals={[h.signal.rule for h in v.hits]}"
    where = f"[{case['id']}] {case['text']!r} ({case['note']})"
    assert v.kind == case["kind"], f"{where}\n  expected kind={case['kind']}\n  {got}"
    missing = set(case["flags"]) - set(v.flags)
    assert not missing, f"{where}\n  missing flags {sorted(missing)}\n  {got}"


def _generated_long_message() -> str:
    parts = ["【安心借】尊敬的刘**，您的借款已逾期5天，请尽快登录APP还款。", "您本期应还1352.29元。"]
    filler = "为保障您的权益，请核对借款合同及还款计划，如有疑问请联系官方客服。"
    text = "".join(parts)
    while len(text) < 10_000:
        text += filler
    return text[:10_000]


def test_generated_long_collection_message(engine):
    text = _generated_long_message()
    assert len(text) == 10_000
    v = engine.analyze(text)
    assert v.kind == "collection_notice", f"kind={v.kind} signals={[h.signal.rule for h in v.hits]}"
    d = verdict_to_dict(v)
    for s in d["signals"]:
        if s["span"]:
            assert text[s["span"][0]:s["span"][1]] == s["evidence"]


# -- shared dev set and background ham ---------------------------------------------------------------
def test_dev_set(engine):
    if not DEV.exists():
        pytest.skip(f"{DEV} not present")
    rows = _load(DEV)
    report = _report(engine, rows)
    assert report["macro_f1"] >= 0.85, json.dumps(report["per_kind"], indent=1)
    assert report["flag_micro"]["f1"] >= 0.80, json.dumps(report["per_flag"], indent=1)
    assert not report["scams_called_genuine"], _scams_called_genuine(report)


def test_background_ham_is_not_called_a_scam_or_third_party(engine):
    if not BACKGROUND.exists():
        pytest.skip(f"{BACKGROUND} not present")
    ham = [r for r in _load(BACKGROUND) if r.get("spam") == 0]
    assert ham
    alarming = {"third_party_contact", *SCAM_KINDS}
    false_alarms = []
    for r in ham:
        v = engine.analyze(r["text"])
        if v.kind in alarming:
            false_alarms.append(f"  {r['id']}: {v.kind}: {r['text'][:80]}")
    # none: a genuine bank or shop message called a scam is what makes people stop trusting the tool (a
    # bank's instalment offer with a t.cn link was, for one commit, until short links needed an overdue)
    assert not false_alarms, f"{len(false_alarms)}/{len(ham)} ordinary messages raised an alarm:\n" + "\n".join(
        false_alarms)


def test_background_ads_are_rarely_called_a_fake_collection(engine):
    """Spam ads (links to bare IPs, app downloads, carrier promotions) are risky, but they do not pose as a
    lender, collector or authority: at most 0.5 % may be called ``fake_collection`` (2026-11-22: 1 of
    888, an ad with a rent-payment scam pasted into it)."""
    if not BACKGROUND.exists():
        pytest.skip(f"{BACKGROUND} not present")
    ads = [r for r in _load(BACKGROUND) if r.get("spam") == 1]
    assert ads
    called = [f"  {r['id']}: {r['text'][:80]}" for r in ads if engine.analyze(r["text"]).kind == "fake_collection"]
    assert len(called) <= 0.005 * len(ads), f"{len(called)}/{len(ads)} ads called fake_collection:\n" + "\n".join(
        called)
