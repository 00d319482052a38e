"""The classifier's C extension (``anning.ml._ngrams``) gives exactly what the NumPy path gives: the same
probabilities bit for bit, the same explaining features, the same flag evidence, the positions ``locate``
finds, and the same verdicts. ``make test`` builds it. Where a C compiler and the Python headers are
present the extension must be built (these tests fail otherwise); without them the install goes on
without it and these tests are skipped, while the rest of the suite runs on the NumPy path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anning.corpus import shipped_corpus
from anning.engine import Engine
from anning.explain import verdict_to_dict
from anning.ml.features import locate, prepare
from anning.ml.model import KindModel, _ArrayIndex, _NativeIndex
from anning.ml.train import read_corpus
from anning.text.normalize import normalize

try:
    from anning.ml import _ngrams
except ImportError:
    _CAN_BUILD = bool(shutil.which(sysconfig.get_config_var("CC").split()[0] if sysconfig.get_config_var("CC")
                                   else "cc")) and (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file()
    if _CAN_BUILD:
        raise ImportError("a C compiler and the Python headers are here, but anning.ml._ngrams was not built: "
                          "reinstall (pip install -e .) and read the build output") from None
    pytest.skip("no C compiler or Python headers: the classifier's C extension is not built", allow_module_level=True)

# digits of other scripts (٣, ३), an underscore, astral characters, full-width letters, Latin words
ODD = ["", " ", "_", "a_b", "٣٤ 三四 ३", "𠀀𠀁𠀂 emoji 😀😀", "0000", "OK ok Ok loan overdue", "ｐａｙ　ｎｏｗ",
       "张**您好" * 80, "逾期" * 300, "court court court summons"]


@pytest.fixture(scope="module")
def model(engine) -> KindModel:
    return engine.model


@pytest.fixture(scope="module")
def indexes(model):
    native = _NativeIndex.build(model)
    assert native is not None, "the C extension is not built (or ANNING_NATIVE=0)"
    return native, _ArrayIndex(model.vocab, model.classes)


def _texts() -> list[str]:
    return [normalize(row["text"]).text for row in read_corpus(shipped_corpus())] + ODD


def _flags_and_positions_agree(model: KindModel, text: str, prediction) -> None:
    python = model.flag_evidence(text, model.flags, 3)
    assert model.flag_evidence(text, model.flags, 3, prediction) == python
    prepared = prepare(text)
    for feature, spans in prediction.located.items():
        assert list(spans) == locate(prepared, feature)[:2], feature


def test_native_equals_numpy_on_the_corpus(model, indexes):
    native, arrays = indexes
    texts = _texts()
    prepared = [prepare(t) for t in texts]
    expected = arrays.predict(model, prepared, 5)
    assert native.predict(model, prepared, 5, False) == expected
    from_normalised = native.predict(model, texts, 5, True)  # the extension prepares them itself
    assert from_normalised == expected
    assert native.predict(model, texts, 0, True) == arrays.predict(model, prepared, 0)
    for text, prediction in zip(texts[::7], from_normalised[::7], strict=True):
        _flags_and_positions_agree(model, text, prediction)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("还款逾期催收征信法院起诉家人 abcxyz_01239٣*，。【】😀𠀀\u3000ＡＢ"),
                        max_size=60), min_size=1, max_size=5))
def test_native_equals_numpy_on_random_text(model, indexes, texts):
    native, arrays = indexes
    predictions = native.predict(model, texts, 5, True)
    assert predictions == arrays.predict(model, [prepare(t) for t in texts], 5)
    for text, prediction in zip(texts, predictions, strict=True):
        _flags_and_positions_agree(model, text, prediction)


def test_the_native_path_is_used_and_can_be_turned_off(model, engine):
    assert model.native
    texts = [normalize(t).text for t in ("您的借款已逾期，请今天还款", "今晚一起吃饭吗")]
    code = ("import json, sys; from anning.engine import Engine; e = Engine(); "
            "v = [e.analyze(t) for t in sys.argv[1:]] + e.analyze_batch([(t, None, None, 'x') for t in sys.argv[1:]]); "
            "print(json.dumps([e.model.native, [[x.kind, x.confidence, x.risk] for x in v]]))")
    off = subprocess.run([sys.executable, "-c", code, *texts], capture_output=True, text=True, check=True,
                         env={**os.environ, "ANNING_NATIVE": "0"})
    on = subprocess.run([sys.executable, "-c", code, *texts], capture_output=True, text=True, check=True)
    native_off, verdicts_off = json.loads(off.stdout)
    native_on, verdicts_on = json.loads(on.stdout)
    assert (native_off, native_on) == (False, True)
    assert verdicts_on == verdicts_off


def test_batch_verdicts_equal_with_and_without_the_extension(engine):
    """Whole verdicts (signals, spans, flag evidence) from analyze_batch: native against NumPy."""
    rows = read_corpus(shipped_corpus())[::5]
    requests = [(r["text"], None, None, str(i)) for i, r in enumerate(rows)]
    numpy_engine = Engine()
    numpy_engine.model._arrays = _ArrayIndex(numpy_engine.model.vocab, numpy_engine.model.classes)
    assert not numpy_engine.model.native
    native = [verdict_to_dict(v) for v in engine.analyze_batch(requests)]
    assert native == [verdict_to_dict(v) for v in numpy_engine.analyze_batch(requests)]
    assert any(s["detector"] == "model" and s["rule"] != "MODEL_KIND" for v in native for s in v["signals"])


def test_the_scorer_refuses_inconsistent_arrays(model, indexes):
    arrays = indexes[1]
    good = dict(keys=arrays.keys, ranks=arrays.ranks, idf=arrays.idf, weights=np.ascontiguousarray(arrays.weights.T),
                intercept=np.zeros(len(arrays.weights)), n_classes=len(model.classes), words=arrays.words,
                names=list(arrays.names), explainable=bytes(len(arrays.names)))
    _ngrams.Scorer(*good.values())
    for name, bad in (("keys", arrays.keys[::-1].copy()), ("idf", arrays.idf[:-1]), ("n_classes", 99),
                      ("names", list(arrays.names)[:-1]), ("explainable", b"")):
        with pytest.raises(ValueError):
            _ngrams.Scorer(*{**good, name: bad}.values())
    scorer = _ngrams.Scorer(*good.values())
    with pytest.raises(TypeError):
        scorer.read(b"bytes")
    with pytest.raises(IndexError):
        scorer.read("逾期").top(len(arrays.weights), 3, False)


def test_the_pure_python_index_agrees_with_the_extension(model, indexes):
    """With the extension, ``predict`` uses it too; the Aho-Corasick index it replaces (used without the
    extension) must still give the same predictions and flag evidence."""
    from anning.ml.model import _VocabIndex

    python = KindModel(dict(format=1, classes=model.classes, intercept=model.intercept, vocab=model.vocab,
                            temperature=model.temperature, flags=model.flags, flag_intercept=model.flag_intercept),
                       "copy")
    python._index = _VocabIndex(python.vocab, len(python.classes))
    texts = _texts()[::3]
    native = indexes[0].predict(model, texts, 5, True)
    assert [python._predict_indexed(t, 5) for t in texts] == native
    assert [model.predict(t) for t in texts] == native  # the shared model: its index is the extension
    for text, prediction in zip(texts[::5], native[::5], strict=True):
        assert python.flag_evidence(text, model.flags, 3) == model.flag_evidence(text, model.flags, 3, prediction)
