"""The learned kind classifier: pure-Python inference matches scikit-learn, training is reproducible,
the model is explained like any other signal, and it cannot silently override strong rule evidence."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import json
import math
from pathlib import Path

import pytest

from anning.corpus import shipped_corpus
from anning.engine import Engine, load_model
from anning.explain import verdict_to_dict
from anning.knowledge import Knowledge, load_knowledge
from anning.ml.features import features, locate, prepare
from anning.ml.model import KindModel, ModelError
from anning.text.normalize import normalize

sklearn = pytest.importorskip("sklearn")
from anning.ml import train as trainer  # noqa: E402  (needs scikit-learn)

SMALL = 160  # rows used for the training tests: enough for 5 folds of every kind, fast


@pytest.fixture(scope="module")
def small_rows() -> list[dict]:
    rows = trainer.read_corpus(shipped_corpus())
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    per_kind = SMALL // len(by_kind)
    return [r for kind in sorted(by_kind) for r in by_kind[kind][:per_kind]]


def test_features_ignore_masks_and_fold_digits():
    f = features(normalize("张**欠款1570元").text)
    assert "**" not in f and "*" not in f
    assert "000" in f and "1570" not in "".join(f)
    assert f["欠款"] == 1
    assert "w:overdue" in features("your loan is overdue")


def test_locate_finds_feature_positions():
    text = normalize("请转账至个人账户，个人账户如下").text
    spans = locate(prepare(text), "个人")
    assert [text[a:b] for a, b in spans] == ["个人", "个人"]


def test_training_is_reproducible(small_rows, tmp_path):
    a = trainer.train(small_rows, seed=3, trained_on="test")
    b = trainer.train(small_rows, seed=3, trained_on="test")
    pa, pb = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    trainer.dump(a, pa)
    trainer.dump(b, pb)
    assert pa.read_bytes() == pb.read_bytes()
    c = trainer.train(small_rows, seed=4, trained_on="test")
    trainer.dump(c, tmp_path / "c.json.gz")
    assert (tmp_path / "c.json.gz").read_bytes() != pa.read_bytes()  # the seed changes the folds


def test_pure_python_inference_matches_sklearn(small_rows):
    """The shipped inference reimplements tf-idf + logistic regression; it must agree with sklearn."""
    texts = [normalize(r["text"]).text for r in small_rows]
    labels = [r["kind"] for r in small_rows]
    vec, clf = trainer._fit(texts, labels, seed=0, c=trainer.DEFAULT_C)
    artefact = trainer.train(small_rows, seed=0)
    model = KindModel(artefact, "memory")
    probe = ["您的借款已逾期5天，请今日还款", "你朋友王**欠款不还，请转告他", "征信修复，加微信", "今晚吃饭吗"]
    dec = clf.decision_function(vec.transform([normalize(t).text for t in probe]))
    for text, row in zip(probe, dec, strict=True):
        logits = {cls: float(v) for cls, v in zip(clf.classes_, row, strict=True)}
        top = max(logits.values())
        exps = {k: math.exp((v - top) / model.temperature) for k, v in logits.items()}
        expected = {k: e / sum(exps.values()) for k, e in exps.items()}
        got = model.predict(normalize(text).text, explain=0).probabilities
        for k in expected:
            assert got[k] == pytest.approx(expected[k], abs=2e-3), (text, k)


def test_calibration_is_reported_and_improves(small_rows):
    m = trainer.train(small_rows, seed=0)["metrics"]
    assert 0 <= m["ece_calibrated"] <= m["ece_uncalibrated"]
    assert len(m["macro_f1_per_fold"]) == trainer.FOLDS
    assert 0 < m["temperature"] <= 5


def test_shipped_model_is_small_valid_and_documented():
    engine = Engine()
    assert engine.model is not None, "the package ships a trained model"
    path = Path(engine.model.source)
    assert path.stat().st_size <= 10 * 1024 * 1024
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert set(data["classes"]) == set(engine.k.kind_labels)
    assert data["trained_on"]["rows"] > 500 and data["metrics"]["ece_calibrated"] < 0.05
    card = Path(__file__).resolve().parents[1] / "docs" / "model-card.md"
    assert card.is_file() and data["name"] in card.read_text(encoding="utf-8")


def test_flag_models_match_sklearn(small_rows):
    """Each flag's binary model, exported into the same artefact, gives scikit-learn's probability."""
    texts = [normalize(r["text"]).text for r in small_rows]
    flags, has = trainer._flag_sets(small_rows)
    assert flags, "the small corpus has flags to learn"
    vec = trainer._vectorizer()
    x = vec.fit_transform(texts)
    model = KindModel(trainer.train(small_rows, seed=0), "memory")
    assert model.flags == flags and "night_contact" not in flags
    probe = ["再不还钱就去你单位找你领导", "你的欠款已起诉至法院", "今晚吃饭吗", "老赖，还钱！"]
    x_probe = vec.transform([normalize(t).text for t in probe])
    for f, flag in enumerate(flags):
        expected = trainer._fit_flag(x, has[f], 0, trainer.DEFAULT_C).predict_proba(x_probe)[:, 1]
        for text, want in zip(probe, expected, strict=True):
            got = model.predict(normalize(text).text, explain=0).flag_probabilities[flag]
            assert got == pytest.approx(float(want), abs=2e-3), (text, flag)
            assert model.predict_reference(normalize(text).text, explain=0).flag_probabilities[flag] == got


def _flag_sure_model(tmp_path: Path, flag: str) -> str:
    """A copy of the shipped model whose ``flag`` model says yes to every message."""
    data = json.loads(gzip.decompress(Path(Engine().model.source).read_bytes()))
    data["flag_intercept"][data["flags"].index(flag)] = 50.0
    path = tmp_path / f"sure-{flag}.json.gz"
    trainer.dump(data, path)
    return str(path)


def test_model_flags_count_only_for_collection_kinds_and_are_explained(tmp_path):
    engine = Engine(model=_flag_sure_model(tmp_path, "threat"))
    v = engine.analyze("【安心借】刘**，您的借款已逾期5天，请今日登录APP还款。")
    assert v.kind == "collection_notice" and "threat" in v.flags
    hit = next(h for h in v.hits if h.signal.rule == "MODEL_THREAT")
    assert hit.signal.detail["flag"] == "threat" and hit.signal.detail["probability"] > 0.99
    assert hit.weight == 0, "a flag model votes for no kind"
    # an ordinary message gets no flag from the model, however sure it is
    for text in ("您的验证码是 482913，5分钟内有效。", "明天下午三点开会，别迟到"):
        v = engine.analyze(text)
        assert v.kind == "other" and "threat" not in v.flags, (text, v.flags)
    # and the batch path gives the same flags
    batch = engine.analyze_batch([("【安心借】刘**，您的借款已逾期5天，请今日登录APP还款。", None, None, "1")])
    assert "threat" in batch[0].flags


def test_model_signal_is_explained_with_spans():
    text = "您好，您的朋友张**在我司的借款已经逾期两个月了，麻烦您转告他尽快处理。"
    d = verdict_to_dict(Engine().analyze(text))
    sig = next(s for s in d["signals"] if s["rule"] == "MODEL_KIND")
    assert sig["detector"] == "model" and sig["evidence"]
    assert sig["spans"], "the n-grams behind the model's decision point into the message"
    for a, b in sig["spans"]:
        assert text[a:b]
    probs = next(h for h in Engine().analyze(text).hits if h.signal.rule == "MODEL_KIND").signal.detail
    assert sum(probs["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


def _certain_model(tmp_path: Path, kind: str) -> str:
    """A copy of the shipped model that is certain every message is ``kind``."""
    liar = json.loads(gzip.decompress(Path(Engine().model.source).read_bytes()))
    target = liar["classes"].index(kind)
    liar["intercept"] = [50.0 if i == target else -50.0 for i in range(len(liar["classes"]))]
    path = tmp_path / f"certain-{kind}.json.gz"
    trainer.dump(liar, path)
    return str(path)


def test_model_cannot_veto_a_rule_decided_scam(tmp_path):
    """A model that is sure a message is ordinary cannot turn an explicit pay-to-personal-account
    demand into anything but a scam."""
    text = "【安稳借】您的借款已逾期，还款通道已变更，请转账至以下个人账户 6217 00** **** 4410（陈**）"
    v = Engine(model=_certain_model(tmp_path, "other")).analyze(text)
    assert v.kind == "fake_collection"
    assert v.decided_by.startswith("rules")
    assert "payment_redirect" in v.flags


def test_a_sure_model_tells_the_two_scams_apart_but_never_clears_one(tmp_path):
    """scoring.yaml ``protected_swap_from``: between a scam posing as the lender and a paid relief offer
    (both protected kinds) a model at least that sure chooses; out of them it never moves a verdict."""
    scam = "【安稳借】您的借款已逾期，还款通道已变更，请转账至以下个人账户 6217 00** **** 4410（陈**）"
    relief = "征信花了？我们有内部渠道帮你删除逾期记录，三天见效，收费两千，加微信 zx-help88"
    rules_only = Engine(model=None)
    assert rules_only.analyze(scam).kind == "fake_collection"
    assert rules_only.analyze(relief).kind == "debt_relief_scam"
    v = Engine(model=_certain_model(tmp_path, "debt_relief_scam")).analyze(scam)
    assert (v.kind, v.decided_by) == ("debt_relief_scam", "model") and "payment_redirect" in v.flags
    v = Engine(model=_certain_model(tmp_path, "fake_collection")).analyze(relief)
    assert (v.kind, v.decided_by) == ("fake_collection", "model")
    for kind in ("other", "collection_notice"):
        assert Engine(model=_certain_model(tmp_path, kind)).analyze(relief).kind == "debt_relief_scam", kind
    # the shipped model: a relief promise that asks for the code just sent is a scam taking codes
    text = "把刚收到的验证码发给我，我马上帮你撤销逾期记录"
    assert rules_only.analyze(text).kind == "debt_relief_scam"
    assert Engine().analyze(text).kind == "fake_collection"


def _with_model_settings(**settings) -> Knowledge:
    """The shipped knowledge with some ``scoring.yaml model`` settings changed (a copy)."""
    k = load_knowledge()
    scoring = copy.deepcopy(k.scoring)
    scoring["model"].update(settings)
    return dataclasses.replace(k, scoring=scoring)


def test_model_alone_raises_a_scam_only_where_a_rule_sees_its_lever(tmp_path):
    """``decides_alone_requires.fake_collection``: a model sure of a scam posing as a collector (but less
    than ``decides_alone_certain_from``, switched off here) decides alone only where a rule sees what such
    a scam pulls on (a debt, a deadline, legal pressure, a payment demand, a link); a parcel notice, an
    advert or a greeting stays ordinary."""
    engine = Engine(_with_model_settings(decides_alone_certain_from={}),
                    model=_certain_model(tmp_path, "fake_collection"))
    levers = engine.k.scoring["model"]["decides_alone_requires"]["fake_collection"]
    assert "g:debt_context" in levers and "URL_LINK" in levers
    for text in ("您的快递已到驿站，请凭取件码 3-2-118 领取。", "今晚一起吃饭吗", "你好，请问是张先生吗",
                 "尊敬的用户，请您在更换SIM卡前妥善处理原卡已开通的应用。"):
        assert engine.analyze(text).kind == "other", text
    for text in ("请于今晚20:00前在群内提交身份证照片，逾期视为放弃减免资格",  # a deadline
                 "您的账户存在风险，请点击 http://zl-jr.cc 核验"):  # a link
        rules_only = Engine(model=None).analyze(text)
        assert rules_only.kind == "other", text  # the rules alone see no scam here
        v = engine.analyze(text)
        assert (v.kind, v.decided_by) == ("fake_collection", "model"), text


def test_a_certain_model_decides_alone_and_the_shipped_one_is_never_that_sure_of_ordinary_messages(tmp_path):
    """``decides_alone_certain_from``: from this probability, in a text of at least
    ``decides_alone_certain_min_chars`` characters, the model decides a scam posing as a collector or a
    third-party contact with no rule seeing its lever or the debt (rules that argue against the kind still
    block it). The shipped model is never that sure of the ordinary examples the lever rule is there for."""
    model = load_knowledge().scoring["model"]
    certain, min_chars = model["decides_alone_certain_from"], model["decides_alone_certain_min_chars"]
    assert all(0.9 <= p < 1.0 for p in certain.values()) and min_chars >= 10
    sure = Engine(model=_certain_model(tmp_path, "fake_collection"))
    v = sure.analyze("小周在吗？我是公司财务王姐，老板让我找你")  # no rule sees a lever here
    assert (v.kind, v.decided_by) == ("fake_collection", "model")
    assert sure.analyze("小周在吗").kind == "other"  # too short to be sure of anything
    relay = Engine(model=_certain_model(tmp_path, "third_party_contact"))
    assert relay.analyze("老妹儿 你哥搁哪儿呢 打电话也不接 有急事找他").kind == "third_party_contact"
    for greeting in ("你好", "你好，请问是张先生吗"):  # the shipped model is 0.95-0.98 sure of these
        assert relay.analyze(greeting).kind == "other", greeting
    shipped = Engine()
    for text in ("您的快递已到驿站，请凭取件码 3-2-118 领取。", "今晚一起吃饭吗", "你好，请问是张先生吗",
                 "尊敬的用户，请您在更换SIM卡前妥善处理原卡已开通的应用。", "在吗", "晚点给你回电话"):
        v = shipped.analyze(text)
        assert v.kind == "other", (text, v.kind_scores)


def test_ordinary_is_not_a_confident_verdict_when_the_model_reads_a_scam(tmp_path):
    """scoring.yaml ``confidence.other_capped_by_model``: where no rule sees a lever, a model certain of a
    scam cannot make the message one, but the verdict "ordinary" then carries the lowest confidence."""
    text = "你好，请问是张先生吗"
    floor = Engine().k.scoring["confidence"]["min"]
    doubted = Engine(_with_model_settings(decides_alone_certain_from={}),
                     model=_certain_model(tmp_path, "fake_collection")).analyze(text)
    assert doubted.kind == "other" and doubted.confidence == floor
    agreed = Engine(model=_certain_model(tmp_path, "other")).analyze(text)
    assert agreed.kind == "other" and agreed.confidence > 0.8
    assert Engine(model=None).analyze(text).confidence == agreed.confidence


@pytest.mark.parametrize("kind", ["debt_relief_scam", "collection_notice"])
def test_a_very_sure_model_decides_alone(tmp_path, kind):
    """scoring.yaml ``decides_alone_from``: without rule evidence the model may choose these kinds only
    when it is at least that sure and the text is long enough to read (``decides_alone_min_chars``: the
    shipped model is 0.9 sure that a bare "是" answers a third-party contact); a scam posing as a collector or a
    third-party contact also needs a rule to see its lever or the debt (the model reads "你好，请问是张先生吗"
    as the latter)."""
    text = "您的快递已到驿站，请凭取件码 3-2-118 领取。"
    certain = Engine(model=_certain_model(tmp_path, kind))
    v = certain.analyze(text)
    assert (v.kind, v.decided_by) == (kind, "model")
    assert certain.analyze("是").kind == "other"  # one character: too little to decide alone
    engine = Engine(model=None)
    thresholds = engine.k.scoring["model"]["decides_alone_from"]
    assert thresholds["fake_collection"] >= 0.8  # and only with a lever (the test above)
    assert engine.k.scoring["model"]["decides_alone_min_chars"] >= 2
    shipped = Engine()
    for greeting in ("你好", "你好，在吗", "你好，请问是张先生吗", "在吗", "收到", "是", "我们能改", "好的谢谢",
                     "你好，我是小王", "请问你是哪位", "晚点给你回电话"):
        assert shipped.analyze(greeting).kind == "other", greeting
    no_evidence = dict.fromkeys(engine.k.kind_labels, 0.0)
    for p, allowed in ((thresholds[kind] - 0.02, False), (thresholds[kind], True)):
        probs = {**dict.fromkeys(engine.k.kind_labels, 0.0), kind: p, "other": 1.0 - p}
        assert (engine._model_votes(probs, no_evidence)[kind] > 0) is allowed, p


def test_a_blocked_debt_kind_hands_its_probability_to_its_sibling():
    """scoring.yaml ``model.blocked_mass_to``: the model reads a collector's message to the debtor as a
    third-party contact that no rule supports; that probability goes to the collection notice (which the
    rules support), not to every kind left, so "other" does not win on a small share of the model's belief."""
    engine = Engine(model=None)
    assert engine.k.scoring["model"]["blocked_mass_to"]["third_party_contact"] == "collection_notice"
    probs = {"third_party_contact": 0.58, "collection_notice": 0.04, "other": 0.23, "fake_collection": 0.08,
             "debt_relief_scam": 0.07}
    scores = {**dict.fromkeys(engine.k.kind_labels, 0.0), "collection_notice": 2.5}  # no rule for the others
    votes = engine._model_votes(probs, scores)
    assert votes["collection_notice"] > 1.5 and votes["other"] < 0
    assert votes["third_party_contact"] == votes["fake_collection"] == 0.0
    # with no rule for either debt kind, the blocked mass is spread over what is left, as before
    spread = engine._model_votes(probs, dict.fromkeys(engine.k.kind_labels, 0.0))
    assert spread["other"] > 3 and spread["collection_notice"] == 0.0


