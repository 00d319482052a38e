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


def detect(p: Prepared, model: KindModel, k: Knowledge) -> Signal:
    return signal(p, model.predict(p.nt.text, explain=explain_count(k)), model)


def signal(p: Prepared, pred: Prediction, model: KindModel, prepared: str | None = None) -> Signal:
    """The model's prediction for a prepared message as a signal (``KindModel.predict_many`` makes
    predictions for many messages at once). ``prepared``: ``features.prepare`` of the text, if known."""
    probs = pred.probabilities
    best = max(probs, key=probs.__getitem__)
    spans = []
    top = pred.contributions.get(best, [])
    if prepared is None:
        prepared = prepare(p.nt.text)
    for feat, _score in top:
        for start, end in locate(prepared, feat)[:2]:
            spans.append(p.nt.span(start, end))
    evidence = "、".join(f.removeprefix("w:") for f, _ in top)
    return Signal(SIGNAL, "model", tuple(sorted(set(spans), key=lambda s: (s.start, s.end))), evidence,
                  {"model": model.name, "predicted": best,
                   "probabilities": {kd: round(v, 4) for kd, v in probs.items()},
                   "top_features": [[f, s] for f, s in top]})
