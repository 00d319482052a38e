"""Real-schema export files for the evidence locker tests (plain functions, no pytest fixtures).

Messages are dicts ``{"text", "sender", "received_at", "direction"}`` (+ optional ``contact_name``);
``received_at`` is an aware datetime or an ISO 8601 string (a naive one is China time).

* :func:`write_android_xml` — an "SMS Backup & Restore" backup as the app writes it;
* :func:`write_ios_sms_db` — an iPhone ``sms.db`` with Apple's table layout;
* :func:`write_csv`, :func:`write_jsonl`, :func:`write_text` — the simple formats;
* :func:`generate_messages` — N deterministic, realistic-looking Chinese messages for bulk tests.
"""

from __future__ import annotations

import base64
import csv
import json
import random
import sqlite3
import struct
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CHINA = timezone(timedelta(hours=8))
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
Message = Mapping[str, Any]


def as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA)


def unix_ms(value: datetime | str | None) -> int | None:
    moment = as_datetime(value)
    return None if moment is None else round(moment.timestamp() * 1000)


# -- Android: SMS Backup & Restore ---------------------------------------------------------------
def _xml_attr(value: str, surrogate_refs: bool) -> str:
    """Escape as Android's XmlSerializer does: entities, control characters as references, and
    (``surrogate_refs``) every UTF-16 unit of a supplementary character as its own reference."""
    out: list[str] = []
    for ch in value:
        cp = ord(ch)
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif cp < 0x20:
            out.append(f"&#{cp};")
        elif cp > 0xFFFF and surrogate_refs:
            cp -= 0x10000
            out.append(f"&#{0xD800 + (cp >> 10)};&#{0xDC00 + (cp & 0x3FF)};")
        else:
            out.append(ch)
    return "".join(out)


def readable_date(ms: int | None) -> str:
    """The app's ``readable_date`` on a phone set to Chinese: ``2026年11月20日 下午11:15:05``."""
    if ms is None:
        return "null"
    local = datetime.fromtimestamp(ms / 1000, CHINA)
    half = "上午" if local.hour < 12 else "下午"
    hour = local.hour % 12 or 12
    return f"{local.year}年{local.month}月{local.day}日 {half}{hour}:{local:%M:%S}"


def _element(tag: str, attrs: Iterable[tuple[str, object]], surrogate_refs: bool, close: bool = True) -> str:
    body = " ".join(f'{k}="{_xml_attr(str(v), surrogate_refs)}"' for k, v in attrs)
    return f"<{tag} {body}{' />' if close else '>'}"


def _sms_attrs(msg: Message) -> list[tuple[str, object]]:
    ms = unix_ms(msg.get("received_at"))
    kind = {"in": 1, "out": 2}.get(msg.get("direction", "in"), msg.get("type", 1))
    attrs: list[tuple[str, object]] = [
        ("protocol", 0), ("address", msg.get("sender") or "null"), ("date", ms if ms is not None else "null"),
        ("type", kind), ("subject", "null"),
    ]
    if "text" in msg and msg["text"] is not None:
        attrs.append(("body", msg["text"]))
    attrs += [
        ("toa", "null"), ("sc_toa", "null"),
        ("service_center", "+8613800100500" if kind == 1 else "null"), ("read", 1), ("status", -1),
        ("locked", 0), ("date_sent", (ms - 1000) if ms and kind == 1 else 0), ("sub_id", 1),
        ("readable_date", readable_date(ms)), ("contact_name", msg.get("contact_name") or "(Unknown)"),
    ]
    return attrs


