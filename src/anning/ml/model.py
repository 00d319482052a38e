"""Pure-Python inference for the shipped kind classifier (a gzipped JSON artefact)."""

from __future__ import annotations

import gzip
import heapq
import json
import math
from dataclasses import dataclass
from operator import mul
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
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ModelError(f"{path}: cannot read model ({exc})") from exc

        def parse() -> dict:
            try:
                return json.loads(gzip.decompress(raw))
            except (OSError, ValueError) as exc:
                raise ModelError(f"{path}: cannot read model ({exc})") from exc

        from anning.cache import cached

        return cls(cached("model", [raw], parse), str(path))

    def predict(self, normalised: str, explain: int = 5) -> Prediction:
        feats = features(normalised)
        names = sorted(feats.keys() & self.vocab.keys())  # sorted: the same float sums on every run
        logits = list(self.intercept)
        contributions: dict[str, list[tuple[str, float]]] = {}
        if names:
            counts = list(map(feats.__getitem__, names))
            entries = list(map(self.vocab.__getitem__, names))
            columns = list(zip(*entries, strict=True))  # columns[0]: idf; columns[c + 1]: weights of class c
            log = math.log
            values = [idf if n == 1 else (1.0 + log(n)) * idf for n, idf in zip(counts, columns[0], strict=True)]
            norm = math.sqrt(sum(map(mul, values, values))) or 1.0
            logits = [b + sum(map(mul, values, columns[c + 1])) / norm for c, b in enumerate(self.intercept)]
        top = max(logits)
        exps = [math.exp((v - top) / self.temperature) for v in logits]
        total = sum(exps)
        probs = {cls: e / total for cls, e in zip(self.classes, exps, strict=True)}
        if explain and names:
            c = max(range(len(logits)), key=logits.__getitem__)
            scored = heapq.nlargest(explain, zip(map(mul, values, columns[c + 1]), names, strict=True))
            contributions[self.classes[c]] = [(f, round(sc / norm, 4)) for sc, f in scored if sc > 0]
        return Prediction(probs, contributions)