@pytest.mark.parametrize("kind", ["third_party_contact", "collection_notice"])
def test_a_sure_model_supplies_the_debt_context_but_never_the_wording(tmp_path, kind):
    """scoring.yaml ``model.supplies_context``: "帮忙转告许**回电" names no debt, so the relay rule (which
    needs debt context) stays silent on its own; a model sure the message is about a debt supplies that
    context and the rule counts what it sees. Without wording a rule knows, or when the model reads a
    scam, nothing changes."""
    text = "帮忙转告许**回电，谢谢"
    rules_only = Engine(model=None).analyze(text)
    assert rules_only.kind == "other" and not rules_only.hits
    engine = Engine(model=_certain_model(tmp_path, kind))
    v = engine.analyze(text)
    fired = [h.signal.rule for h in v.hits]
    assert "MODEL_DEBT_CONTEXT" in fired and "TP_RELAY_REQUEST" in fired
    relay = next(h for h in v.hits if h.signal.rule == "TP_RELAY_REQUEST").signal
    assert "帮忙转告" in [text[s.start:s.end] for s in relay.spans]
    assert v.kind != "other"
    if kind == "third_party_contact":
        assert (v.kind, v.decided_by) == ("third_party_contact", "rules")
    batch = engine.analyze_batch([(text, None, None, None)])[0]
    assert verdict_to_dict(batch) == verdict_to_dict(v)
    # no rule wording to count: the context is not kept (a greeting stays a greeting)
    plain = engine.analyze("今晚一起吃饭吗")
    assert not any(h.signal.rule == "MODEL_DEBT_CONTEXT" for h in plain.hits)
    # a model that reads a scam supplies nothing: it must not let the scam rules speak for it
    scam_reader = Engine(model=_certain_model(tmp_path, "fake_collection")).analyze(text)
    assert "TP_RELAY_REQUEST" not in [h.signal.rule for h in scam_reader.hits]