def _mms_xml(msg: Message, surrogate_refs: bool) -> str:
    ms = unix_ms(msg.get("received_at"))
    box = 2 if msg.get("direction") == "out" else 1
    sender = msg.get("sender") or "null"
    me = msg.get("me", "+8613900000000")
    head = _element("mms", [
        ("date", ms), ("rr", 129), ("sub", "null"), ("ct_t", "application/vnd.wap.multipart.related"),
        ("read_status", "null"), ("seen", 1), ("msg_box", box), ("address", sender), ("sub_cs", "null"),
        ("resp_st", "null"), ("retr_st", "null"), ("d_tm", "null"), ("text_only", 0 if msg.get("image") else 1),
        ("exp", 604800), ("locked", 0), ("m_id", f"mms{ms}"), ("st", "null"), ("retr_txt_cs", "null"),
        ("retr_txt", "null"), ("creator", "com.google.android.apps.messaging"), ("date_sent", 0), ("read", 1),
        ("m_size", 1024), ("rpt_a", "null"), ("ct_cls", "null"), ("pri", 129), ("sub_id", 1), ("tr_id", "T1"),
        ("resp_txt", "null"), ("ct_l", "null"), ("m_cls", "personal"), ("d_rpt", 129), ("v", 18),
        ("_id", 1), ("m_type", 132 if box == 1 else 128), ("readable_date", readable_date(ms)),
        ("contact_name", msg.get("contact_name") or "(Unknown)"),
    ], surrogate_refs, close=False)
    parts = ['<part seq="-1" ct="application/smil" name="null" chset="null" cd="null" fn="null" '
             'cid="&lt;smil&gt;" cl="smil.xml" ctt_s="null" ctt_t="null" '
             'text="&lt;smil&gt;&lt;body&gt;&lt;par dur=&quot;5000ms&quot;&gt;&lt;text src=&quot;text_0.txt&quot;/&gt;'
             '&lt;/par&gt;&lt;/body&gt;&lt;/smil&gt;" />']
    if msg.get("image"):
        data = base64.b64encode(b"\xff\xd8\xff\xe0fake-jpeg" * 20).decode()
        parts.append(f'<part seq="0" ct="image/jpeg" name="IMG_0001.jpg" chset="null" cd="null" fn="null" '
                     f'cid="&lt;IMG_0001&gt;" cl="IMG_0001.jpg" ctt_s="null" ctt_t="null" text="null" data="{data}" />')
    if msg.get("text") is not None:
        parts.append(_element("part", [
            ("seq", 0), ("ct", "text/plain"), ("name", "null"), ("chset", 106), ("cd", "null"), ("fn", "null"),
            ("cid", "<text_0>"), ("cl", "text_0.txt"), ("ctt_s", "null"), ("ctt_t", "null"), ("text", msg["text"]),
        ], surrogate_refs))
    if box == 1:
        addrs = [(sender, 137), (me, 151)]
    else:
        addrs = [("insert-address-token", 137), *((to, 151) for to in str(sender).split("~"))]
    addr_xml = "".join(f'<addr address="{_xml_attr(a, False)}" type="{t}" charset="106" />' for a, t in addrs)
    return f"{head}<parts>{''.join(parts)}</parts><addrs>{addr_xml}</addrs></mms>"


def _call_attrs(call: Message) -> list[tuple[str, object]]:
    ms = unix_ms(call.get("received_at"))
    kind = call.get("type") or {"in": 1, "out": 2}.get(call.get("direction", "in"), 1)
    return [
        ("number", call.get("number") or call.get("sender") or ""), ("duration", call.get("duration", 0)),
        ("date", ms), ("type", kind), ("presentation", 1), ("subscription_id", 1), ("post_dial_digits", ""),
        ("subscription_component_name", "com.android.phone/com.android.services.telephony.TelephonyConnectionService"),
        ("readable_date", readable_date(ms)), ("contact_name", call.get("contact_name") or "(Unknown)"),
    ]


def write_android_xml(path: Path, messages: Iterable[Message], calls: Iterable[Message] = (),
                      mms: Iterable[Message] = (), surrogate_refs: bool = False) -> Path:
    """An SMS Backup & Restore file. Only ``calls`` → a ``<calls>`` backup (the app's call-log file);
    otherwise ``<smses>`` (sms then mms; calls given with messages are appended in the same root,
    which the app itself never does). ``surrogate_refs`` writes emoji as ``&#55357;&#56832;``."""
    messages, calls, mms = list(messages), list(calls), list(mms)
    root = "calls" if calls and not messages and not mms else "smses"
    count = len(calls) if root == "calls" else len(messages) + len(mms) + len(calls)
    created = datetime(2026, 11, 21, 8, 0, tzinfo=CHINA)
    with Path(path).open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        fh.write(f"<!--File Created By SMS Backup & Restore v10.22.002 on {created:%d/%m/%Y %H:%M:%S}-->\n")
        if root == "smses":
            fh.write('<?xml-stylesheet type="text/xsl" href="sms.xsl"?>\n')
        fh.write(f'<{root} count="{count}" backup_set="5f0c2a47-6a4e-4d1e-9b8a-1c3d5e7f9a0b" '
                 f'backup_date="{unix_ms(created)}" type="full">\n')
        for msg in messages:
            fh.write("  " + _element("sms", _sms_attrs(msg), surrogate_refs) + "\n")
        for item in mms:
            fh.write("  " + _mms_xml(item, surrogate_refs) + "\n")
        for call in calls:
            fh.write("  " + _element("call", _call_attrs(call), surrogate_refs) + "\n")
        fh.write(f"</{root}>\n")
    return Path(path)


