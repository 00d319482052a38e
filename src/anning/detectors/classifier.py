"""The learned kind classifier as one more detector: its probabilities become votes, and the n-grams
that pushed the winning kind become the evidence spans."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.knowledge import Knowledge
from anning.ml.features import locate, prepare
from anning.ml.model import KindModel, Prediction
from anning.model import Signal

SIGNAL = "MODEL_KIND"


def explain_count(k: Knowledge) -> int:
    """How many of the strongest features a model signal names."""
    return k.scoring["model"].get("explain_features", 5)


def detect(p: Prepared, model: KindModel, k: Knowledge) -> list[Signal]:
    """The kind signal and the flag signals of one message."""
    pred = model.predict(p.nt.text, explain=explain_count(k))
    return [signal(p, pred, model), *flag_signals(p, pred, model, k)]


def flag_signals(p: Prepared, pred: Prediction, model: KindModel, k: Knowledge) -> list[Signal]:
    """A signal for each flag whose model says yes (scoring.yaml ``model.flag_rules``: which flags, as
    which rule; the rule says for which kinds the flag counts), explained by the n-grams that pushed it."""
    conf = k.scoring["model"]
    rules = conf.get("flag_rules", {})
    threshold = conf.get("flag_threshold", 0.5)
    raised = [flag for flag, probability in pred.flag_probabilities.items()
              if probability >= threshold and flag in rules]
    if not raised:
        return []
    evidence = model.flag_evidence(p.nt.text, raised, explain_count(k), pred)
    prepared = None if pred.reading is not None else prepare(p.nt.text)
    out = []
    for flag in raised:
        top = evidence[flag]
        spans = p.nt.spans([r for feat, _ in top for r in _where(pred, prepared, feat)])
        out.append(Signal(rules[flag], "model", spans, "、".join(f.removeprefix("w:") for f, _ in top),
                          {"model": model.name, "flag": flag, "probability": round(pred.flag_probabilities[flag], 4),
                           "top_features": [[f, sc] for f, sc in top]}))
    return out


def signal(p: Prepared, pred: Prediction, model: KindModel, prepared: str | None = None) -> Signal:
    """The model's prediction for a prepared message as a signal (``KindModel.predict_many`` makes
    predictions for many messages at once). ``prepared``: ``features.prepare`` of the text, if known."""
    probs = pred.probabilities
    best = max(probs, key=probs.__getitem__)
    top = pred.contributions.get(best, [])
    if prepared is None and top and not all(feat in pred.located for feat, _ in top):
        prepared = prepare(p.nt.text)
    spans = p.nt.spans([r for feat, _ in top for r in _where(pred, prepared, feat)])
    evidence = "、".join(f.removeprefix("w:") for f, _ in top)
    return Signal(SIGNAL, "model", spans, evidence,
                  {"model": model.name, "predicted": best,
                   "probabilities": {kd: round(v, 4) for kd, v in probs.items()},
                   "top_features": [[f, s] for f, s in top]})


def _where(pred: Prediction, prepared: str | None, feature: str) -> tuple[tuple[int, int], ...] | list[tuple[int, int]]:
    """The first two occurrences of a feature in the prepared text: known to a native prediction, else
    searched (``prepared`` is then needed)."""
    located = pred.located.get(feature)
    if located is not None:
        return located
    assert prepared is not None
    return locate(prepared, feature)[:2]
