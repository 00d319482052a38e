"""Pure-Python inference for the shipped kind classifier (a gzipped JSON artefact)."""

from __future__ import annotations

import gzip
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
    contributions: dict[str, list[tuple[str, float]]]  # per kind: strongest (feature, contribution)


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
        for feat, count in features(normalised).items():
            entry = self.vocab.get(feat)
            if entry is None:
                continue
            value = (1.0 + math.log(count)) * entry[0]
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
            for c, cls in enumerate(self.classes):
                scored = sorted(((f, v / norm * e[c + 1]) for f, v, e in weighted), key=lambda t: -t[1])
                contributions[cls] = [(f, round(s, 4)) for f, s in scored[:explain] if s > 0]
        return Prediction(probs, contributions)