# -- iPhone: sms.db ------------------------------------------------------------------------------
IOS_SCHEMA = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT,
  service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service));
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
  replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT,
  attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT,
  account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER,
  is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0,
  is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0,
  is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0,
  is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0,
  is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0,
  is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT,
  was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0,
  is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0,
  group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0,
  share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0,
  message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, associated_message_guid TEXT,
  associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT, payload_data BLOB,
  expressive_send_style_id TEXT, associated_message_range_location INTEGER DEFAULT 0,
  associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER,
  message_summary_info BLOB, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, ck_record_change_tag TEXT,
  destination_caller_id TEXT, is_corrupt INTEGER DEFAULT 0, reply_to_guid TEXT, sort_id INTEGER,
  is_spam INTEGER DEFAULT 0, has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT,
  thread_originator_part TEXT, syndication_ranges TEXT, was_delivered_quietly INTEGER DEFAULT 0,
  did_notify_recipient INTEGER DEFAULT 0, synced_syndication_ranges TEXT, date_retracted INTEGER DEFAULT 0,
  date_edited INTEGER DEFAULT 0, was_detonated INTEGER DEFAULT 0, part_count INTEGER);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER,
  state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT,
  account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT,
  group_id TEXT, is_filtered INTEGER DEFAULT 0, successful_query INTEGER, engram_id TEXT,
  server_change_token TEXT, ck_sync_state INTEGER DEFAULT 0, original_group_id TEXT,
  last_read_message_timestamp INTEGER DEFAULT 0, cloudkit_record_id TEXT, last_addressed_sim_id TEXT,
  is_blackholed INTEGER DEFAULT 0, syndication_date INTEGER DEFAULT 0, syndication_type INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0,
  PRIMARY KEY (chat_id, message_id));
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, created_date
  INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT,
  transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0, user_info BLOB, transfer_name TEXT,
  total_bytes INTEGER DEFAULT 0);
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE,
  attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, attachment_id));
