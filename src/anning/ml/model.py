"""Pure-Python inference for the shipped kind classifier (a gzipped JSON artefact)."""

from __future__ import annotations

import gzip
import heapq
import json
import math
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter, mul
from pathlib import Path

from anning.ml.features import NGRAM_MAX, NGRAM_MIN, WORD, features, prepare

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
        self._index: _VocabIndex | None = None
        self._calls = 0

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
        """Class probabilities and, for the most likely class, the strongest features.

        The first call (a one-off ``anning check``) counts n-grams directly; later calls use an index
        built once (an Aho-Corasick automaton over the vocabulary's n-grams and per-class weight
        arrays in sorted-feature order). Both do the same float operations in the same order, so the
        results are bit-for-bit identical."""
        if self._index is None:
            self._calls += 1
            if self._calls == 1:
                return self.predict_reference(normalised, explain)
            self._index = _VocabIndex(self.vocab, len(self.classes))
        return self._predict_indexed(normalised, explain)

    def _predict_indexed(self, normalised: str, explain: int) -> Prediction:
        ix = self._index
        text = prepare(normalised)
        counts = Counter(map(_second, ix.automaton.iter(text))) if text else Counter()
        if ix.has_words:
            words = ix.words
            for w in WORD.findall(text):
                r = words.get(w)
                if r is not None:
                    counts[r] += 1
        ranks = sorted(counts)
        logits = list(self.intercept)
        contributions: dict[str, list[tuple[str, float]]] = {}
        if ranks:
            pick = itemgetter(*ranks) if len(ranks) > 1 else (lambda seq, r=ranks[0]: (seq[r],))
            # idf, or (1 + log n)·idf for a feature seen n > 1 times (1.0·idf is idf exactly)
            values = list(map(mul, map(_TF.__getitem__, map(counts.__getitem__, ranks)), pick(ix.idf)))
            norm = math.sqrt(sum(map(mul, values, values))) or 1.0
            weights = [pick(column) for column in ix.weights]
            logits = [b + sum(map(mul, values, weights[c])) / norm for c, b in enumerate(self.intercept)]
        top = max(logits)
        exps = [math.exp((v - top) / self.temperature) for v in logits]
        total = sum(exps)
        probs = {cls: e / total for cls, e in zip(self.classes, exps, strict=True)}
        if explain and ranks:
            c = max(range(len(logits)), key=logits.__getitem__)
            # the strongest positive features; ranks are unique and in name order, so this is exactly
            # heapq.nlargest over (score, name) followed by dropping scores ≤ 0
            products = list(map(mul, values, weights[c]))
            # by score, ties by name descending (index order reversed before a stable sort)
            best = sorted(range(len(products) - 1, -1, -1), key=products.__getitem__, reverse=True)[:explain]
            scored = [(products[i], ranks[i]) for i in best if products[i] > 0]
            names = ix.names
            contributions[self.classes[c]] = [(names[r], round(sc / norm, 4)) for sc, r in scored]
        return Prediction(probs, contributions)

    def predict_reference(self, normalised: str, explain: int = 5) -> Prediction:
        """The plain implementation: count every n-gram, then look each up in the vocabulary."""
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


_second = itemgetter(1)


class _TermFactor(dict):
    """n → 1 + log n (the sublinear term frequency), with 1 → 1.0."""

    def __missing__(self, n: int) -> float:
        value = 1.0 + math.log(n)
        self[n] = value
        return value


_TF = _TermFactor({1: 1.0})


class _VocabIndex:
    """The vocabulary in sorted-feature order: rank → name, idf and per-class weight; an Aho-Corasick
    automaton that reports the rank of every vocabulary n-gram occurring in a prepared text (overlapping
    occurrences included, exactly the n-grams ``features`` counts); Latin words by rank."""

    def __init__(self, vocab: dict[str, list[float]], n_classes: int):
        import ahocorasick

        self.names = sorted(vocab)
        entries = [vocab[name] for name in self.names]
        self.idf = [e[0] for e in entries]
        self.weights = [[e[c + 1] for e in entries] for c in range(n_classes)]
        self.words: dict[str, int] = {}
        self.automaton = ahocorasick.Automaton()
        grams = 0
        for rank, name in enumerate(self.names):
            if name.startswith("w:"):
                self.words[name[2:]] = rank
            elif NGRAM_MIN <= len(name) <= NGRAM_MAX and not name.isspace():  # never counted otherwise
                self.automaton.add_word(name, rank)
                grams += 1
        if grams:
            self.automaton.make_automaton()
        else:
            self.automaton = _NoGrams()
        self.has_words = bool(self.words)


class _NoGrams:
    @staticmethod
    def iter(text: str):
        return iter(())
