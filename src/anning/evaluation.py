"""Evaluate the analyser on a labelled corpus: per-kind precision/recall/F1, macro-F1, confusion
matrix, flag micro-F1, and every scam that was called a genuine collection message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SCAM_KINDS = ("fake_collection", "debt_relief_scam")
GENUINE_KINDS = ("collection_notice", "third_party_contact")


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def evaluate(rows: Iterable[dict[str, Any]], predictions: Iterable[dict[str, Any]],
             kinds: list[str], flags: list[str]) -> dict[str, Any]:
    """``rows`` carry gold ``kind``/``flags``; ``predictions`` the verdict dicts in the same order."""
    confusion = {g: dict.fromkeys(kinds, 0) for g in kinds}
    flag_counts = {f: {"tp": 0, "fp": 0, "fn": 0} for f in flags}
    scams_called_genuine = []
    errors = []
    mistakes = []
    n = 0
    for row, pred in zip(rows, predictions, strict=True):
        n += 1
        if "error" in pred:
            errors.append({"id": row.get("id"), "error": pred["error"]})
            continue
        gold, got = row["kind"], pred["kind"]
        confusion[gold][got] += 1
        gold_flags, got_flags = set(row.get("flags") or []), set(pred["flags"])
        for f in flags:
            if f in got_flags and f in gold_flags:
                flag_counts[f]["tp"] += 1
            elif f in got_flags:
                flag_counts[f]["fp"] += 1
            elif f in gold_flags:
                flag_counts[f]["fn"] += 1
        if gold in SCAM_KINDS and got in GENUINE_KINDS:
            scams_called_genuine.append({"id": row.get("id"), "gold": gold, "predicted": got,
                                         "text": row["text"]})
        if gold != got or gold_flags != got_flags:
            mistakes.append({"id": row.get("id"), "gold": gold, "predicted": got,
                             "missing_flags": sorted(gold_flags - got_flags),
                             "extra_flags": sorted(got_flags - gold_flags), "text": row["text"]})
    per_kind = {}
    for k in kinds:
        tp = confusion[k][k]
        fp = sum(confusion[g][k] for g in kinds if g != k)
        fn = sum(confusion[k][p] for p in kinds if p != k)
        per_kind[k] = _prf(tp, fp, fn)
    present = [k for k in kinds if per_kind[k]["support"] > 0]
    macro = sum(per_kind[k]["f1"] for k in present) / len(present) if present else 0.0
    tp = sum(c["tp"] for c in flag_counts.values())
    fp = sum(c["fp"] for c in flag_counts.values())
    fn = sum(c["fn"] for c in flag_counts.values())
    correct = sum(confusion[k][k] for k in kinds)
    return {
        "rows": n,
        "errors": errors,
        "accuracy": round(correct / (n - len(errors)), 4) if n - len(errors) else 0.0,
        "per_kind": per_kind,
        "macro_f1": round(macro, 4),
        "confusion": confusion,
        "flag_micro": _prf(tp, fp, fn),
        "per_flag": {f: _prf(c["tp"], c["fp"], c["fn"]) for f, c in flag_counts.items()},
        "scams_called_genuine": scams_called_genuine,
        "mistakes": mistakes,
    }