CREATE INDEX message_idx_handle ON message(handle_id, date);
CREATE INDEX chat_message_join_idx_message_date_id_chat_id ON chat_message_join(chat_id, message_date, message_id);
"""


def attributed_body_blob(text: str) -> bytes:
    """An NSAttributedString archived as NeXT typedstream, laid out as iOS 16+ stores it."""
    data = text.encode("utf-8")
    if len(data) < 0x80:
        length = bytes([len(data)])
    elif len(data) < 0x8000:
        length = b"\x81" + struct.pack("<h", len(data))
    else:
        length = b"\x82" + struct.pack("<i", len(data))
    units = len(text.encode("utf-16-le")) // 2
    run = bytes([units]) if units < 0x80 else b"\x81" + struct.pack("<h", min(units, 0x7FFF))
    return (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject"
            b"\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+" + length + data + b"\x86\x84\x02iI\x01" + run
            + b"\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96\x1d__kIMMessagePartAttributeName"
            b"\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86")


def apple_date(value: datetime | str | None, nanoseconds: bool) -> int:
    moment = as_datetime(value)
    if moment is None:
        return 0
    delta = moment - APPLE_EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros * 1000 if nanoseconds else micros // 1_000_000


def write_ios_sms_db(path: Path, messages: Iterable[Message], nanoseconds: bool = True,
                     attributed_body: bool = False) -> Path:
    """An iPhone ``sms.db``: one handle and one 1:1 chat per sender, as Messages stores them.

    ``attributed_body`` stores every text only in ``attributedBody`` (``text`` NULL, iOS 16+); a
    message dict may also set ``attributed_body`` itself, ``service`` ("SMS"/"iMessage"), or
    ``attachment_only`` (text "\\ufffc" with an attachment row)."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(IOS_SCHEMA)
        conn.execute("INSERT INTO _SqliteDatabaseProperties VALUES ('_ClientVersion', '17100')")
        handles: dict[tuple[str, str], int] = {}
        chats: dict[tuple[str, str], int] = {}
        for n, msg in enumerate(messages, 1):
            service = msg.get("service", "SMS")
            sender = msg.get("sender")
            handle_id = 0
            chat_id = None
            if sender:
                key = (sender, service)
                if key not in handles:
                    cur = conn.execute("INSERT INTO handle (id, country, service, uncanonicalized_id) "
                                       "VALUES (?, 'cn', ?, ?)", (sender, service, sender))
                    handles[key] = cur.lastrowid
                    cur = conn.execute(
                        "INSERT INTO chat (guid, style, state, account_id, chat_identifier, service_name, "
                        "account_login) VALUES (?, 45, 3, 'A1', ?, ?, 'E:')",
                        (f"{service};-;{sender}", sender, service))
                    chats[key] = cur.lastrowid
                    conn.execute("INSERT INTO chat_handle_join VALUES (?, ?)", (chats[key], handles[key]))
                handle_id, chat_id = handles[key], chats[key]
            text = msg.get("text")
            blob = None
            if msg.get("attachment_only"):
                text = "\ufffc"
            elif msg.get("attributed_body", attributed_body) and text is not None:
                blob, text = attributed_body_blob(text), None
            date = apple_date(msg.get("received_at"), nanoseconds)
            from_me = 1 if msg.get("direction") == "out" else 0
            cur = conn.execute(
                "INSERT INTO message (guid, text, handle_id, attributedBody, service, account, date, date_read, "
                "date_delivered, is_from_me, is_read, is_sent, is_delivered, is_finished, cache_has_attachments, "
                "part_count) VALUES (?, ?, ?, ?, ?, 'E:', ?, ?, 0, ?, ?, ?, 1, 1, ?, 1)",
                (f"5D1E{n:08X}-6A4E-4D1E-9B8A-1C3D5E7F9A0B", text, handle_id, blob, service, date,
                 date if not from_me else 0, from_me, 1 - from_me, from_me, 1 if msg.get("attachment_only") else 0))
            if chat_id is not None:
                conn.execute("INSERT INTO chat_message_join VALUES (?, ?, ?)", (chat_id, cur.lastrowid, date))
            if msg.get("attachment_only"):
                att = conn.execute("INSERT INTO attachment (guid, filename, mime_type, total_bytes) "
                                   "VALUES (?, '~/Library/SMS/Attachments/a.jpg', 'image/jpeg', 2048)",
                                   (f"at_{n}",))
                conn.execute("INSERT INTO message_attachment_join VALUES (?, ?)", (cur.lastrowid, att.lastrowid))
        conn.commit()
    finally:
        conn.close()
    return Path(path)



# -- CSV, JSONL, text ----------------------------------------------------------------------------
CSV_HEADERS = {"sender": "号码", "text": "内容", "received_at": "时间", "direction": "类型", "contact_name": "联系人"}


def write_csv(path: Path, messages: Iterable[Message], headers: Mapping[str, str] | None = None,
              encoding: str = "utf-8-sig", delimiter: str = ",", time_format: str = "%Y-%m-%d %H:%M:%S") -> Path:
    """A CSV as phone-export tools write it: Chinese headers by default, directions 接收/发送, China time."""
    headers = dict(headers or CSV_HEADERS)
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(headers.values())
        for msg in messages:
            row = []
            for field in headers:
                value = msg.get(field)
                if field == "received_at":
                    moment = as_datetime(value)
                    value = "" if moment is None else moment.astimezone(CHINA).strftime(time_format)
                elif field == "direction":
                    value = {"in": "接收", "out": "发送"}.get(value or "", "")
                row.append("" if value is None else value)
            writer.writerow(row)
    return Path(path)


def write_jsonl(path: Path, messages: Iterable[Message]) -> Path:
    with Path(path).open("w", encoding="utf-8") as fh:
        for msg in messages:
            moment = as_datetime(msg.get("received_at"))
            obj = {**msg, "received_at": moment.isoformat() if moment else None}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return Path(path)


def write_text(path: Path, messages: Iterable[Message]) -> Path:
    """Pasted text: ``号码：…`` and ``时间：…`` lines, the message, a blank line."""
    blocks = []
    for msg in messages:
        lines = []
        if msg.get("sender"):
            lines.append(f"号码：{msg['sender']}")
        moment = as_datetime(msg.get("received_at"))
        if moment is not None:
            lines.append(f"时间：{moment.astimezone(CHINA):%Y-%m-%d %H:%M:%S}")
        lines.append(msg["text"])
        blocks.append("\n".join(lines))
    Path(path).write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return Path(path)


