"""Training the kind classifier (needs the ``train`` extra: scikit-learn).

Reproducible: the same corpus and seed give the same model bytes (sorted JSON, rounded weights,
gzip without a timestamp). Probabilities are calibrated with a single temperature fitted on
out-of-fold predictions of a stratified k-fold cross-validation, which also gives the reported metrics.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from anning.ml.features import NGRAM_MAX, NGRAM_MIN, features
from anning.ml.model import FORMAT
from anning.text.normalize import normalize

DEFAULT_C = 10.0
MIN_DF = 2
FOLDS = 5
DIGITS = 5


def _tokens(normalised: str) -> list[str]:
    return list(features(normalised).elements())


def read_corpus(paths: Iterable[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        with Path(path).open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row.get("text"), str) or not isinstance(row.get("kind"), str):
                    raise ValueError(f"{path}:{n}: a training row needs 'text' and 'kind'")
                rows.append(row)
    return rows


def _fit(texts: list[str], labels: list[str], seed: int, c: float):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=_tokens, min_df=MIN_DF, sublinear_tf=True, smooth_idf=True, norm="l2")
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=c, max_iter=5000, solver="newton-cg", random_state=seed)
    clf.fit(x, labels)
    return vec, clf


def _softmax(logits: list[float], t: float) -> list[float]:
    top = max(logits)
    exps = [math.exp((v - top) / t) for v in logits]
    s = sum(exps)
    return [e / s for e in exps]


def expected_calibration_error(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    total = len(confidences)
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo < c <= hi or (b == 0 and c == 0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            ece += len(idx) / total * abs(acc - conf)
    return ece


def _fit_temperature(logits: list[list[float]], gold: list[int]) -> float:
    best_t, best_nll = 1.0, float("inf")
    for step in range(10, 501):
        t = step / 100
        nll = -sum(math.log(max(_softmax(row, t)[g], 1e-12)) for row, g in zip(logits, gold, strict=True))
        if nll < best_nll:
            best_t, best_nll = t, nll
    return best_t


def cross_validate(texts: list[str], labels: list[str], seed: int, c: float) -> dict[str, Any]:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    classes = sorted(set(labels))
    oof_logits: list[list[float]] = [[] for _ in texts]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    fold_f1 = []
    for train_idx, test_idx in folds.split(texts, labels):
        vec, clf = _fit([texts[i] for i in train_idx], [labels[i] for i in train_idx], seed, c)
        dec = clf.decision_function(vec.transform([texts[i] for i in test_idx]))
        pred = [clf.classes_[row.argmax()] for row in dec]
        fold_f1.append(f1_score([labels[i] for i in test_idx], pred, average="macro"))
        order = [list(clf.classes_).index(k) for k in classes]
        for i, row in zip(test_idx, dec, strict=True):
            oof_logits[i] = [float(row[j]) for j in order]
    gold = [classes.index(y) for y in labels]
    t = _fit_temperature(oof_logits, gold)
    pred_idx = [max(range(len(classes)), key=row.__getitem__) for row in oof_logits]
    correct = [p == g for p, g in zip(pred_idx, gold, strict=True)]
    conf_raw = [max(_softmax(row, 1.0)) for row in oof_logits]
    conf_cal = [max(_softmax(row, t)) for row in oof_logits]
    per_kind = {}
    for ci, k in enumerate(classes):
        tp = sum(p == ci and g == ci for p, g in zip(pred_idx, gold, strict=True))
        fp = sum(p == ci and g != ci for p, g in zip(pred_idx, gold, strict=True))
        fn = sum(p != ci and g == ci for p, g in zip(pred_idx, gold, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per_kind[k] = {"precision": round(prec, 4), "recall": round(rec, 4),
                       "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0}
    return {
        "folds": FOLDS,
        "macro_f1_per_fold": [round(f, 4) for f in fold_f1],
        "macro_f1_mean": round(sum(fold_f1) / len(fold_f1), 4),
        "accuracy": round(sum(correct) / len(correct), 4),
        "per_kind": per_kind,
        "temperature": t,
        "ece_uncalibrated": round(expected_calibration_error(conf_raw, correct), 4),
        "ece_calibrated": round(expected_calibration_error(conf_cal, correct), 4),
    }


def train(rows: list[dict[str, Any]], seed: int = 0, c: float = DEFAULT_C, name: str = "anning-kind",
          trained_on: str = "") -> dict[str, Any]:
    """Fit on all rows; returns the artefact dict (metrics from cross-validation included)."""
    texts = [normalize(r["text"]).text for r in rows]
    labels = [r["kind"] for r in rows]
    metrics = cross_validate(texts, labels, seed, c)
    vec, clf = _fit(texts, labels, seed, c)
    classes = [str(k) for k in clf.classes_]
    vocab: dict[str, list[float]] = {}
    idf = vec.idf_
    coef = clf.coef_
    for feat, j in vec.vocabulary_.items():
        vocab[feat] = [round(float(idf[j]), DIGITS)] + [round(float(coef[c_][j]), DIGITS) for c_ in range(len(classes))]
    return {
        "format": FORMAT,
        "name": name,
        "classes": classes,
        "intercept": [round(float(b), DIGITS) for b in clf.intercept_],
        "temperature": metrics["temperature"],
        "vocab": vocab,
        "features": {"char_ngrams": [NGRAM_MIN, NGRAM_MAX], "latin_words": True, "digits_folded": True,
                     "tf": "sublinear", "idf": "smooth", "norm": "l2", "min_df": MIN_DF},
        "classifier": {"type": "multinomial logistic regression", "C": c, "solver": "newton-cg"},
        "seed": seed,
        "trained_on": {"source": trained_on, "rows": len(rows), "per_kind": dict(sorted(Counter(labels).items()))},
        "metrics": metrics,
    }


def dump(artefact: dict[str, Any], path: Path) -> int:
    """Write the artefact deterministically; returns its size in bytes."""
    raw = json.dumps(artefact, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    blob = gzip.compress(raw, compresslevel=9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return len(blob)
