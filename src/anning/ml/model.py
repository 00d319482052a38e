"""Inference for the shipped kind classifier (a gzipped JSON artefact): pure Python per message; for many
messages at once (``predict_many``) a small C extension (``_ngrams``) or, without it, NumPy — all three
with identical results."""

from __future__ import annotations

import gzip
import heapq
import json
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import add, itemgetter, mul
from pathlib import Path
from typing import Any

from anning.ml.features import NGRAM_MAX, NGRAM_MIN, WORD, features, prepare

FORMAT = 1


class ModelError(ValueError):
    """The model file is missing, corrupt or of another format."""


@dataclass(frozen=True)
class Prediction:
    probabilities: dict[str, float]
    contributions: dict[str, list[tuple[str, float]]]  # for the most likely kind: strongest features
    flag_probabilities: dict[str, float] = field(default_factory=dict)  # one binary model per flag
    # where the features named so far occur in the prepared text (first two occurrences), when known
    located: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict, compare=False, repr=False)
    reading: Any = field(default=None, compare=False, repr=False)  # the native reading, for flag evidence


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class KindModel:
    def __init__(self, data: dict, source: str):
        if data.get("format") != FORMAT:
            raise ModelError(f"{source}: unsupported model format {data.get('format')!r}")
        self.source = source
        self.name = data.get("name", "model")
        self.classes: list[str] = data["classes"]
        self.intercept: list[float] = data["intercept"]
        self.temperature: float = data.get("temperature", 1.0)
        self.vocab: dict[str, list[float]] = data["vocab"]  # feature -> [idf, w_class0, …, w_flag0, …]
        self.flags: list[str] = data.get("flags", [])
        self.flag_intercept: list[float] = data.get("flag_intercept", [])
        self.meta = {k: data[k] for k in ("name", "trained_on", "seed", "metrics") if k in data}
        self._index: _VocabIndex | None = None
        self._arrays: _ArrayIndex | _NativeIndex | None = None
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

        The first call (a one-off ``anning check``) counts n-grams directly; later calls use the C
        extension or, without it, an index built once (an Aho-Corasick automaton over the vocabulary's
        n-grams and per-class weight arrays in sorted-feature order). All do the same float operations in
        the same order, so the results are bit-for-bit identical."""
        if self._index is None:
            self._calls += 1
            if self._calls == 1:
                return self.predict_reference(normalised, explain)
            arrays = self._batch_index()
            if isinstance(arrays, _NativeIndex):
                return arrays.predict(self, (normalised,), explain, True)[0]
            self._index = _VocabIndex(self.vocab, len(self.classes))
        return self._predict_indexed(normalised, explain)

    def predict_many(self, normalised: Sequence[str], explain: int = 5,
                     prepared: Sequence[str] | None = None) -> list[Prediction]:
        """``predict`` for many texts at once, natively (``_ngrams``) or vectorised with NumPy: the same
        features, the same float operations in the same order (per-text sums accumulate feature by
        feature in name order, as ``predict`` does), so each prediction equals ``predict``'s bit for bit.
        Without NumPy it falls back to ``predict`` one text at a time. ``prepared``: ``features.prepare``
        of each text, if known. ``ANNING_NATIVE=0`` turns the C extension off."""
        try:
            import numpy  # noqa: F401 - only checks that the vectorised path is available
        except ImportError:  # pragma: no cover - numpy is a dependency; this guards stripped installs
            return [self.predict(text, explain) for text in normalised]
        arrays = self._batch_index()
        if isinstance(arrays, _NativeIndex):
            return arrays.predict(self, normalised if prepared is None else prepared, explain, prepared is None)
        if prepared is None:
            prepared = [prepare(text) for text in normalised]
        return arrays.predict(self, list(prepared), explain)

    def _batch_index(self) -> _ArrayIndex | _NativeIndex:
        if self._arrays is None:
            self._arrays = _NativeIndex.build(self) or _ArrayIndex(self.vocab, self.classes)
        return self._arrays

    @property
    def native(self) -> bool:
        """Whether ``predict_many`` runs on the C extension (which prepares texts itself)."""
        return isinstance(self._batch_index(), _NativeIndex)

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
        flag_logits = list(self.flag_intercept)
        contributions: dict[str, list[tuple[str, float]]] = {}
        if ranks:
            pick = itemgetter(*ranks) if len(ranks) > 1 else (lambda seq, r=ranks[0]: (seq[r],))
            # idf, or (1 + log n)·idf for a feature seen n > 1 times (1.0·idf is idf exactly)
            values = list(map(mul, map(_TF.__getitem__, map(counts.__getitem__, ranks)), pick(ix.idf)))
            norm = math.sqrt(_dot(values, values)) or 1.0
            weights = [pick(column) for column in ix.weights]
            logits = [b + _dot(values, weights[c]) / norm for c, b in enumerate(self.intercept)]
            n = len(self.intercept)
            flag_logits = [b + _dot(values, weights[n + f]) / norm for f, b in enumerate(self.flag_intercept)]
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
        return Prediction(probs, contributions, self._flag_probabilities(flag_logits))

    def _flag_probabilities(self, flag_logits: list[float]) -> dict[str, float]:
        return {flag: _sigmoid(v) for flag, v in zip(self.flags, flag_logits, strict=True)}

    def flag_evidence(self, normalised: str, flags: Sequence[str], explain: int = 3,
                      prediction: Prediction | None = None) -> dict[str, list[tuple[str, float]]]:
        """For each of ``flags``, the n-grams of two or more letters that pushed its model most towards yes
        (only the flags a message is given need it). Ties go to the name that sorts last, as for the kinds.
        With a ``prediction`` of the native path, its reading answers and its ``located`` learns where
        these n-grams occur."""
        if prediction is not None and prediction.reading is not None:
            out = {}
            for flag in flags:
                top = prediction.reading.top(len(self.classes) + self.flags.index(flag), explain, True)
                out[flag] = [(name, round(score, 4)) for name, score, _ in top]
                prediction.located.update((name, spans) for name, _, spans in top)
            return out
        if self._index is None:
            self._index = _VocabIndex(self.vocab, len(self.classes))
        ix = self._index
        text = prepare(normalised)
        counts = Counter(map(_second, ix.automaton.iter(text))) if text else Counter()
        if ix.has_words:
            for w in WORD.findall(text):
                r = ix.words.get(w)
                if r is not None:
                    counts[r] += 1
        if not counts:
            return {flag: [] for flag in flags}
        ranks = sorted(counts)
        idf = ix.idf
        values = [_TF[counts[r]] * idf[r] for r in ranks]
        norm = math.sqrt(_dot(values, values)) or 1.0
        out = {}
        for flag in flags:
            column = ix.weights[len(self.classes) + self.flags.index(flag)]
            # single characters (你, 的) and n-grams of punctuation or masks explain nothing to a reader
            scored = heapq.nlargest(explain, ((v * column[r], ix.names[r]) for v, r in zip(values, ranks, strict=True)
                                              if len(ix.names[r]) > 1 and " " not in ix.names[r]))
            out[flag] = [(f, round(sc / norm, 4)) for sc, f in scored if sc > 0]
        return out

    def predict_reference(self, normalised: str, explain: int = 5) -> Prediction:
        """The plain implementation: count every n-gram, then look each up in the vocabulary."""
        feats = features(normalised)
        names = sorted(feats.keys() & self.vocab.keys())  # sorted: the same float sums on every run
        logits = list(self.intercept)
        flag_logits = list(self.flag_intercept)
        contributions: dict[str, list[tuple[str, float]]] = {}
        if names:
            counts = list(map(feats.__getitem__, names))
            entries = list(map(self.vocab.__getitem__, names))
            columns = list(zip(*entries, strict=True))  # columns[0]: idf; columns[c + 1]: weights of class c
            log = math.log
            values = [idf if n == 1 else (1.0 + log(n)) * idf for n, idf in zip(counts, columns[0], strict=True)]
            norm = math.sqrt(_dot(values, values)) or 1.0
            logits = [b + _dot(values, columns[c + 1]) / norm for c, b in enumerate(self.intercept)]
            n = len(self.intercept)
            flag_logits = [b + _dot(values, columns[n + 1 + f]) / norm
                           for f, b in enumerate(self.flag_intercept)]
        top = max(logits)
        exps = [math.exp((v - top) / self.temperature) for v in logits]
        total = sum(exps)
        probs = {cls: e / total for cls, e in zip(self.classes, exps, strict=True)}
        if explain and names:
            c = max(range(len(logits)), key=logits.__getitem__)
            scored = heapq.nlargest(explain, zip(map(mul, values, columns[c + 1]), names, strict=True))
            contributions[self.classes[c]] = [(f, round(sc / norm, 4)) for sc, f in scored if sc > 0]
        return Prediction(probs, contributions, self._flag_probabilities(flag_logits))


_second = itemgetter(1)


def _dot(a, b) -> float:
    """Σ a·b added left to right, as NumPy's bincount and the C extension do. Not ``sum``: since Python
    3.12 it compensates rounding, so its last bits would differ from theirs."""
    return reduce(add, map(mul, a, b), 0.0)


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
        self.weights = [[e[c + 1] for e in entries] for c in range(len(entries[0]) - 1 if entries else n_classes)]
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


class _ArrayIndex:
    """The vocabulary as NumPy arrays for ``KindModel.predict_many``.

    An n-gram of up to three characters is packed into one integer, 21 bits per character (code point
    + 1, so shorter n-grams never collide with longer ones); the packed keys of the vocabulary are
    kept sorted, so every n-gram of a batch is looked up with one ``searchsorted``."""

    BITS = 21

    def __init__(self, vocab: dict[str, list[float]], classes: list[str]):
        import numpy as np

        names = sorted(vocab)
        self.names = names
        entries = [vocab[name] for name in names]
        self.idf = np.array([e[0] for e in entries], dtype=np.float64)
        self.weights = np.array([e[1:] for e in entries], dtype=np.float64).T.copy()  # class × feature
        self.words = {name[2:]: rank for rank, name in enumerate(names) if name.startswith("w:")}
        grams = [(self.pack(name), rank) for rank, name in enumerate(names)
                 if not name.startswith("w:") and NGRAM_MIN <= len(name) <= NGRAM_MAX and not name.isspace()]
        grams.sort()
        self.keys = np.array([key for key, _ in grams], dtype=np.int64)
        self.ranks = np.array([rank for _, rank in grams], dtype=np.int64)
        self.n_classes = len(classes)

    @classmethod
    def pack(cls, gram: str) -> int:
        key = 0
        for i, ch in enumerate(gram):
            key |= (ord(ch) + 1) << (cls.BITS * i)
        return key

    def _occurrences(self, texts: list[str]) -> tuple[Any, Any]:
        """(document, feature rank) of every vocabulary n-gram occurrence in the prepared texts."""
        import numpy as np

        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        docs, ranks = [], []
        key = codes
        for size in range(1, NGRAM_MAX + 1):
            if size > 1:  # extend every (size-1)-gram by the next character, within the same text
                same = doc[size - 1:] == doc[:len(doc) - size + 1]
                key = key[:-1] | (codes[size - 1:] << (self.BITS * (size - 1)))
                where = np.flatnonzero(same)
                candidates, owners = key[where], doc[:len(key)][where]
            else:
                candidates, owners = key, doc
            if size < NGRAM_MIN or not len(candidates) or not len(self.keys):
                continue
            at = np.searchsorted(self.keys, candidates)
            at[at == len(self.keys)] = 0
            hit = self.keys[at] == candidates
            docs.append(owners[hit])
            ranks.append(self.ranks[at[hit]])
        if self.words:
            extra = [(i, r) for i, text in enumerate(texts) for w in WORD.findall(text)
                     if (r := self.words.get(w)) is not None]
            if extra:
                docs.append(np.array([i for i, _ in extra], dtype=np.int64))
                ranks.append(np.array([r for _, r in extra], dtype=np.int64))
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(docs), np.concatenate(ranks)

    def predict(self, model: KindModel, texts: list[str], explain: int) -> list[Prediction]:
        import numpy as np

        n = len(texts)
        if n == 0:
            return []
        docs, ranks = self._occurrences(texts)
        size = len(self.names)
        pairs, counts = np.unique(docs * size + ranks, return_counts=True)  # sorted: by text, then name
        doc, rank = pairs // size, pairs % size
        tf = np.array([1.0, *(_TF[c] for c in range(1, int(counts.max(initial=1)) + 1))])
        values = tf[counts] * self.idf[rank]
        norm = np.sqrt(np.bincount(doc, weights=values * values, minlength=n))
        norm[norm == 0] = 1.0
        has = np.bincount(doc, minlength=n) > 0
        # bincount adds the weights in array order: per text, the same left-to-right sum as predict's
        sums = [np.bincount(doc, weights=values * self.weights[c][rank], minlength=n) / norm
                for c in range(self.n_classes + len(model.flags))]
        logits_by_text = np.stack(sums, axis=1).tolist()
        intercept, flag_intercept, nc = model.intercept, model.flag_intercept, self.n_classes
        has_list = has.tolist()
        predictions: list[Prediction] = []
        winners = []
        for i in range(n):
            row = logits_by_text[i]
            if has_list[i]:
                logits = [b + s for b, s in zip(intercept, row[:nc], strict=True)]
                flag_logits = [b + s for b, s in zip(flag_intercept, row[nc:], strict=True)]
            else:
                logits, flag_logits = list(intercept), list(flag_intercept)
            prediction = _softmax(model, logits)
            prediction.flag_probabilities.update(model._flag_probabilities(flag_logits))
            predictions.append(prediction)
            winners.append(max(range(len(logits)), key=logits.__getitem__))
        if not explain or not len(doc):
            return predictions
        win = np.array(winners, dtype=np.int64)
        products = values * self.weights[win[doc], rank]
        positive = np.flatnonzero(products > 0)[::-1]  # reversed: rank descending within each text
        doc_p, rank_p, prod_p = doc[positive], rank[positive], products[positive]
        order = np.lexsort((-prod_p, doc_p))  # stable: by text, score descending, ties by name descending
        doc_o, rank_o, prod_o = doc_p[order], rank_p[order], prod_p[order]
        position = np.arange(len(order)) - np.searchsorted(doc_o, doc_o, side="left")
        keep = position < explain
        scores = (prod_o[keep] / norm[doc_o[keep]]).tolist()
        names, classes = self.names, model.classes
        for i in range(n):
            if has_list[i]:
                predictions[i].contributions[classes[winners[i]]] = []
        for i, r, sc in zip(doc_o[keep].tolist(), rank_o[keep].tolist(), scores, strict=True):
            predictions[i].contributions[classes[winners[i]]].append((names[r], round(sc, 4)))
        return predictions


def _softmax(model: KindModel, logits: list[float], reading: Any = None) -> Prediction:
    top = max(logits)
    exps = [math.exp((v - top) / model.temperature) for v in logits]
    total = sum(exps)
    return Prediction({cls: e / total for cls, e in zip(model.classes, exps, strict=True)}, {}, reading=reading)


class _NativeIndex:
    """``predict_many`` with the C extension ``_ngrams``: it reads each text (n-gram and word lookup,
    tf·idf, the per-class and per-flag sums, in the NumPy path's order) and keeps the reading, which
    names the strongest features of any output with their positions."""

    def __init__(self, arrays: _ArrayIndex, scorer: Any):
        self.arrays = arrays
        self.scorer = scorer

    @classmethod
    def build(cls, model: KindModel) -> _NativeIndex | None:
        """None when the extension is not built (or turned off): then NumPy answers."""
        if os.environ.get("ANNING_NATIVE", "1") == "0":
            return None
        try:
            from anning.ml import _ngrams
        except ImportError:
            return None
        import numpy as np

        arrays = _ArrayIndex(model.vocab, model.classes)
        explainable = bytes(len(name) > 1 and " " not in name for name in arrays.names)
        intercept = np.array(model.intercept + model.flag_intercept, dtype=np.float64)
        scorer = _ngrams.Scorer(arrays.keys, arrays.ranks, arrays.idf, np.ascontiguousarray(arrays.weights.T),
                                intercept, len(model.classes), arrays.words, list(arrays.names), explainable)
        return cls(arrays, scorer)

    def predict(self, model: KindModel, texts: Sequence[str], explain: int, unprepared: bool) -> list[Prediction]:
        """``unprepared``: the texts are normalised (the extension prepares them), else ``prepare``d."""
        nc, classes, flags = len(model.classes), model.classes, model.flags
        predictions = []
        for reading in self.scorer.read_many(texts, unprepared):
            logits = reading.logits
            prediction = _softmax(model, logits[:nc], reading)
            prediction.flag_probabilities.update(zip(flags, map(_sigmoid, logits[nc:]), strict=True))
            if explain and reading.size:
                top = reading.top(reading.winner, explain, False)
                prediction.contributions[classes[reading.winner]] = [(name, round(score, 4)) for name, score, _ in top]
                prediction.located.update((name, spans) for name, _, spans in top)
            predictions.append(prediction)
        return predictions