# -- bulk messages -------------------------------------------------------------------------------
_PLATFORMS = ("速借钱包", "安心分期", "好还呗", "金橙信用", "易达消费金融", "融e借", "小鹿白条", "惠民贷")
_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴刚")
_BANKS = ("95588", "95533", "95599", "95566", "95555")
_TEMPLATES = {
    "collection": (
        "【{p}】尊敬的{n}，您的借款{a}元已逾期{d}天，请于今日{h}点前还款，以免影响您的个人征信。",
        "【{p}】{n}您好，您在我司的欠款{a}元仍未结清，请尽快登录APP处理，如已还款请忽略。",
        "{n}，你的{p}账单已逾期{d}天，滞纳金每日递增，今天{h}点前不处理将移交法务部门。",
        "【{p}】温馨提示：您本期应还{a}元，还款日为{m}月{day}日，请确保绑定银行卡余额充足。",
    ),
    "third_party": (
        "您好，{n}在{p}借款{a}元已逾期{d}天，他留了您的电话作为紧急联系人，请转告他尽快还款。",
        "【{p}】您的亲友{n}欠款不还，联系不上本人，麻烦您通知一下，否则我们将联系其通讯录所有人。",
        "请转告{n}：{p}欠款{a}元今天必须处理，不然我们会去他单位了解情况。",
    ),
    "scam": (
        "【{p}】您的账户存在异常，征信将被上报，请点击 http://{p2}.example-xyz.top/k?{d} 立即处理。",
        "您在{p}的贷款可协商停息挂账，专业团队代办征信修复，加微信 zx{a} 咨询，成功后收费。",
        "【最高法院】{n}因欠款{a}元已被立案，请立即将款项转入安全账户6222 0200 {a}，否则冻结名下资产。",
        "客服提醒：您的{p}账户需要注销，否则每月扣费{a}元，请告诉我收到的验证码以完成操作。",
    ),
    "ordinary": (
        "【{p}】您的验证码是{a}，5分钟内有效，请勿泄露给他人。",
        "晚上一起吃饭吗？我{h}点左右到 😀",
        "您尾号{d}的储蓄卡{m}月{day}日{h}:05收入人民币{a}.00元，活期余额{a}.37元。【工商银行】",
        "快递已放在小区门口驿站，取件码 {d}-{a}，请及时领取 & 祝您生活愉快！",
        "妈，周末我回家，带点水果<苹果>回来 \"好吗\"",
    ),
}


def generate_messages(n: int, seed: int = 20261120, start: datetime | None = None) -> list[dict[str, Any]]:
    """``n`` realistic-looking Chinese messages, the same for the same seed (with XML-special
    characters, emoji and newlines now and then, and about a fifth sent at night)."""
    rng = random.Random(seed)
    start = start or datetime(2026, 1, 1, tzinfo=CHINA)
    kinds = list(_TEMPLATES)
    out: list[dict[str, Any]] = []
    moment = start
    for _ in range(n):
        kind = rng.choices(kinds, weights=(5, 2, 2, 3))[0]
        platform = rng.choice(_PLATFORMS)
        text = rng.choice(_TEMPLATES[kind]).format(
            p=platform, p2=f"x{rng.randrange(100, 999)}", n=rng.choice(_NAMES), a=rng.randrange(300, 50000),
            d=rng.randrange(1, 120), h=rng.randrange(9, 23), m=rng.randrange(1, 13), day=rng.randrange(1, 29),
        )
        if rng.random() < 0.05:
            text += "\n回复TD退订"
        moment += timedelta(seconds=rng.randrange(60, 4 * 3600))
        if rng.random() < 0.2:
            moment = moment.replace(hour=rng.choice((22, 23, 0, 1, 5, 6, 7)))
        if kind == "ordinary" and "银行" in text:
            sender = rng.choice(_BANKS)
        elif kind == "ordinary" and rng.random() < 0.5:
            sender = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        elif kind in ("collection", "scam") and rng.random() < 0.6:
            sender = f"1069{rng.randrange(10**7, 10**9)}"
        else:
            sender = f"+86 1{rng.choice('67')}{rng.randrange(10**8, 10**9)}"
        out.append({"text": text, "sender": sender.replace(" ", ""), "received_at": moment,
                    "direction": "out" if rng.random() < 0.05 else "in"})
    return out
