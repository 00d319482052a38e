"""``anning batch``: JSONL / CSV / Parquet in and out, bad rows marked, order and count preserved."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

COLLECTION = "您的借款已逾期3天，请尽快还款，否则我们将通知你的所有联系人"
THIRD_PARTY = "您好，您的朋友赵**在我平台借款5000元已逾期30天，请转告他尽快还款。"
SCAM = "您的借款已逾期，还款通道已变更，请转账至以下个人账户：6222 0201 1234 5678"
RELIEF = "征 信 修 复，逾期记录可消除，不成功不收费，加微信zx8899"

# JSONL lines: (raw line, expected id, expects an error)
JSONL_LINES = [
    (json.dumps({"id": "a1", "text": COLLECTION, "sender": "95588",
                 "received_at": "2026-11-20T23:15:00+08:00"}, ensure_ascii=False), "a1", False),
    (json.dumps({"text": THIRD_PARTY}, ensure_ascii=False), 2, False),           # no id: row number echoed
    (json.dumps({"id": "a3", "sender": "95588"}), "a3", True),                 # no text
    (json.dumps({"id": "a4", "text": None}), "a4", True),                      # text null
    (json.dumps({"id": "a5", "text": 12345}), "a5", True),                     # numeric text
    ('{"id": "a6", "text": "unterminated', 6, True),                           # invalid JSON
    (json.dumps({"id": "a7", "text": "你好", "received_at": "not-a-time"}, ensure_ascii=False), "a7", True),
    (json.dumps({"id": 8, "text": SCAM, "sender": 13812345678}, ensure_ascii=False), 8, False),
    (json.dumps({"id": "a9", "text": RELIEF, "received_at": ""}, ensure_ascii=False), "a9", False),
    (json.dumps({"id": "a10", "text": ""}, ensure_ascii=False), "a10", False),  # empty text is a message
]


def _batch(cli, src: Path, dst: Path, *extra: str):
    return cli("batch", str(src), str(dst), "--no-progress", *extra)


def _ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _no_leftovers(directory: Path, name: str) -> None:
    assert not (directory / name).exists()
    assert not list(directory.glob(f".{name}*")), list(directory.iterdir())


@pytest.fixture
def jsonl_in(tmp_path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(line for line, _, _ in JSONL_LINES) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def jsonl_out(cli, jsonl_in, tmp_path) -> list[dict]:
    dst = tmp_path / "out.jsonl"
    _ok(_batch(cli, jsonl_in, dst, "--jobs", "1"))
    return _read_jsonl(dst)


def test_jsonl_to_jsonl(jsonl_out):
    assert len(jsonl_out) == len(JSONL_LINES)
    assert [r["id"] for r in jsonl_out] == [rid for _, rid, _ in JSONL_LINES]
    for row, (_, _rid, bad) in zip(jsonl_out, JSONL_LINES, strict=True):
        if bad:
            assert row.get("error"), row
            assert "kind" not in row
        else:
            assert "error" not in row, row
            assert row["kind"]
    by_id = {r["id"]: r for r in jsonl_out}
    assert by_id["a1"]["kind"] == "collection_notice"
    assert "night_contact" in by_id["a1"]["flags"] and "threat" in by_id["a1"]["flags"]
    assert by_id["a1"]["entities"]["sender"]["type"] == "service_95"
    assert by_id[2]["kind"] == "third_party_contact"
    assert by_id[8]["kind"] == "fake_collection"
    assert by_id[8]["entities"]["sender"]["type"] == "mobile"
    assert by_id["a9"]["kind"] == "debt_relief_scam"
    assert by_id["a10"]["kind"] == "other"
    for key in ("confidence", "risk", "risk_level", "signals", "violations", "scenario", "actions",
                "engine_version", "knowledge_version"):
        assert key in by_id["a1"]


def test_jsonl_error_messages_say_what_is_wrong(jsonl_out):
    by_id = {r["id"]: r for r in jsonl_out}
    assert "text" in by_id["a3"]["error"]
    assert "text" in by_id["a4"]["error"]
    assert "str" in by_id["a5"]["error"] or "text" in by_id["a5"]["error"]
    assert "JSON" in by_id[6]["error"]
    assert "not-a-time" in by_id["a7"]["error"] or "iso" in by_id["a7"]["error"].lower()


def test_jsonl_spans_index_the_input_text(jsonl_out):
    texts = {"a1": COLLECTION, 2: THIRD_PARTY, 8: SCAM, "a9": RELIEF}
    for row in jsonl_out:
        if row["id"] in texts:
            text = texts[row["id"]]
            for s in row["signals"]:
                if s["span"]:
                    assert text[s["span"][0]:s["span"][1]] == s["evidence"]


def test_batch_matches_single_analysis(jsonl_out, engine):
    from anning.explain import verdict_to_dict

    expected = verdict_to_dict(engine.analyze(COLLECTION, "95588", "2026-11-20T23:15:00+08:00"))
    got = next(r for r in jsonl_out if r["id"] == "a1")
    for key in ("kind", "flags", "risk", "confidence", "violations", "actions", "signals"):
        assert got[key] == expected[key], key


def test_jobs_one_and_two_are_identical(cli, jsonl_in, tmp_path):
    many = tmp_path / "many.jsonl"
    lines = jsonl_in.read_text(encoding="utf-8").splitlines()
    many.write_text("\n".join(lines * 60) + "\n", encoding="utf-8")  # 600 rows: several chunks
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    _ok(_batch(cli, many, one, "--jobs", "1"))
    _ok(_batch(cli, many, two, "--jobs", "2"))
    assert one.read_bytes() == two.read_bytes()
    rows = _read_jsonl(one)
    assert len(rows) == len(lines) * 60
    assert rows[len(lines) + 1]["id"] == len(lines) + 2  # row numbers continue across repeats


# -- CSV ---------------------------------------------------------------------------------------------
CSV_ROWS = [
    # id, text, sender, received_at ; expected error?
    (["c1", COLLECTION, "95588", "2026-11-20T23:15"], False),
    (["", THIRD_PARTY, "", ""], False),                      # no id → row number 2
    (["c3"], True),                                         # short row: no text at all
    (["c4", "12345", "", ""], False),                       # numeric-looking text is still text in CSV
    (["c5", "你好", "", "not-a-time"], True),
    (["c6", SCAM, "13812345678", ""], False),
]


def _write_csv(path: Path, rows, encoding="utf-8", header=("id", "text", "sender", "received_at")) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def test_csv_to_csv(cli, tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(src, [r for r, _ in CSV_ROWS])
    _ok(_batch(cli, src, dst, "--jobs", "1"))
    rows = _read_csv(dst)
    assert [r["id"] for r in rows] == ["c1", "2", "c3", "c4", "c5", "c6"]
    for row, (_, bad) in zip(rows, CSV_ROWS, strict=True):
        assert bool(row["error"]) is bad, row
    c1 = rows[0]
    assert c1["kind"] == "collection_notice"
    flags = c1["flags"].split(";")
    assert "night_contact" in flags and "threat" in flags
    assert ";" in c1["flags"]
    for col in ("signals", "entities", "violations", "scenario", "actions"):
        value = json.loads(c1[col])
        assert isinstance(value, list | dict), col
    assert json.loads(c1["entities"])["sender"]["type"] == "service_95"
    assert 0 <= float(c1["confidence"]) <= 1 and 0 <= int(c1["risk"]) <= 100
    assert rows[5]["kind"] == "fake_collection"
    assert rows[3]["kind"] == "other"
    for s in json.loads(c1["signals"]):
        if s["span"]:
            assert COLLECTION[s["span"][0]:s["span"][1]] == s["evidence"]


def test_csv_multiline_text_keeps_its_spans(cli, tmp_path):
    """SMS exports often hold line breaks inside a quoted CSV field; spans must index that exact text."""
    text = "【安心借】您的借款已逾期3天\n请今日18点前还款\r\n否则通知你的家人"
    src, dst = tmp_path / "in.csv", tmp_path / "out.jsonl"
    _write_csv(src, [["m1", text, "", ""], ["m2", "你好", "", ""]])
    _ok(_batch(cli, src, dst, "--jobs", "1"))
    rows = _read_jsonl(dst)
    assert [r["id"] for r in rows] == ["m1", "m2"]
    bad = [(s["rule"], s["span"], s["evidence"], text[s["span"][0]:s["span"][1]])
           for s in rows[0]["signals"] if s["span"] and text[s["span"][0]:s["span"][1]] != s["evidence"]]
    assert not bad, f"spans do not index the CSV field as written: {bad}"


def test_csv_field_with_unicode_line_separator_stays_one_row(cli, tmp_path):
    text = "您的借款已逾期3天\u2028请尽快还款"
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_csv(src, [["u1", text, "", ""], ["u2", "你好", "", ""]])
    _ok(_batch(cli, src, dst, "--jobs", "1"))
    rows = _read_csv(dst)
    assert [r["id"] for r in rows] == ["u1", "u2"], rows
    assert rows[0]["kind"] == "collection_notice"


def test_gb18030_csv_is_read(cli, tmp_path):
    src, dst = tmp_path / "gbk.csv", tmp_path / "out.jsonl"
    relief = "征信修复，逾期记录可消除，不成功不收费"
    _write_csv(src, [["g1", COLLECTION, "95588", ""], ["g2", relief, "", ""]], encoding="gb18030")
    assert src.read_bytes().decode("gb18030")  # really GB18030, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        src.read_bytes().decode("utf-8")
    _ok(_batch(cli, src, dst, "--jobs", "1"))
    rows = _read_jsonl(dst)
    assert [(r["id"], r["kind"]) for r in rows] == [("g1", "collection_notice"), ("g2", "debt_relief_scam")]


def test_csv_without_text_column(cli, tmp_path):
    src = tmp_path / "notext.csv"
    _write_csv(src, [["x1", "您的借款已逾期"]], header=("id", "message"))
    proc = _batch(cli, src, tmp_path / "out.csv", "--jobs", "1")
    assert proc.returncode == 2, proc
    assert "text" in proc.stderr and "Traceback" not in proc.stderr
    _no_leftovers(tmp_path, "out.csv")


# -- Parquet -----------------------------------------------------------------------------------------
def _write_parquet(path: Path) -> None:
    table = pa.table({
        "id": ["p1", None, "p3", "p4"],
        "text": [COLLECTION, THIRD_PARTY, None, "你好"],
        "sender": ["95588", None, None, None],
        "received_at": ["2026-11-20T23:15", None, None, "bad time"],
    })
    pq.write_table(table, path)


def test_parquet_to_parquet(cli, tmp_path):
    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    _write_parquet(src)
    _ok(_batch(cli, src, dst, "--jobs", "1"))
    table = pq.read_table(dst)
    assert table.schema.field("flags").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == ["p1", "2", "p3", "p4"]
    assert rows[0]["kind"] == "collection_notice"
    assert "night_contact" in rows[0]["flags"] and "threat" in rows[0]["flags"]
    assert rows[1]["kind"] == "third_party_contact"
    assert rows[2]["error"] and rows[2]["kind"] is None
    assert rows[3]["error"] and rows[3]["kind"] is None
    assert rows[0]["error"] is None
    assert json.loads(rows[0]["entities"])["sender"]["type"] == "service_95"
    # the Arrow verdict schema (docs/scale.md): nested lists of structs and the kept input columns
    assert table.schema.metadata[b"anning.verdict_schema"] == b"1.0"
    assert table.schema.field("signals").type.value_type.field("rule").type == pa.string()
    assert rows[0]["sender"] == "95588" and rows[0]["text"] == COLLECTION and rows[0]["local_hour"] == 23
    assert rows[0]["sender_type"] == "service_95" and rows[0]["night"] is True
    assert all(COLLECTION[s["start"]:s["end"]] == s["evidence"] for s in rows[0]["signals"] if s["start"] is not None)


def test_cross_formats_agree(cli, tmp_path, jsonl_in):
    """The same rows give the same kinds and flags whatever the input and output format."""
    ref = tmp_path / "ref.jsonl"
    _ok(_batch(cli, jsonl_in, ref, "--jobs", "1"))
    expected = [(r.get("kind"), r.get("flags"), "error" in r) for r in _read_jsonl(ref)]

    as_parquet = tmp_path / "x.parquet"
    _ok(_batch(cli, jsonl_in, as_parquet, "--jobs", "1"))
    rows = pq.read_table(as_parquet).to_pylist()
    assert [(r["kind"], r["flags"], r["error"] is not None) for r in rows] == expected
    assert [r["id"] for r in rows] == [str(rid) for _, rid, _ in JSONL_LINES]

    as_csv = tmp_path / "x.csv"
    _ok(_batch(cli, jsonl_in, as_csv, "--jobs", "1"))
    rows = _read_csv(as_csv)
    assert [(r["kind"] or None, r["flags"].split(";") if r["flags"] else ([] if r["kind"] else None),
             bool(r["error"])) for r in rows] == expected

    pq_src = tmp_path / "src.parquet"
    _write_parquet(pq_src)
    back = tmp_path / "back.jsonl"
    _ok(_batch(cli, pq_src, back, "--jobs", "1"))
    rows = _read_jsonl(back)
    assert [r["id"] for r in rows] == ["p1", 2, "p3", "p4"]
    assert rows[0]["kind"] == "collection_notice" and "error" in rows[2] and "error" in rows[3]


# -- --keep: input columns carried into the output ----------------------------------------------------
KEEP_ROWS = [
    {"id": "k1", "text": THIRD_PARTY, "region": "浙江", "label": "third_party_contact", "meta": {"batch": 7}},
    {"id": "k2", "text": SCAM, "region": "广东", "label": "fake_collection"},
    {"id": "k3", "region": "江苏", "label": "other"},  # no text: an error row still carries its columns
    {"id": "k4", "text": "你好", "label": 5},
]


def test_keep_copies_input_columns_into_every_format(cli, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in KEEP_ROWS), encoding="utf-8")
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        _ok(_batch(cli, src, out, "--jobs", jobs, "--keep", "region,label", "--keep", "meta"))
        rows = _read_jsonl(out)
        assert [r["input"] for r in rows] == [{k: r.get(k) for k in ("region", "label", "meta")} for r in KEEP_ROWS]
        assert [r["id"] for r in rows] == ["k1", "k2", "k3", "k4"] and "error" in rows[2]
        assert rows[0]["kind"] == "third_party_contact" and rows[1]["kind"] == "fake_collection"

    as_csv = tmp_path / "out.csv"
    _ok(_batch(cli, src, as_csv, "--jobs", "1", "--keep", "label,meta,region"))
    rows = _read_csv(as_csv)
    assert list(rows[0])[-3:] == ["label", "meta", "region"]
    assert [(r["label"], r["region"]) for r in rows] == [
        ("third_party_contact", "浙江"), ("fake_collection", "广东"), ("other", "江苏"), ("5", "")]
    assert json.loads(rows[0]["meta"]) == {"batch": 7}

    as_parquet = tmp_path / "out.parquet"
    _ok(_batch(cli, src, as_parquet, "--jobs", "1", "--keep", "region,meta,text"))
    table = pq.read_table(as_parquet)
    assert table.schema.names[-5:] == ["text", "sender", "received_at", "region", "meta"]
    rows = table.to_pylist()
    assert [r["region"] for r in rows] == ["浙江", "广东", "江苏", None]
    assert json.loads(rows[0]["meta"]) == {"batch": 7} and rows[1]["meta"] is None


def test_keep_parquet_to_parquet_keeps_the_column_types(cli, tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["q1", "q2", "q3"], "text": [COLLECTION, "你好", None],
                             "score": [0.5, 1.5, 2.5], "region": ["浙江", None, "广东"]}), src)
    results = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.parquet"
        _ok(_batch(cli, src, out, "--jobs", jobs, "--keep", "score,region"))
        table = pq.read_table(out)
        assert table.schema.field("score").type == pa.float64()
        assert table.schema.names[-3:] == ["text", "score", "region"]
        results.append(table.to_pylist())
    assert results[0] == results[1]
    assert [(r["id"], r["score"], r["region"]) for r in results[0]] == [
        ("q1", 0.5, "浙江"), ("q2", 1.5, None), ("q3", 2.5, "广东")]
    assert results[0][0]["kind"] == "collection_notice" and results[0][2]["error"]


@pytest.mark.parametrize(("suffix", "keep", "message"), [
    (".parquet", "regin", "no column 'regin'"),
    (".csv", "regin", "no column 'regin'"),
    (".parquet", "kind", "'kind' cannot be kept"),
    (".csv", "kind", "'kind' cannot be kept"),
])
def test_keep_refuses_a_missing_or_taken_column(cli, tmp_path, suffix, keep, message):
    src = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        _write_csv(src, [("c1", COLLECTION, "", "")], header=("id", "text", "kind", "region"))
    else:
        pq.write_table(pa.table({"id": ["p1"], "text": [COLLECTION], "kind": ["x"], "region": ["浙江"]}), src)
    dst = tmp_path / f"out{suffix}"
    proc = _batch(cli, src, dst, "--keep", keep)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    _no_leftovers(tmp_path, dst.name)


# -- refusals ----------------------------------------------------------------------------------------
def test_unknown_output_extension(cli, tmp_path, jsonl_in):
    proc = _batch(cli, jsonl_in, tmp_path / "out.txt")
    assert proc.returncode == 2 and ".txt" in proc.stderr and "Traceback" not in proc.stderr
    _no_leftovers(tmp_path, "out.txt")


def test_unknown_input_extension(cli, tmp_path):
    src = tmp_path / "in.xlsx"
    src.write_bytes(b"not really")
    proc = _batch(cli, src, tmp_path / "out.jsonl")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    _no_leftovers(tmp_path, "out.jsonl")


def test_missing_input_file(cli, tmp_path):
    proc = _batch(cli, tmp_path / "absent.jsonl", tmp_path / "out.jsonl")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    _no_leftovers(tmp_path, "out.jsonl")


def test_json_line_and_flat_row_are_plain_json_dumps(engine):
    """The JSON writers splice in the cached text of the shared verdict parts: same bytes as json.dumps."""
    from anning.batch import analyse_row, flat_row, json_line

    rows = [json.loads(line) if not line.startswith('{"id": "a6"') else {"__error__": "bad"}
            for line, _, _ in JSONL_LINES]
    results = [analyse_row(engine, row, n) for n, row in enumerate(rows * 2, 1)]
    assert any("error" in r for r in results) and any("violations" in r for r in results)
    for r in results:
        assert json_line(r) == json.dumps(r, ensure_ascii=False)
        flat = flat_row(r, csv_mode=True)
        for key in ("signals", "entities", "violations", "scenario", "actions", "flag_evidence"):
            assert flat[key] == (None if r.get(key) is None else json.dumps(r[key], ensure_ascii=False))
    plain = {"id": 1, "violations": [], "scenario": {"a": "值"}, "x": 1.5}  # not shared parts: encoded
    assert json_line(plain) == json.dumps(plain, ensure_ascii=False)


def test_lone_surrogates_give_an_error_row_in_every_format(cli, tmp_path):
    """A JSON escape such as "\\ud800" decodes to a lone surrogate, which no file can hold as UTF-8: the
    row gets a clear error, its id and kept columns are written with U+FFFD, and the batch goes on."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a\\udc00", "text": "欠款5000元 \\ud800 请还款", "region": "浙\\ud801江"}\n'
                   + json.dumps({"id": "b", "text": COLLECTION, "region": {"x": "y"}}, ensure_ascii=False) + "\n"
                   + '{"id": "c", "text": "你好", "sender": "1069\\ud800123"}\n', encoding="utf-8")
    for suffix in (".jsonl", ".csv", ".parquet"):
        dst = tmp_path / f"out{suffix}"
        _ok(_batch(cli, src, dst, "--jobs", "1", "--keep", "region,text"))
        if suffix == ".jsonl":
            rows = _read_jsonl(dst)
            assert rows[0]["input"] == {"region": "浙\ufffd江", "text": "欠款5000元 \ufffd 请还款"}
        elif suffix == ".csv":
            rows = _read_csv(dst)
            assert rows[0]["region"] == "浙\ufffd江"
        else:
            rows = pq.read_table(dst).to_pylist()
            assert rows[0]["text"] == "欠款5000元 \ufffd 请还款" and rows[0]["region"] == "浙\ufffd江"
        assert rows[0]["id"] == "a\ufffd"
        assert "text is not valid Unicode" in rows[0]["error"] and "8" in rows[0]["error"]
        assert rows[1]["kind"] == "collection_notice" and not rows[1].get("error")
        assert "sender is not valid Unicode" in rows[2]["error"]
