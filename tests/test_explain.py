"""``anning.explain``: the verdict dict, and the cached forms of the parts verdicts share."""

from __future__ import annotations

import json

import pytest

from anning import explain
from anning.explain import IdentityCache, part_json, shared_verdict_dict, verdict_to_dict

INSULT = "你这个老赖，再不还钱就去你单位闹，让你身败名裂"
MESSAGES = [
    ("您的借款已逾期3天，请今日17点前还款，否则将通知您的紧急联系人", "10690000123", "2026-11-20T23:15:00+08:00"),
    (INSULT, None, "2026-03-01T14:00"),
    (INSULT, None, "2024-03-01T14:00"),
    ("征 信 修 复，逾期记录可消除，不成功不收费，加微信zx8899", "13812345678", None),
    ("您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。", None, "2026-07-01T09:00"),
    ("", None, None),
]


@pytest.fixture(scope="module")
def verdicts(engine):
    return [engine.analyze(*m) for m in MESSAGES] + [engine.analyze(*m, lang="en") for m in MESSAGES]


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_shared_dict_equals_the_fresh_one(verdicts):
    for v in verdicts:
        assert shared_verdict_dict(v) == verdict_to_dict(v)
        assert _dumps(shared_verdict_dict(v)) == _dumps(verdict_to_dict(v))
        without = {key: value for key, value in verdict_to_dict(v).items() if key != "message"}
        assert _dumps(shared_verdict_dict(v, message=False)) == _dumps(without)


def test_shared_parts_are_cached_objects_with_their_json(engine, verdicts):
    for v in verdicts:
        d = shared_verdict_dict(v)
        again = shared_verdict_dict(engine.analyze(v.message.text, v.message.sender, v.message.received_at,
                                                   lang=v.lang))
        for key in explain.SHARED_PARTS:
            assert again[key] is d[key]
            assert part_json(d[key]) == _dumps(d[key])


def test_fresh_dict_shares_nothing(verdicts):
    v = verdicts[0]
    a, b = verdict_to_dict(v), verdict_to_dict(v)
    for key in explain.SHARED_PARTS:
        assert a[key] == b[key] and a[key] is not b[key]
        assert part_json(a[key]) is None
    a["violations"][0]["title"] = "changed"
    a["actions"][0]["channels"].append({})
    a["scenario"]["alternatives"].append("x")
    assert verdict_to_dict(v) == b
    assert shared_verdict_dict(v) == b


def test_part_json_of_other_objects_is_none():
    assert part_json([]) is None
    assert part_json({"id": "x"}) is None
    assert part_json("violations") is None


def test_clearing_the_shared_parts_keeps_them_consistent(verdicts):
    before = [shared_verdict_dict(v) for v in verdicts]
    explain._clear_shared()
    for v, old in zip(verdicts, before, strict=True):
        d = shared_verdict_dict(v)
        for key in explain.SHARED_PARTS:
            assert d[key] == old[key]
            assert part_json(d[key]) == _dumps(d[key])
            assert part_json(old[key]) is None or old[key] is d[key]


def test_identity_cache_builds_once_per_object_and_stays_bounded():
    calls: list[tuple] = []

    def build(source: tuple) -> int:
        calls.append(source)
        return len(calls)

    cache = IdentityCache(build, limit=3)
    a, b = tuple(["a", 1]), tuple(["a", 1])  # equal, not the same object
    assert cache(a) == cache(a) == 1
    assert cache(b) == 2  # by identity, not by value
    cache(("c",))
    cache(("d",))  # the limit empties the cache first
    assert len(cache._entries) == 1
    assert cache(a) == 5


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True, False], "b": {"c": "中文\n\"引号\"\t\\", "d": []}, "e": float("nan")},
    "纯文本", 3, 1.0e-7, None, [], {}, [{"x": float("inf")}, -0.0, 12345678901234567890],
])
def test_dumps_is_json_dumps(value):
    assert explain.dumps(value) == json.dumps(value, ensure_ascii=False)


def test_dumps_refuses_what_json_refuses():
    with pytest.raises(TypeError):
        explain.dumps({"a": object()})
    assert explain.dumps({"a": 1}) == '{"a": 1}'  # still usable after an error
