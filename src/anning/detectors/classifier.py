"""The learned kind classifier as one more detector: its probabilities become votes, and the n-grams
that pushed the winning kind become the evidence spans."""

from __future__ import annotations

from anning.detectors import Prepared
from anning.knowledge import Knowledge
from anning.ml.features import locate, prepare
from anning.ml.model import KindModel
from anning.model import Signal

SIGNAL = "MODEL_KIND"


def detect(p: Prepared, model: KindModel, k: Knowledge) -> Signal:
    conf = k.scoring["model"]
    pred = model.predict(p.nt.text, explain=conf.get("explain_features", 5))
    probs = pred.probabilities
    best = max(probs, key=probs.__getitem__)
    spans = []
    top = pred.contributions.get(best, [])
    prepared = prepare(p.nt.text)
    for feat, _score in top:
        for start, end in locate(prepared, feat)[:2]:
            spans.append(p.nt.span(start, end))
    evidence = "、".join(f.removeprefix("w:") for f, _ in top)
    return Signal(SIGNAL, "model", tuple(sorted(set(spans), key=lambda s: (s.start, s.end))), evidence,
                  {"model": model.name, "predicted": best,
                   "probabilities": {kd: round(v, 4) for kd, v in probs.items()},
                   "top_features": [[f, s] for f, s in top]})
