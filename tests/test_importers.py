"""Evidence importers on real files: every format, detection, time zones, unsafe and broken input."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import string
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anning.evidence.importers import _xmlstream, detect_format, read_export
from anning.evidence.importers._common import DateError, parse_datetime
from anning.evidence.records import ImportFormatError, RawRecord, Rejected
from evidence_fixtures import (
    CHINA,
    generate_messages,
    write_android_xml,
    write_csv,
    write_ios_sms_db,
    write_jsonl,
    write_text,
)

AT = datetime(2026, 11, 20, 15, 15, 5, tzinfo=UTC)  # 23:15:05 in China
MESSAGES = [
    {"text": "【速借钱包】您的借款已逾期3天，请今日17点前还款 & 回复<TD>退订", "sender": "10690000123",
     "received_at": AT, "direction": "in", "contact_name": "催收A"},
    {"text": "我已经还清了，请不要再打给我的家人\n谢谢", "sender": "10690000123",
     "received_at": "2026-11-21T09:00:00+08:00", "direction": "out"},
    {"text": "妈，我周末回家 😀👍", "sender": "+8613800138000", "received_at": "2026-11-22T00:30:00",
     "direction": "in"},
]


def records(path: Path, **kw) -> list[RawRecord | Rejected]:
    return list(read_export(path, **kw))


def only_records(items) -> list[RawRecord]:
    assert all(isinstance(r, RawRecord) for r in items), [r for r in items if isinstance(r, Rejected)]
    return items


# -- Android XML ---------------------------------------------------------------------------------
def test_android_sms_fields_and_china_time(tmp_path):
    path = write_android_xml(tmp_path / "sms-20261121.xml", MESSAGES)
    assert detect_format(path) == "android-xml"
    got = only_records(records(path))
    assert [r.text for r in got] == [m["text"] for m in MESSAGES]
    first = got[0]
    assert first.received_at == "2026-11-20T23:15:05+08:00"
    assert first.direction == "in" and got[1].direction == "out"
    assert first.sender == "10690000123" and first.contact_name == "催收A"
    assert got[2].contact_name is None  # "(Unknown)"
    assert got[2].received_at == "2026-11-22T00:30:00+08:00"
    assert (first.record_type, first.source_format, first.source_ref) == ("sms", "android-xml", "sms 1")
    assert first.raw["readable_date"] == "2026年11月20日 下午11:15:05"
    assert first.raw["date"] == str(int(AT.timestamp() * 1000))
    assert set(first.raw) >= {"protocol", "address", "type", "service_center", "date_sent", "sub_id"}


def test_android_emoji_as_surrogate_references(tmp_path):
    path = write_android_xml(tmp_path / "emoji.xml", MESSAGES, surrogate_refs=True)
    data = path.read_text(encoding="utf-8")
    assert "&#55357;&#56832;" in data and "😀" not in data
    assert [r.text for r in only_records(records(path))] == [m["text"] for m in MESSAGES]


def test_android_odd_character_references(tmp_path):
    path = tmp_path / "odd.xml"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"4\">\n"
        '<sms address="1" date="1795187705000" type="1" body="hex &#xD83D;&#xDE00; ok" />\n'
        '<sms address="1" date="1795187705000" type="1" body="lone &#55357; high" />\n'
        '<sms address="1" date="1795187705000" type="1" body="esc &#27;[0m &#12354;" />\n'
        '<sms address="1" date="1795187705000" type="1" body="two highs &#55357;&#55357;&#56832;" />\n'
        "</smses>\n", encoding="utf-8")
    texts = [r.text for r in only_records(records(path))]
    assert texts == ["hex 😀 ok", "lone \ufffd high", "esc \u241b[0m あ", "two highs \ufffd😀"]


def test_android_references_split_across_chunks(tmp_path, monkeypatch):
    msgs = [{**m, "text": m["text"] + "🙂" * i} for i, m in enumerate(MESSAGES * 5)]
    path = write_android_xml(tmp_path / "emoji.xml", msgs, surrogate_refs=True)
    expected = [r.text for r in records(path)]
    for size in (3, 7, 13):
        monkeypatch.setattr(_xmlstream, "CHUNK", size)
        assert [r.text for r in records(path)] == expected == [m["text"] for m in msgs]


def test_android_mms(tmp_path):
    mms = [
        {"text": "您的亲友欠款不还，请转告 😀", "sender": "10691234", "received_at": AT, "direction": "in"},
        {"text": "别再发了", "sender": "13800138000~13900139000", "received_at": AT, "direction": "out"},
        {"text": None, "sender": "10691234", "received_at": AT, "direction": "in", "image": True},
        {"text": "看图", "sender": "10691234", "received_at": AT, "direction": "in", "image": True},
    ]
    got = records(write_android_xml(tmp_path / "mms.xml", [], mms=mms, surrogate_refs=True))
    first, sent, image_only, with_image = got
    assert (first.record_type, first.text, first.sender, first.direction) == (
        "mms", "您的亲友欠款不还，请转告 😀", "10691234", "in")
    assert first.received_at == "2026-11-20T23:15:05+08:00" and first.source_ref == "mms 1"
    assert (sent.sender, sent.direction) == ("13800138000~13900139000", "out")
    assert isinstance(image_only, Rejected) and image_only.source_ref == "mms 3"
    assert with_image.text == "看图"
    image_part = next(p for p in with_image.raw["parts"] if p["ct"] == "image/jpeg")
    assert image_part["data"].startswith("<base64,")
    assert {a["type"] for a in with_image.raw["addrs"]} == {"137", "151"}


def test_android_call_log(tmp_path):
    calls = [
        {"number": "10690000123", "received_at": AT, "type": 1, "duration": 65},
        {"number": "13800138000", "received_at": AT, "type": 2, "duration": 12},
        {"number": "10690000123", "received_at": AT + timedelta(minutes=1), "type": 3},
        {"number": "10690000123", "received_at": AT, "type": 5},
        {"number": "10690000123", "received_at": AT, "type": 6},
    ]
    path = write_android_xml(tmp_path / "calls-20261121.xml", [], calls=calls)
    assert path.read_text(encoding="utf-8").count("<calls ") == 1
    got = only_records(records(path))
    assert [r.record_type for r in got] == ["call"] * 5
    assert [r.direction for r in got] == ["in", "out", "in", "in", "in"]
    assert [r.duration_s for r in got] == [65, 12, 0, 0, 0]
    assert [r.raw["type"] for r in got] == ["1", "2", "3", "5", "6"]
    assert got[2].received_at == "2026-11-20T23:16:05+08:00" and got[2].source_ref == "call 3"
    assert got[0].text == "" and got[0].sender == "10690000123"


def test_android_bad_entries_are_rejected_and_reading_goes_on(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"4\">\n"
        '<sms address="1" date="1795187705000" type="1" />\n'
        '<sms address="1" date="yesterday" type="1" body="x" />\n'
        '<sms address="1" date="1795187705000" type="1" body="   " />\n'
        '<sms address="1" date="1795187705000" type="9" body="fine" />\n'
        "</smses>\n", encoding="utf-8")
    got = records(path)
    assert [type(r).__name__ for r in got] == ["Rejected"] * 3 + ["RawRecord"]
    assert "body" in got[0].reason and "date" in got[1].reason and got[1].source_ref == "sms 2"
    assert got[3].direction == "unknown"


def test_truncated_xml_yields_complete_messages_then_fails(tmp_path):
    msgs = generate_messages(40, seed=7)
    full = write_android_xml(tmp_path / "full.xml", msgs).read_bytes()
    for cut in (len(full) // 3, len(full) // 2 + 17, len(full) - 12, len(full) - 4):
        path = tmp_path / f"cut{cut}.xml"
        path.write_bytes(full[:cut])
        complete = full[:cut].count(b" />\n")
        seen: list[RawRecord | Rejected] = []
        with pytest.raises(ImportFormatError) as err:
            for item in read_export(path):
                seen.append(item)
        assert [r.text for r in seen] == [m["text"] for m in msgs[:complete]]
        message = str(err.value)
        assert "中断" in message and "truncated" in message and str(path) in message
        line = full[:cut].count(b"\n") + 1
        assert f"第 {line} 行" in message or f"第 {line - 1} 行" in message


def test_entity_bomb_is_refused_before_parsing(tmp_path):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "bomb.xml"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE smses [<!ENTITY l0 "lol">{laughs}]>\n'
                    '<smses count="1"><sms address="1" date="1" type="1" body="&l9;" /></smses>\n')
    start = time.perf_counter()
    with pytest.raises(ImportFormatError, match="DOCTYPE"):
        read_export(path).__next__()
    assert time.perf_counter() - start < 1


def test_external_entity_is_refused_and_file_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-4711")
    path = tmp_path / "xxe.xml"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        "<!-- File Created By SMS Backup & Restore -->\n"
        f'<!DOCTYPE smses [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        '<smses count="2"><sms address="1" date="1" type="1" body="&x;" /><sms address="1" date="1" type="1">'
        "&x;</sms></smses>\n")
    with pytest.raises(ImportFormatError) as err:
        list(read_export(path))
    assert "TOP-SECRET" not in str(err.value) and "DOCTYPE" in str(err.value)


def test_undeclared_entity_and_wrong_root(tmp_path):
    path = tmp_path / "ent.xml"
    path.write_text('<?xml version="1.0"?><smses><sms address="1" date="1" type="1" body="&nbsp;" /></smses>')
    with pytest.raises(ImportFormatError, match="第 1 行"):
        list(read_export(path))
    path.write_text('<?xml version="1.0"?><html><body>hi</body></html>')
    with pytest.raises(ImportFormatError, match="<html>"):
        list(read_export(path))
    path.write_bytes('<?xml version="1.0" encoding="UTF-16"?><smses/>'.encode("utf-16"))
    with pytest.raises(ImportFormatError, match="UTF-8"):
        list(read_export(path, fmt="xml"))


def test_bulk_android_round_trip_is_deterministic(tmp_path):
    msgs = generate_messages(1500, seed=3)
    assert msgs == generate_messages(1500, seed=3) and msgs != generate_messages(1500, seed=4)
    got = only_records(records(write_android_xml(tmp_path / "bulk.xml", msgs, surrogate_refs=True)))
    assert [(r.text, r.sender, r.received_at) for r in got] == [
        (m["text"], m["sender"], m["received_at"].isoformat(timespec="seconds")) for m in msgs]


# -- iPhone sms.db -------------------------------------------------------------------------------
def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.mark.parametrize("nanoseconds", [True, False])
@pytest.mark.parametrize("attributed", [False, True])
def test_ios_sms_db(tmp_path, nanoseconds, attributed):
    path = write_ios_sms_db(tmp_path / "3d0d7e5fb2ce288813306e4d4636395e047a3d28", MESSAGES,
                            nanoseconds=nanoseconds, attributed_body=attributed)
    before = digest(path)
    assert detect_format(path) == "ios-sms.db"
    got = only_records(records(path))
    assert digest(path) == before
    assert [r.text for r in got] == [m["text"] for m in MESSAGES]
    assert [r.received_at for r in got] == [
        "2026-11-20T23:15:05+08:00", "2026-11-21T09:00:00+08:00", "2026-11-22T00:30:00+08:00"]
    assert [r.direction for r in got] == ["in", "out", "in"]
    assert got[0].sender == "10690000123" and got[0].source_ref == "message ROWID 1"
    assert got[0].source_format == "ios-sms.db" and got[0].raw["service"] == "SMS"
    assert (got[0].raw.get("text_source") == "attributedBody") is attributed


@pytest.mark.parametrize("size", [1, 127, 128, 5000, 40000])
def test_ios_attributed_body_lengths(tmp_path, size):
    text = ("欠" * size)[:size] if size < 128 else "还款提醒😀" * (size // 5)
    path = write_ios_sms_db(tmp_path / "sms.db", [{**MESSAGES[0], "text": text}], attributed_body=True)
    assert [r.text for r in only_records(records(path))] == [text]


def test_ios_rows_without_text_are_rejected(tmp_path):
    msgs = [MESSAGES[0], {**MESSAGES[0], "attachment_only": True}, {**MESSAGES[0], "text": None}, MESSAGES[2]]
    path = write_ios_sms_db(tmp_path / "sms.db", msgs)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE message SET text = NULL, attributedBody = X'040b73747265616d74797065648184' "
                     "WHERE ROWID = 4")
    conn.close()
    got = records(path)
    assert isinstance(got[0], RawRecord)
    assert [r.source_ref for r in got[1:]] == ["message ROWID 2", "message ROWID 3", "message ROWID 4"]
    assert all(isinstance(r, Rejected) for r in got[1:])
    assert "附件" in got[1].reason and "attributedBody" in got[3].reason


def test_ios_reads_wal_without_touching_the_original(tmp_path):
    live = write_ios_sms_db(tmp_path / "live.db", MESSAGES[:1])
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("INSERT INTO message (guid, text, handle_id, date, is_from_me) VALUES ('g-wal', 'WAL里的新短信', 1, "
                 "1000, 0)")
    conn.commit()
    backup = tmp_path / "backup"
    backup.mkdir()
    shutil.copyfile(live, backup / "sms.db")
    shutil.copyfile(live.with_name("live.db-wal"), backup / "sms.db-wal")
    conn.close()
    before = {p.name: digest(p) for p in backup.iterdir()}
    got = only_records(records(backup / "sms.db"))
    assert [r.text for r in got] == [MESSAGES[0]["text"], "WAL里的新短信"]
    assert {p.name: digest(p) for p in backup.iterdir()} == before


def test_sqlite_that_is_not_messages(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(ImportFormatError, match="message"):
        list(read_export(path))


# -- CSV -----------------------------------------------------------------------------------------
def test_csv_chinese_headers_utf8(tmp_path):
    path = write_csv(tmp_path / "导出.csv", MESSAGES)
    assert detect_format(path) == "csv"
    got = only_records(records(path))
    assert [r.text for r in got] == [m["text"] for m in MESSAGES]
    assert [r.direction for r in got] == ["in", "out", "in"]
    assert got[0].received_at == "2026-11-20T23:15:05+08:00" and got[0].contact_name == "催收A"
    assert got[0].raw == {"号码": "10690000123", "内容": MESSAGES[0]["text"], "时间": "2026-11-20 23:15:05",
                          "类型": "接收", "联系人": "催收A"}
    assert got[1].source_ref == "row 3"  # row 1 is the header; row 2's text spans two lines


def test_csv_gbk_english_headers_and_formats(tmp_path):
    headers = {"sender": "From", "text": "Body", "received_at": "Date"}
    path = write_csv(tmp_path / "sms.txt", MESSAGES[:2], headers=headers, encoding="gbk", time_format="%Y/%m/%d %H:%M")
    assert detect_format(path) == "csv"
    got = only_records(records(path))
    assert [r.text for r in got] == [m["text"] for m in MESSAGES[:2]]
    assert got[0].received_at == "2026-11-20T23:15:00+08:00"
    tsv = write_csv(tmp_path / "excel.txt", MESSAGES, encoding="utf-16", delimiter="\t",
                    time_format="%Y年%m月%d日 %H:%M")
    got = only_records(records(tsv))
    assert [r.text for r in got] == [m["text"] for m in MESSAGES]
    assert got[2].received_at == "2026-11-22T00:30:00+08:00"


def test_csv_mapping_and_missing_columns(tmp_path):
    headers = {"sender": "对端", "text": "信息", "received_at": "收到于"}
    path = write_csv(tmp_path / "odd.csv", MESSAGES, headers=headers)
    with pytest.raises(ImportFormatError) as err:
        read_export(path).__next__()
    message = str(err.value)
    assert "对端" in message and "信息" in message and "--map" in message and " / " in message
    got = only_records(records(path, mapping={"text": "信息", "sender": "对端", "received_at": "收到于"}))
    assert [(r.text, r.sender) for r in got] == [(m["text"], m["sender"]) for m in MESSAGES]
    assert got[0].received_at == "2026-11-20T23:15:05+08:00"
    with pytest.raises(ImportFormatError, match="没有名为"):
        read_export(path, mapping={"text": "正文"}).__next__()
    with pytest.raises(ImportFormatError, match="未知字段"):
        read_export(path, mapping={"body": "信息"})


def test_csv_bad_rows_are_rejected(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("号码,内容,时间\n1069,第一条,2026-11-20 23:15\n1069,,2026-11-20 23:16\n"
                    "1069,日期不对,明天\n1069,只有日期,2026-11-20\n\n1069,毫秒,1795187705000\n1069,无时间,\n",
                    encoding="utf-8")
    got = records(path)
    kinds = [type(r).__name__ for r in got]
    assert kinds == ["RawRecord", "Rejected", "Rejected", "Rejected", "RawRecord", "RawRecord"]
    assert got[1].source_ref == "row 3" and got[4].source_ref == "row 7"
    assert got[4].received_at == "2026-11-20T23:15:05+08:00" and got[5].received_at is None


def test_wrong_encoding(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("号码,内容\n1069,".encode() + b"\xff\xfe\xff\x80\x80\n")
    with pytest.raises(ImportFormatError, match="编码"):
        read_export(path, fmt="csv").__next__()
    late = tmp_path / "late.csv"
    late.write_bytes("号码,内容\n".encode() + "1069,正常\n".encode() * 5000 + b"1069,\xff\xff\n")
    with pytest.raises(ImportFormatError, match="UTF-8"):
        read_export(late).__next__()


# -- JSONL and text ------------------------------------------------------------------------------
def test_jsonl(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", MESSAGES)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"内容": "别名也行", "号码": 95588, "时间": 1795187705}\n\n{"text": broken}\n[1, 2]\n'
                 '{"sender": "1"}\n')
    assert detect_format(path) == "jsonl"
    got = records(path)
    assert [r.text for r in got[:3]] == [m["text"] for m in MESSAGES]
    assert got[0].received_at == "2026-11-20T23:15:05+08:00" and got[1].direction == "out"
    alias = got[3]
    assert (alias.text, alias.sender, alias.received_at) == ("别名也行", "95588", "2026-11-20T23:15:05+08:00")
    assert [(r.source_ref, type(r).__name__) for r in got[4:]] == [
        ("line 6", "Rejected"), ("line 7", "Rejected"), ("line 8", "Rejected")]


def test_text_blocks(tmp_path):
    path = tmp_path / "pasted.txt"
    path.write_text("10690000123\n【速借钱包】您已逾期，请尽快还款。\n第二行\n\n\n"
                    "号码：95588\n时间：2026年11月20日 23:15\n您尾号1234的账户支出100元\n\n"
                    "只有一条没有号码的短信\n\n123456\n\n号码：1069\n", encoding="utf-8")
    assert detect_format(path) == "text"
    got = records(path)
    assert (got[0].sender, got[0].text) == ("10690000123", "【速借钱包】您已逾期，请尽快还款。\n第二行")
    assert (got[1].sender, got[1].received_at, got[1].text) == (
        "95588", "2026-11-20T23:15:00+08:00", "您尾号1234的账户支出100元")
    assert (got[2].sender, got[2].text, got[2].source_ref) == (None, "只有一条没有号码的短信", "block 3 (line 10)")
    assert (got[3].sender, got[3].text) == (None, "123456")  # a number alone is a message (a code)
    assert isinstance(got[4], Rejected)
    path.write_text("  \n\n\t\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="空白"):
        list(read_export(path))


def test_text_screenful_without_blank_lines_is_split_at_each_header(tmp_path):
    path = tmp_path / "screen.txt"
    path.write_text("[2026-11-20 09:15] 10690000123: 【速借钱包】您的借款已逾期3天，请今日还款。\n"
                    "[2026-11-20 21:40] 17012345678：你不还钱我们就去你单位\n"
                    "真的会去\n"
                    "号码：95588\n时间：2026-11-21 08:02\n您尾号1234的账户支出100元\n\n"
                    "2026-11-22 10:00 13800138000: 妈，我周末回家\n"
                    "这一段没有号码\n", encoding="utf-8")
    got = records(path)
    assert [(r.sender, r.received_at, r.text) for r in got] == [
        ("10690000123", "2026-11-20T09:15:00+08:00", "【速借钱包】您的借款已逾期3天，请今日还款。"),
        ("17012345678", "2026-11-20T21:40:00+08:00", "你不还钱我们就去你单位\n真的会去"),
        ("95588", "2026-11-21T08:02:00+08:00", "您尾号1234的账户支出100元"),
        ("13800138000", "2026-11-22T10:00:00+08:00", "妈，我周末回家\n这一段没有号码"),
    ]
    assert [r.source_ref for r in got] == ["block 1 (line 1), message 1", "block 1 (line 2), message 2",
                                           "block 1 (line 4), message 3", "block 2 (line 8)"]
    assert got[2].raw["block"] == "号码：95588\n时间：2026-11-21 08:02\n您尾号1234的账户支出100元"


# -- detection and whole-file errors -------------------------------------------------------------
def test_detection_ignores_misleading_suffixes(tmp_path):
    assert detect_format(write_android_xml(tmp_path / "backup.txt", MESSAGES)) == "android-xml"
    assert detect_format(write_ios_sms_db(tmp_path / "sms.xml", MESSAGES)) == "ios-sms.db"
    assert detect_format(write_jsonl(tmp_path / "m.csv", MESSAGES)) == "jsonl"
    assert detect_format(write_text(tmp_path / "m.csv", MESSAGES)) == "text"
    plain = tmp_path / "p.txt"
    plain.write_text("Dear customer, your loan is overdue, please repay today.\n", encoding="utf-8")
    assert detect_format(plain) == "text"


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "文件为空"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "二进制"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "压缩包"),
    (bytes(range(128, 256)) * 4, "无法识别"),
])
def test_whole_file_errors(tmp_path, content, expected):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    with pytest.raises(ImportFormatError) as err:
        read_export(path)
    assert expected in str(err.value) and " / " in str(err.value) and str(path) in str(err.value)


def test_directory_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(ImportFormatError, match="文件夹"):
        read_export(tmp_path)
    with pytest.raises(ImportFormatError, match="不存在"):
        read_export(tmp_path / "nope.xml")
    path = write_csv(tmp_path / "a.csv", MESSAGES)
    with pytest.raises(ImportFormatError, match="未知格式"):
        read_export(path, fmt="pdf")
    with pytest.raises(ImportFormatError, match="SQLite"):
        read_export(path, fmt="ios")


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-20 23:15", "2026-11-20T23:15:00+08:00"),
    ("2026-11-20 23:15:05", "2026-11-20T23:15:05+08:00"),
    ("2026/11/20 23:15", "2026-11-20T23:15:00+08:00"),
    ("2026年11月20日 23:15", "2026-11-20T23:15:00+08:00"),
    ("2026年11月20日23时15分05秒", "2026-11-20T23:15:05+08:00"),
    ("2026年11月20日 下午11:15:05", "2026-11-20T23:15:05+08:00"),
    ("2026-11-20T15:15:05Z", "2026-11-20T23:15:05+08:00"),
    ("2026-11-20T23:15:05.250+08:00", "2026-11-20T23:15:05.250+08:00"),
    ("2026-11-20 10:15:05 -05:00", "2026-11-20T23:15:05+08:00"),
    ("1795187705", "2026-11-20T23:15:05+08:00"),
    ("1795187705000", "2026-11-20T23:15:05+08:00"),
])
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected


@pytest.mark.parametrize("value", ["明天", "2026-11-20", "2026-02-30 10:00", "20:15"])
def test_parse_datetime_refuses(value):
    with pytest.raises(DateError):
        parse_datetime(value)


# -- round trip ----------------------------------------------------------------------------------
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufffc")
    | st.sampled_from([*"欠款还清催收😀👍&<>\"'", "\n"]),
    min_size=1, max_size=60,
).filter(lambda s: s.strip() and s == s.strip())
_SENDER = st.text(alphabet=string.digits, min_size=3, max_size=15)
_TIME = st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2037, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=CHINA))
_MESSAGE = st.fixed_dictionaries({"text": _TEXT, "sender": _SENDER, "received_at": _TIME,
                                  "direction": st.sampled_from(["in", "out"])})

WRITERS = {
    "xml": lambda p, m: write_android_xml(p, m),
    "xml-refs": lambda p, m: write_android_xml(p, m, surrogate_refs=True),
    "ios-ns": lambda p, m: write_ios_sms_db(p, m),
    "ios-s-attributed": lambda p, m: write_ios_sms_db(p, m, nanoseconds=False, attributed_body=True),
    "csv": lambda p, m: write_csv(p, m),
    "csv-gbk": lambda p, m: write_csv(p, m, encoding="gb18030"),
    "jsonl": lambda p, m: write_jsonl(p, m),
}


@pytest.mark.parametrize("writer", list(WRITERS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(_MESSAGE, min_size=1, max_size=6))
def test_round_trip(tmp_path, writer, messages):
    path = tmp_path / f"export-{writer}"
    path.unlink(missing_ok=True)
    WRITERS[writer](path, messages)
    got = only_records(records(path))
    assert [(r.text, r.sender, datetime.fromisoformat(r.received_at), r.direction) for r in got] == [
        (m["text"], m["sender"], m["received_at"], m["direction"]) for m in messages]
    assert all(r.received_at.endswith("+08:00") for r in got)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(_MESSAGE.filter(lambda m: "\n" not in m["text"] and m["text"][0] not in "号时"),
                         min_size=1, max_size=6))
def test_round_trip_text(tmp_path, messages):
    path = write_text(tmp_path / "pasted.txt", messages)
    got = only_records(records(path, fmt="text"))
    assert [(r.text, r.sender, datetime.fromisoformat(r.received_at)) for r in got] == [
        (m["text"], m["sender"], m["received_at"]) for m in messages]


def test_whole_file_problems_raise_before_iteration(tmp_path):
    """The store writes nothing when read_export raises at the call: every whole-file check is eager."""
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY a "x">]><smses/>')
    no_text = write_csv(tmp_path / "cols.csv", MESSAGES, headers={"sender": "A", "text": "B"})
    bad_encoding = tmp_path / "enc.csv"
    bad_encoding.write_bytes(b"\xff\xfe\xff\x80,\x80\n")
    html = tmp_path / "page.xml"
    html.write_text("<html/>")
    notes = tmp_path / "notes.db"
    with sqlite3.connect(notes) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    for path, fmt in ((bomb, None), (no_text, None), (bad_encoding, "csv"), (bad_encoding, "jsonl"),
                      (bad_encoding, "text"), (html, None), (notes, None)):
        with pytest.raises(ImportFormatError):
            read_export(path, fmt)
