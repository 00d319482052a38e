"""Pure-Python inference for the shipped kind classifier (a gzipped JSON artefact)."""

from __future__ import annotations

import gzip
import heapq
import json
import math
from dataclasses import dataclass
from pathlib import Path

from anning.ml.features import features

FORMAT = 1


class ModelError(ValueError):
    """The model file is missing, corrupt or of another format."""


@dataclass(frozen=True)
class Prediction:
    probabilities: dict[str, float]
    contributions: dict[str, list[tuple[str, float]]]  # for the most likely kind: strongest features


class KindModel:
    def __init__(self, data: dict, source: str):
        if data.get("format") != FORMAT:
            raise ModelError(f"{source}: unsupported model format {data.get('format')!r}")
        self.source = source
        self.name = data.get("name", "model")
        self.classes: list[str] = data["classes"]
        self.intercept: list[float] = data["intercept"]
        self.temperature: float = data.get("temperature", 1.0)
        self.vocab: dict[str, list[float]] = data["vocab"]  # feature -> [idf, w_class0, w_class1, ...]
        self.meta = {k: data[k] for k in ("name", "trained_on", "seed", "metrics") if k in data}

    @classmethod
    def load(cls, path: str | Path) -> KindModel:
        try:
            data = json.loads(gzip.decompress(Path(path).read_bytes()))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read model ({exc})") from exc
        return cls(data, str(path))

    def predict(self, normalised: str, explain: int = 5) -> Prediction:
        k = len(self.classes)
        weighted: list[tuple[str, float, list[float]]] = []
        norm2 = 0.0
        log = math.log
        vocab = self.vocab
        for feat, count in features(normalised).items():
            entry = vocab.get(feat)
            if entry is None:
                continue
            value = entry[0] if count == 1 else (1.0 + log(count)) * entry[0]
            norm2 += value * value
            weighted.append((feat, value, entry))
        logits = list(self.intercept)
        norm = math.sqrt(norm2) or 1.0
        for _feat, value, entry in weighted:
            x = value / norm
            for c in range(k):
                logits[c] += x * entry[c + 1]
        top = max(logits)
        exps = [math.exp((v - top) / self.temperature) for v in logits]
        total = sum(exps)
        probs = {cls: e / total for cls, e in zip(self.classes, exps, strict=True)}
        contributions: dict[str, list[tuple[str, float]]] = {}
        if explain:
            c = max(range(k), key=logits.__getitem__)
            scored = heapq.nlargest(explain, ((v / norm * e[c + 1], f) for f, v, e in weighted))
            contributions[self.classes[c]] = [(f, round(sc, 4)) for sc, f in scored if sc > 0]
        return Prediction(probs, contributions)
