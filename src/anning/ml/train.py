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
MIN_FLAG_EXAMPLES = 20  # a flag with fewer labelled examples gets no model
UNLEARNED_FLAGS = {"night_contact"}  # set from the time of receipt, not from the words


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


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=_tokens, min_df=MIN_DF, sublinear_tf=True, smooth_idf=True, norm="l2")


def _fit(texts: list[str], labels: list[str], seed: int, c: float):
    from sklearn.linear_model import LogisticRegression

    vec = _vectorizer()
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


def _flag_sets(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[bool]]]:
    """The flags worth a model (enough examples, learnable from words) and, per flag, who has it."""
    counts = Counter(f for r in rows for f in set(r.get("flags") or ()))
    flags = sorted(f for f, n in counts.items() if n >= MIN_FLAG_EXAMPLES and f not in UNLEARNED_FLAGS)
    return flags, [[f in (r.get("flags") or ()) for r in rows] for f in flags]


def _fit_flag(x, has: list[bool], seed: int, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, solver="liblinear", random_state=seed).fit(x, has)


def flag_cross_validate(texts: list[str], flags: list[str], has: list[list[bool]], labels: list[str], seed: int,
                        c: float) -> dict[str, dict[str, float]]:
    """Out-of-fold precision, recall and F1 of each flag model at probability 0.5."""
    from sklearn.model_selection import StratifiedKFold

    predicted = [[False] * len(texts) for _ in flags]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train_idx, test_idx in folds.split(texts, labels):
        vec = _vectorizer()
        x_train = vec.fit_transform([texts[i] for i in train_idx])
        x_test = vec.transform([texts[i] for i in test_idx])
        for f in range(len(flags)):
            clf = _fit_flag(x_train, [has[f][i] for i in train_idx], seed, c)
            for i, yes in zip(test_idx, clf.predict_proba(x_test)[:, 1] >= 0.5, strict=True):
                predicted[f][i] = bool(yes)
    out = {}
    for f, flag in enumerate(flags):
        tp = sum(p and g for p, g in zip(predicted[f], has[f], strict=True))
        fp = sum(p and not g for p, g in zip(predicted[f], has[f], strict=True))
        fn = sum(g and not p for p, g in zip(predicted[f], has[f], strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out[flag] = {"precision": round(prec, 4), "recall": round(rec, 4),
                     "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0}
    return out


def train(rows: list[dict[str, Any]], seed: int = 0, c: float = DEFAULT_C, name: str = "anning-kind",
          trained_on: str = "") -> dict[str, Any]:
    """Fit on all rows; returns the artefact dict (metrics from cross-validation included). Besides the
    kinds, one binary model per flag, on the same features: each vocabulary entry is [idf, a weight per
    kind, a weight per flag]."""
    texts = [normalize(r["text"]).text for r in rows]
    labels = [r["kind"] for r in rows]
    metrics = cross_validate(texts, labels, seed, c)
    vec, clf = _fit(texts, labels, seed, c)
    classes = [str(k) for k in clf.classes_]
    flags, has = _flag_sets(rows)
    if flags:
        metrics["flags_out_of_fold"] = flag_cross_validate(texts, flags, has, labels, seed, c)
    x = vec.transform(texts)
    flag_models = [_fit_flag(x, has[f], seed, c) for f in range(len(flags))]
    vocab: dict[str, list[float]] = {}
    idf = vec.idf_
    coef = clf.coef_
    for feat, j in vec.vocabulary_.items():
        kinds = [round(float(coef[c_][j]), DIGITS) for c_ in range(len(classes))]
        flag_weights = [round(float(m.coef_[0][j]), DIGITS) for m in flag_models]
        vocab[feat] = [round(float(idf[j]), DIGITS), *kinds, *flag_weights]
    return {
        "format": FORMAT,
        "name": name,
        "classes": classes,
        "flags": flags,
        "flag_intercept": [round(float(m.intercept_[0]), DIGITS) for m in flag_models],
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
