"""The Spark backend in local[2] mode: row-for-row the same verdicts as ``anning batch``, and the same
aggregation tables as DuckDB. One SparkSession for the module (JVM start-up dominates the time)."""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("pyspark")
pytest.importorskip("duckdb")
if not shutil.which("java"):  # pragma: no cover
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

TEXTS = [
    "您的借款已逾期3天，请尽快还款，否则我们将通知你的所有联系人",
    "您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。",
    "【安稳借】您的借款已逾期，还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678",
    "【京东金条】您的账户存在逾期，请登录 jdjt-vip.xyz/pay 处理，否则将起诉",
    "【花呗】王**，您的账户已移交华信资产管理有限公司，今晚安排人员上门走访，请立即还款",
    "征信修复，逾期记录可消除，不成功不收费，加微信zx8899",
    "【顺丰速运】您的快件已到达驿站，取件码 6-2-1234。",
    "",
]
N = 160


def _input() -> pa.Table:
    ids, texts, senders, times = [], [], [], []
    for i in range(N):
        ids.append(None if i % 9 == 4 else f"s{i:03d}")
        texts.append(None if i % 13 == 6 else TEXTS[i % len(TEXTS)])
        senders.append(None if i % 5 == 0 else f"1708888{i % 17:04d}")
        times.append(None if i % 6 == 1 else ("bad" if i == 10 else f"2026-11-{1 + i % 25:02d}T{i % 24:02d}:05:00Z"))
    regions = [None if i % 7 == 3 else ("浙江", "广东", "江苏")[i % 3] for i in range(N)]
    return pa.table({"id": ids, "text": texts, "sender": senders, "received_at": times, "region": regions})


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from anning.scale.spark import session

    s = session("local[2]", app_name="anning-tests", shuffle_partitions=2,
                **{"spark.sql.adaptive.enabled": "true", "spark.driver.memory": "1g"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory, cli) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("spark")
    src = d / "in.parquet"
    pq.write_table(_input(), src, row_group_size=64)
    ints = d / "ints.parquet"
    pq.write_table(pa.table({"id": ["i1", "i2"], "text": [123, None]}), ints)
    out = {"src": src, "ints": ints}
    for name, path, keep in (("batch", src, ["--keep", "region"]), ("batch_ints", ints, [])):
        dst = d / f"{name}.parquet"
        proc = cli("batch", str(path), str(dst), "--no-progress", "--jobs", "1", "--no-personal", *keep)
        assert proc.returncode == 0, proc.stderr
        out[name] = dst
    return out


def _by_id(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: r["id"])


def _same_rows(spark_table: pa.Table, batch_table: pa.Table) -> None:
    assert spark_table.column_names == batch_table.column_names
    spark_rows = _by_id(spark_table.cast(batch_table.schema.remove_metadata()))
    batch_rows = _by_id(batch_table)
    assert len(spark_rows) == len(batch_rows)
    for got, want in zip(spark_rows, batch_rows, strict=True):
        assert got == want, (got["id"], {k for k in got if got[k] != want[k]})


def test_spark_analyze_matches_anning_batch_row_for_row(spark, files, tmp_path):
    from anning.scale.spark import analyze, with_row_numbers

    df = with_row_numbers(spark.read.parquet(str(files["src"]))).repartition(2)  # numbers first, then shuffle
    verdicts = analyze(df, keep=["text", "sender", "received_at", "region"])
    assert verdicts.rdd.getNumPartitions() == 2
    out = tmp_path / "spark.parquet"
    verdicts.write.parquet(str(out))
    got = pq.read_table(out)
    want = pq.read_table(files["batch"])
    _same_rows(got, want)
    rows = want.to_pylist()
    assert sum(r["error"] is not None for r in rows) == sum(t is None for t in _input().column("text").to_pylist()) + 1
    assert {"5", "14"} <= {r["id"] for r in rows}  # rows without an id carry their row number


def test_spark_non_string_text_and_default_numbering(spark, files):
    from anning.scale.spark import analyze

    got = analyze(spark.read.parquet(str(files["ints"]))).toArrow()  # numbering computed inside analyze
    _same_rows(got, pq.read_table(files["batch_ints"]))
    assert got.column("error").to_pylist()[0] == "'text' must be a string, got int"


def test_spark_job_entry_and_aggregate_match_duckdb(spark, files, tmp_path):
    from anning.scale import spark_job
    from anning.scale.aggregate import duckdb_tables
    from anning.scale.spark import aggregate

    out = tmp_path / "job.parquet"
    assert spark_job.main([str(files["src"]), str(out), "--master", "local[2]", "--partitions", "2",
                           "--keep", "region"]) == 0
    assert spark.sparkContext._jsc is not None  # the shared session is still alive
    assert len(list(out.glob("part-*.parquet"))) == 2
    _same_rows(pq.read_table(out), pq.read_table(files["batch"]))

    ours = duckdb_tables(files["batch"])
    theirs = aggregate(spark.read.parquet(str(out)))
    assert set(ours) == set(theirs)
    for name, table in ours.items():
        expected = table.to_pylist()
        got = theirs[name].toArrow().to_pylist()
        assert len(got) == len(expected), name
        for g, e in zip(got, expected, strict=True):
            assert list(g) == list(e), name
            for key in e:
                if isinstance(e[key], float) or isinstance(g[key], float):
                    same = (e[key] is None and g[key] is None) or (
                        e[key] is not None and g[key] is not None
                        and ((math.isnan(e[key]) and math.isnan(g[key])) or abs(e[key] - g[key]) < 1e-9))
                    assert same, (name, key, g[key], e[key])
                else:
                    assert g[key] == e[key], (name, key, g[key], e[key])
    summary = ours["summary"].to_pylist()[0]
    assert summary["messages"] == N and summary["third_party_contact"] > 0