def test_a_third_party_reading_decides_alone_only_where_a_rule_sees_the_debt(tmp_path):
    """``decides_alone_requires``: a model certain of a third-party contact decides alone only in a text
    where a rule sees a debt, a collector at work (a collection rule or a threat), or someone being looked
    for through the reader (TP_SEEKS_PERSON: where they live, whether they are back, their new number,
    "找他有点事"); a greeting, or a person who wants the reader themself, stays ordinary. (Below
    ``decides_alone_certain_from``, switched off here: see the test above.)"""
    engine = Engine(_with_model_settings(decides_alone_certain_from={}),
                    model=_certain_model(tmp_path, "third_party_contact"))
    assert engine.k.scoring["model"]["decides_alone_requires"]["third_party_contact"] == [
        "DEBT_CONTEXT", "g:collection", "TP_SEEKS_PERSON", "g:threat"]
    threat = engine.analyze("他再不出面，我们只能去他单位了")
    assert (threat.kind, threat.decided_by) == ("third_party_contact", "model")
    assert any(engine.k.rules[h.signal.rule].group == "threat" for h in threat.hits)
    debt = engine.analyze("小军那笔网贷还没着落，见到他喊他回个电话")
    fired = [h.signal.rule for h in Engine(model=None).analyze(debt.message.text).hits]
    assert "DEBT_CONTEXT" in fired and not any(engine.k.rules[r].kinds for r in fired)  # context only, no vote
    assert (debt.kind, debt.decided_by) == ("third_party_contact", "model")
    for text in ("请问你是马**的房东吗 他这个月还在你那租房吗 我们找他有点事",
                 "老同学好久不见！你跟阿峰还有联系吗？他号码好像换了",
                 "阿姨，我找一下你们家小龙，他电话一直打不通"):
        assert Engine(model=None).analyze(text).kind == "other", text  # no rule sees a debt
        v = engine.analyze(text)
        assert (v.kind, v.decided_by) == ("third_party_contact", "model"), text
        assert any(h.signal.rule == "TP_SEEKS_PERSON" for h in v.hits), text
    for text in ("你好，请问是张先生吗", "小军还没着落，见到他喊他回个电话", "我找你有点事，方便回电吗",
                 "明天他回来吃饭", "你的电话打不通"):
        assert engine.analyze(text).kind == "other", text


