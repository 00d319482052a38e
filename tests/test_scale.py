"""Screening at scale without Spark: ``analyse_batch``, ``anning batch`` Parquet → Parquet in record
batches, and ``anning aggregate`` (real Parquet files, real DuckDB)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

COLLECTION = "您的借款已逾期3天，请尽快还款，否则我们将通知你的所有联系人"
THIRD_PARTY = "您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。"
SCAM = "【安稳借】您的借款已逾期，还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678"
PHISH = "【京东金条】您的账户存在逾期，请登录 jdjt-vip.xyz/pay 处理，否则将起诉"
AGENCY = "【花呗】王**，您的账户已移交华信资产管理有限公司，今晚安排人员上门走访，请立即还款"


def _rows(n: int = 40) -> dict[str, list]:
    """Mixed rows: kinds, night and day times, a timestamp column, missing ids and texts, a bad time."""
    texts = [COLLECTION, THIRD_PARTY, SCAM, PHISH, AGENCY]
    cols: dict[str, list] = {"id": [], "text": [], "sender": [], "received_at": []}
    for i in range(n):
        cols["id"].append(None if i % 7 == 3 else f"r{i}")
        cols["text"].append(None if i % 11 == 5 else texts[i % len(texts)])
        cols["sender"].append(None if i % 4 == 0 else f"1708888{i:04d}")
        at = f"2026-11-{1 + i % 20:02d}T{(i * 5) % 24:02d}:15:00+08:00"
        cols["received_at"].append("not a time" if i == 9 else at)
    return cols


@pytest.fixture(scope="module")
def verdict_file(tmp_path_factory, cli) -> Path:
    d = tmp_path_factory.mktemp("scale")
    src, dst = d / "in.parquet", d / "verdicts.parquet"
    pq.write_table(pa.table(_rows(), schema=pa.schema([(c, pa.string()) for c in _rows()])), src)
    proc = cli("batch", str(src), str(dst), "--no-progress", "--jobs", "1", "--no-personal")
    assert proc.returncode == 0, proc.stderr
    return dst


def test_analyse_batch_schema_and_rows(engine):
    from anning.scale.arrow import SCHEMA_METADATA_KEY, VERDICT_COLUMNS, VERDICT_SCHEMA_VERSION, analyse_batch

    cols = _rows(12)
    times = [datetime(2026, 11, 20, 15, 30, tzinfo=UTC) if i % 2 else None for i in range(12)]  # 23:30 China
    batch = pa.RecordBatch.from_pydict({**cols, "received_at": pa.array(times, pa.timestamp("us", tz="UTC"))})
    out = analyse_batch(batch, engine, row_offset=100)
    assert out.num_rows == 12
    assert out.schema.names == [*VERDICT_COLUMNS, "text", "sender", "received_at"]
    assert out.schema.metadata[SCHEMA_METADATA_KEY] == VERDICT_SCHEMA_VERSION.encode()
    assert out.schema.field("received_at").type == pa.timestamp("us", tz="UTC")  # kept columns unchanged
    assert out.schema.field("signals").type.value_type.names[:3] == ["rule", "detector", "weight"]
    rows = out.to_pylist()
    assert [r["id"] for r in rows][:4] == ["r0", "r1", "r2", "104"]  # no id: row number after the offset
    assert rows[5]["error"] == "missing 'text' field" and rows[5]["kind"] is None and rows[5]["flags"] is None
    night = rows[1]
    assert night["local_hour"] == 23 and night["night"] is True and night["local_date"] == date(2026, 11, 20)
    assert night["local_weekday"] == 5 and "night_contact" in night["flags"]
    assert rows[0]["local_hour"] is None and rows[0]["night"] is None
    for r in rows:
        for s in r["signals"] or []:
            if s["start"] is not None:
                assert r["text"][s["start"]:s["end"]] == s["evidence"]
    scam = rows[2]
    assert scam["kind"] == "fake_collection" and scam["payment_accounts"] == ["6222020112345678"]
    assert scam["platform"] == "安稳借" and scam["scenario_id"] == "scam"
    assert json.loads(scam["entities"])["accounts"][0]["type"] == "account_number"
    assert scam["violations"] and all(v["id"] and v["title"] and v["binding_level"] for v in scam["violations"])
    assert rows[3]["url_domains"] == ["jdjt-vip.xyz"]
    assert rows[4]["agency"] == "华信资产管理有限公司" and rows[4]["platform"] == "花呗"


def test_analyse_batch_matches_the_json_contract(engine):
    from anning.explain import verdict_to_dict
    from anning.scale.arrow import analyse_batch

    batch = pa.RecordBatch.from_pydict({"text": [SCAM], "sender": ["17088889999"],
                                        "received_at": ["2026-11-20T23:15"]})
    row = analyse_batch(batch, engine).to_pylist()[0]
    ref = verdict_to_dict(engine.analyze(SCAM, "17088889999", "2026-11-20T23:15", message_id="1"))
    assert row["id"] == "1"
    for key in ("kind", "confidence", "risk", "risk_level", "flags", "decided_by"):
        assert row[key] == ref[key], key
    assert json.loads(row["entities"]) == ref["entities"]
    assert json.loads(row["actions"]) == ref["actions"]
    assert [s["rule"] for s in row["signals"]] == [s["rule"] for s in ref["signals"]]
    assert [v["id"] for v in row["violations"]] == [v["id"] for v in ref["violations"]]


def test_analyse_batch_without_text_column_and_non_string_text(engine):
    from anning.scale.arrow import analyse_batch

    no_text = analyse_batch(pa.RecordBatch.from_pydict({"id": ["a", None]}), engine).to_pylist()
    assert [(r["id"], r["error"]) for r in no_text] == [("a", "missing 'text' column"), ("2", "missing 'text' column")]
    ints = analyse_batch(pa.RecordBatch.from_pydict({"text": [1, None]}), engine).to_pylist()
    assert ints[0]["error"] == "'text' must be a string, got int" and ints[1]["error"] == "missing 'text' field"
    with pytest.raises(ValueError, match="kind"):
        analyse_batch(pa.RecordBatch.from_pydict({"text": ["x"], "kind": ["y"]}), engine, keep=["kind"])


def test_parquet_batch_jobs_1_and_2_identical_and_streamed(cli, tmp_path, monkeypatch):
    """Several record batches and row groups; two processes give byte-identical rows in input order."""
    cols = _rows(700)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table(cols), src, row_group_size=300)
    outs = {}
    for jobs in ("1", "2"):
        dst = tmp_path / f"out{jobs}.parquet"
        proc = cli("batch", str(src), str(dst), "--no-progress", "--jobs", jobs, "--no-personal")
        assert proc.returncode == 0, proc.stderr
        assert "700 rows" in proc.stderr and "with errors" in proc.stderr
        outs[jobs] = pq.read_table(dst)
    assert outs["1"].equals(outs["2"])
    table = outs["1"]
    assert pq.ParquetFile(tmp_path / "out1.parquet").metadata.num_row_groups == 1  # 700 < 4096 rows a group
    ids = table.column("id").to_pylist()
    assert ids[:4] == ["r0", "r1", "r2", "4"] and ids[699] == "r699" and ids[696] == "697"  # numbers across batches
    assert table.column("text").to_pylist() == cols["text"]
    errors = table.column("error").to_pylist()
    assert sum(e is not None for e in errors) == sum(t is None for t in cols["text"]) + 1  # + the bad time
    assert "not a time" in errors[9]


def test_jsonl_and_parquet_input_give_the_same_parquet_rows(cli, tmp_path):
    cols = _rows(30)
    pq_src, jl_src = tmp_path / "in.parquet", tmp_path / "in.jsonl"
    pq.write_table(pa.table(cols), pq_src)
    with jl_src.open("w", encoding="utf-8") as fh:
        for i in range(30):
            fh.write(json.dumps({k: v[i] for k, v in cols.items()}, ensure_ascii=False) + "\n")
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for src, dst in ((pq_src, a), (jl_src, b)):
        assert cli("batch", str(src), str(dst), "--no-progress", "--jobs", "1").returncode == 0
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.schema.equals(tb.schema)
    assert ta.to_pylist() == tb.to_pylist()


# -- anning aggregate ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def aggregated(verdict_file, cli) -> Path:
    out = verdict_file.parent / "agg"
    proc = cli("aggregate", str(verdict_file), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_aggregate_tables_count_what_the_verdicts_say(aggregated, verdict_file):
    rows = pq.read_table(verdict_file).to_pylist()
    ok = [r for r in rows if r["error"] is None]
    summary = json.loads((aggregated / "summary.json").read_text(encoding="utf-8"))
    assert summary["messages"] == len(rows) and summary["errors"] == len(rows) - len(ok)
    kinds = Counter(r["kind"] for r in ok)
    assert {r["kind"]: int(r["messages"]) for r in _csv(aggregated / "by_kind.csv")} == dict(kinds)
    collection = [r for r in ok if r["kind"] in ("collection_notice", "third_party_contact")]
    assert summary["third_party_share"] == round(kinds["third_party_contact"] / len(collection), 4)
    assert summary["night_contact"] == sum("night_contact" in r["flags"] for r in ok)
    hours = {int(r["hour"]): int(r["messages"]) for r in _csv(aggregated / "by_hour.csv")}
    assert hours == dict(Counter(r["local_hour"] for r in ok if r["local_hour"] is not None))
    platforms = {r["platform"]: r for r in pq.read_table(aggregated / "by_platform.parquet").to_pylist()}
    assert platforms["花呗"]["messages"] == sum(r["platform"] == "花呗" for r in ok)
    agencies = _csv(aggregated / "by_agency.csv")
    assert agencies[0]["agency"] == "华信资产管理有限公司"
    clusters = {(r["key_type"], r["key"]): r for r in _csv(aggregated / "scam_clusters.csv")}
    assert int(clusters[("payment_account", "6222020112345678")]["senders"]) >= 2
    assert ("url_domain", "jdjt-vip.xyz") in clusters
    top = pq.read_table(aggregated / "top_violating_platforms.parquet").to_pylist()
    assert top and all(t["example_text"] and t["violating"] > 0 for t in top)
    for name in ("by_sender", "by_url_domain", "by_day", "by_flag", "violations"):
        assert (aggregated / f"{name}.csv").is_file() and (aggregated / f"{name}.parquet").is_file()


def test_aggregate_report_is_self_contained_and_escaped(cli, tmp_path, engine):
    from anning.scale.arrow import analyse_batch

    evil = "【花呗】<script>alert(1)</script>王**欠款逾期，已安排上门，通知你的家人"
    batch = pa.RecordBatch.from_pydict({"id": ["x1", "x2"], "text": [evil, evil], "sender": ["95188", "95189"],
                                        "received_at": ["2026-11-20T23:00", "2026-11-21T09:00"]})
    src = tmp_path / "v.parquet"
    pq.write_table(pa.Table.from_batches([analyse_batch(batch, engine)]), src)
    for lang, title in (("zh", "催收短信筛查汇总报告"), ("en", "Collection SMS screening report")):
        out = tmp_path / lang
        assert cli("aggregate", str(src), "--out", str(out), "--lang", lang).returncode == 0
        html = (out / "report.html").read_text(encoding="utf-8")
        assert title in html and "<svg" in html and "Noto Sans CJK SC" in html
        assert "<script" not in html and "&lt;script&gt;" in html
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing loaded from outside


def test_aggregate_refuses_what_is_not_a_verdict_file(cli, tmp_path):
    src = tmp_path / "messages.parquet"
    pq.write_table(pa.table({"text": ["你好"]}), src)
    proc = cli("aggregate", str(src), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "verdict" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("aggregate", str(tmp_path / "absent.parquet"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def _reference_record(rid, verdict) -> dict:
    """``record`` as it was first written, from ``verdict_to_dict`` (the entity columns come from the same
    ``entity_columns``, tested through ``anning aggregate``): the fast version must give the same."""
    from anning.explain import verdict_to_dict
    from anning.scale.arrow import entity_columns

    d = verdict_to_dict(verdict)
    ent = d["entities"]
    at = verdict.message.received_at
    dumps = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    return {
        "id": str(rid), "kind": d["kind"], "confidence": d["confidence"], "risk": d["risk"],
        "risk_level": d["risk_level"], "flags": d["flags"], "decided_by": d["decided_by"],
        "scenario_id": d["scenario"]["id"], **entity_columns(verdict.message.text, ent),
        "sender_type": (ent.get("sender") or {}).get("type"),
        "night": None if at is None else (at.hour >= 22 or at.hour < 8),
        "local_date": None if at is None else at.date(), "local_hour": None if at is None else at.hour,
        "local_weekday": None if at is None else at.isoweekday(),
        "signals": [{"rule": s["rule"], "detector": s["detector"], "weight": s["weight"], "risk": s["risk"],
                     "start": s["span"][0] if s["span"] else None, "end": s["span"][1] if s["span"] else None,
                     "evidence": s["evidence"], "flags": s["flags"]} for s in d["signals"]],
        "violations": [{"id": v["id"], "title": v["title"], "binding_level": v["binding_level"],
                        "behaviour": v["behaviour"], "confidence": v["confidence"]} for v in d["violations"]],
        "entities": dumps(ent), "scenario": dumps(d["scenario"]), "actions": dumps(d["actions"]),
        "flag_evidence": dumps(d["flag_evidence"]), "error": None, "engine_version": d["engine_version"],
        "knowledge_version": d["knowledge_version"],
    }


def test_record_is_built_like_the_verdict_dict(engine):
    from anning.scale.arrow import record

    cols = _rows(60)
    for i, (text, sender, at) in enumerate(zip(cols["text"], cols["sender"], cols["received_at"], strict=True)):
        if text is None or at == "not a time":
            continue
        for lang in ("zh", "en"):
            v = engine.analyze(text, sender, at, lang=lang)
            got = record(f"r{i}", v, None)
            assert list(got) == list(_reference_record(f"r{i}", v))
            assert got == _reference_record(f"r{i}", v)
