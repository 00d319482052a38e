"""Analysing many messages at once gives exactly what analysing them one by one gives: the vectorised
classifier equals the per-message one bit for bit, and ``Engine.analyze_batch`` equals ``analyze``."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from anning.corpus import shipped_corpus
from anning.engine import Engine
from anning.explain import verdict_to_dict
from anning.ml.model import KindModel
from anning.ml.train import read_corpus
from anning.text.normalize import normalize

REPO = Path(__file__).resolve().parents[1]


def _corpus_texts() -> list[str]:
    return [row["text"] for row in read_corpus(shipped_corpus())]


ODD = ["", " ", "\n\t", "a", "ab", "𠀀𠀁𠀂 emoji 😀😀", "0000", "OK ok Ok", "张**您好" * 80, "逾期" * 3]


def test_predict_many_equals_predict_on_the_corpus(engine):
    model: KindModel = engine.model
    texts = [normalize(t).text for t in _corpus_texts() + ODD]
    single = [model.predict(t, explain=5) for t in texts]
    for size in (1, 7, 512):
        many = [p for i in range(0, len(texts), size) for p in model.predict_many(texts[i:i + size], explain=5)]
        assert many == single
    assert model.predict_many(texts[:50], explain=0) == [model.predict(t, explain=0) for t in texts[:50]]
    assert model.predict_many([]) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("还款逾期催收征信张李 abcxyz01239*，。【】😀𠀀\u3000"), max_size=40),
                min_size=1, max_size=6))
def test_predict_many_equals_predict_on_random_text(engine, texts):
    model: KindModel = engine.model
    assert model.predict_many(texts) == [model.predict(t) for t in texts]


def test_first_prediction_equals_later_ones():
    """The one-off path (no index built) and the vectorised path agree too."""
    from anning.engine import load_model
    from anning.knowledge import load_knowledge

    path = load_model("auto", load_knowledge()).source
    texts = [normalize(t).text for t in _corpus_texts()[:40]]
    for text in texts:
        fresh = KindModel.load(path)
        assert fresh.predict(text) == fresh.predict_many([text])[0]


def test_analyze_batch_equals_analyze(engine):
    rows = []
    with (REPO / "src/anning/samples/messages.jsonl").open(encoding="utf-8") as fh:
        rows.extend(json.loads(line) for line in fh if line.strip())
    rows += [{"text": t, "sender": "10690000", "received_at": "2026-03-02T23:10:00"} for t in _corpus_texts()[::7]]
    requests = [(r["text"], r.get("sender"), r.get("received_at"), str(i)) for i, r in enumerate(rows)]
    batch = engine.analyze_batch(requests)
    for request, verdict in zip(requests, batch, strict=True):
        assert verdict_to_dict(verdict) == verdict_to_dict(engine.analyze(*request))
    rules_only = Engine(model=None)
    assert [verdict_to_dict(v) for v in rules_only.analyze_batch(requests[:30])] == \
        [verdict_to_dict(rules_only.analyze(*r)) for r in requests[:30]]


def test_analyze_batch_reports_a_bad_request_and_goes_on(engine):
    results = engine.analyze_batch([
        ("您的借款已逾期，请尽快还款。", None, None, "a"),
        ("时间不对", None, "not a time", "b"),
        (42, None, None, "c"),  # type: ignore[list-item] - a caller's mistake must not stop the batch
        ("【某某银行】验证码123456", "95588", None, "d"),
    ])
    assert results[0].kind != "other" and results[3].kind == "other"
    assert isinstance(results[1], ValueError)
    assert isinstance(results[2], TypeError)
    assert results[0].message.id == "a" and results[3].message.id == "d"