def test_rules_only_and_model_differ_only_where_the_model_decides():
    with_model, rules_only = Engine(), Engine(model=None)
    assert rules_only.model is None
    for text in ["您的借款已逾期3天，请尽快还款", "今晚一起吃饭吗"]:
        a, b = with_model.analyze(text), rules_only.analyze(text)
        assert a.kind == b.kind
        assert b.decided_by == "rules"
        assert not any(h.signal.rule == "MODEL_KIND" for h in b.hits)


def test_bad_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(ModelError, match=r"bad\.json\.gz"):
        KindModel.load(bad)
    wrong = tmp_path / "wrong.json.gz"
    wrong.write_bytes(gzip.compress(json.dumps({"format": 99}).encode()))
    with pytest.raises(ModelError, match="format"):
        KindModel.load(wrong)
    assert load_model(None, Engine(model=None).k) is None


def test_shipped_model_is_exactly_what_anning_train_builds(tmp_path):
    """The committed artefact must be reproducible from the shipped corpus with the default seed."""
    rows = trainer.read_corpus(shipped_corpus())
    artefact = trainer.train(rows, seed=0, trained_on=", ".join(p.name for p in shipped_corpus()))
    out = tmp_path / "kind-model.json.gz"
    trainer.dump(artefact, out)
    shipped = Path(Engine().model.source)
    assert out.read_bytes() == shipped.read_bytes(), "run `anning train` and commit the new model"
