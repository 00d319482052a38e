"""The on-disk cache of the knowledge pack and model: same inputs → same object, any change → rebuild."""

from __future__ import annotations

import os
import subprocess
import sys

from anning.cache import cached, key_of


def test_cache_hit_miss_and_corruption(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNING_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"value": len(calls)}

    assert cached("thing", [b"a"], build) == {"value": 1}
    assert cached("thing", [b"a"], build) == {"value": 1}  # served from disk
    assert len(calls) == 1
    assert cached("thing", [b"b"], build) == {"value": 2}  # other inputs, other entry
    for f in tmp_path.glob("thing-*.pickle"):
        f.write_bytes(b"garbage")
    assert cached("thing", [b"a"], build) == {"value": 3}  # unreadable entry: rebuilt
    monkeypatch.setenv("ANNING_CACHE", "off")
    assert cached("thing", [b"a"], build) == {"value": 4}
    assert key_of([b"ab", b"c"]) != key_of([b"a", b"bc"])


def test_cached_knowledge_and_model_give_the_same_verdicts(tmp_path):
    """Two fresh processes, the second served from the cache, analyse a message identically."""
    env = {**os.environ, "ANNING_CACHE": str(tmp_path)}
    code = ("import json;from anning.engine import Engine;from anning.explain import verdict_to_dict;"
            "v=verdict_to_dict(Engine().analyze('您的借款已逾期3天，请今日17点前还款','10690000123'));"
            "v.pop('message');print(json.dumps(v,ensure_ascii=False,sort_keys=True))")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert list(tmp_path.glob("knowledge-*.pickle")) and list(tmp_path.glob("model-*.pickle"))
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stdout == second.stdout and '"kind": "collection_notice"' in first.stdout
