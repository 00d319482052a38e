"""Helpers shared by the importers: China time, date parsing, field aliases, encodings, errors."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from anning.evidence.records import Direction, ImportFormatError

# China Standard Time is a fixed +08:00 (the 1986-1991 summer time is long gone; a fixed offset keeps
# every converted epoch unambiguous and identical on every machine).
CHINA_TZ = timezone(timedelta(hours=8), "CST")
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 1 << 16


def fail(zh: str, en: str, path: Path | str) -> ImportFormatError:
    """A user-facing error: Chinese first, then English, then the file."""
    return ImportFormatError(f"{zh} / {en}: {path}")


# -- time ----------------------------------------------------------------------------------------
def iso_china(moment: datetime) -> str:
    """ISO 8601 in China time; milliseconds only when the source has them."""
    local = moment.astimezone(CHINA_TZ)
    spec = "seconds" if local.microsecond == 0 else "milliseconds"
    return local.isoformat(timespec=spec)


def from_unix_ms(value: int) -> str:
    seconds, millis = divmod(value, 1000)
    try:
        local = datetime.fromtimestamp(seconds, CHINA_TZ)  # exact for whole seconds, and fast
    except (OSError, OverflowError, ValueError):
        local = (UNIX_EPOCH + timedelta(seconds=seconds)).astimezone(CHINA_TZ)
    if millis:
        return local.replace(microsecond=millis * 1000).isoformat(timespec="milliseconds")
    return local.isoformat(timespec="seconds")


def from_epoch_number(value: float) -> str:
    """A Unix epoch in seconds or milliseconds (values above 1e11 are milliseconds: after 1973 in ms)."""
    if value > 1e11:
        return iso_china(UNIX_EPOCH + timedelta(milliseconds=value))
    return iso_china(UNIX_EPOCH + timedelta(seconds=value))


def from_apple(value: int | float) -> str:
    """Apple epoch (2001-01-01 UTC): seconds before iOS 11, nanoseconds since (values above 1e11)."""
    if abs(value) > 1e11:
        return iso_china(APPLE_EPOCH + timedelta(microseconds=int(value) // 1000))
    return iso_china(APPLE_EPOCH + timedelta(seconds=value))


_EPOCH_RE = re.compile(r"\d{9,13}(?:\.\d+)?")
_DATE_RE = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[T,]?\s*(?P<ampm>上午|下午|凌晨|早上|中午|晚上|AM|PM|am|pm)?\s*"
    r"(?P<H>\d{1,2})\s*(?:[:：]|时|点)\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*(?:[:：])?\s*(?P<S>\d{1,2})(?P<f>\.\d{1,9})?\s*秒?)?"
    r"\s*(?P<ampm2>AM|PM|am|pm)?"
    r"\s*(?P<tz>Z|z|UTC|GMT|[+-]\d{2}:?\d{2})?)?\s*$"
)
_PM = {"下午", "晚上", "PM", "pm"}


class DateError(ValueError):
    """A date that cannot be read; the message is the user-facing reason."""


def parse_datetime(value: str) -> str:
    """Read a date as found in CSV/JSONL/text exports and return ISO 8601 in China time.

    Accepts ``2026-11-20 23:15[:05]``, ``2026-11-20T23:15:05Z`` / ``+08:00``, ``2026/11/20 23:15``,
    ``2026年11月20日 23:15``, ``2026年11月20日 下午11:15`` and Unix epochs in seconds or milliseconds.
    Times without an offset are China time. A date without a time of day is refused (a guessed
    midnight would fake a night-time contact).
    """
    text = value.strip()
    if _EPOCH_RE.fullmatch(text):
        return from_epoch_number(float(text))
    match = _DATE_RE.match(text)
    if not match:
        raise DateError(f"无法识别的时间 / unreadable date: {value!r}")
    if match["H"] is None:
        raise DateError(f"只有日期、没有时刻 / date without a time of day: {value!r}")
    hour = int(match["H"])
    ampm = match["ampm"] or match["ampm2"]
    if ampm in _PM and hour < 12:
        hour += 12
    elif ampm in ("AM", "am", "凌晨", "早上") and hour == 12:
        hour = 0
    fraction = match["f"] or ""
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    tz = CHINA_TZ
    if match["tz"]:
        raw_tz = match["tz"]
        if raw_tz.upper() in ("Z", "UTC", "GMT"):
            tz = UTC
        else:
            sign = -1 if raw_tz[0] == "-" else 1
            digits = raw_tz[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        moment = datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, int(match["M"]),
                          int(match["S"] or 0), micro, tzinfo=tz)
    except ValueError as exc:
        raise DateError(f"不存在的日期或时刻 / impossible date: {value!r}") from exc
    return iso_china(moment)


# -- fields --------------------------------------------------------------------------------------
FIELDS = ("text", "sender", "received_at", "direction", "contact_name")
ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "message", "content", "msg", "sms", "内容", "短信内容", "正文", "消息内容",
             "信息内容", "短信"),
    "sender": ("sender", "address", "from", "phone", "number", "phone_number", "号码", "发送号码",
               "发件人", "地址", "发信人", "来电号码", "对方号码", "手机号", "手机号码", "电话", "电话号码",
               "发送方"),
    "received_at": ("received_at", "date", "time", "datetime", "timestamp", "sent_at", "时间", "日期",
                    "接收时间", "发送时间", "收信时间", "短信时间", "日期时间"),
    "direction": ("direction", "type", "box", "folder", "类型", "方向", "收发", "收/发", "信箱"),
    "contact_name": ("contact_name", "contact", "name", "联系人", "姓名", "名字", "联系人姓名"),
}


def normalise_header(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


def resolve_columns(headers: Iterable[str], mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Map the canonical fields (text, sender, ...) to the headers of the file.

    ``mapping`` (canonical field -> header as written) wins; the aliases fill in the rest, the first
    alias present in the file winning. Raises KeyError naming a mapped header that does not exist.
    """
    headers = list(headers)
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise_header(header), header)
    found: dict[str, str] = {}
    for field, header in (mapping or {}).items():
        if field not in FIELDS:
            raise KeyError(f"未知字段 {field!r}（可用：{', '.join(FIELDS)}） / unknown field {field!r}")
        if header in headers:
            found[field] = header
        elif normalise_header(header) in by_norm:
            found[field] = by_norm[normalise_header(header)]
        else:
            raise KeyError(f"没有名为 {header!r} 的列 / no column named {header!r}")
    taken = set(found.values())
    for field in FIELDS:
        if field in found:
            continue
        for alias in ALIASES[field]:
            header = by_norm.get(normalise_header(alias))
            if header is not None and header not in taken:
                found[field] = header
                taken.add(header)
                break
    return found


_IN = {"1", "in", "inbox", "incoming", "received", "receive", "recv", "接收", "收到", "收件", "收件箱",
       "已接收", "收", "来信", "inbound"}
_OUT = {"2", "out", "sent", "send", "outgoing", "outbox", "发送", "已发送", "发件", "发件箱", "发",
        "发出", "outbound"}


def parse_direction(value: object) -> Direction:
    text = str(value).strip().lower() if value is not None else ""
    if text in _IN:
        return "in"
    if text in _OUT:
        return "out"
    return "unknown"


def clean_optional(value: object) -> str | None:
    """Empty cells, "null" and the Android placeholder "(Unknown)" mean no value."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in ("null", "none", "(unknown)", "unknown"):
        return None
    return text


# -- files and encodings -------------------------------------------------------------------------
def check_file(path: Path) -> None:
    """ImportFormatError for a missing path, a directory, an unreadable or empty file."""
    if not path.exists():
        raise fail("文件不存在", "no such file", path)
    if path.is_dir():
        raise fail("这是一个文件夹，不是导出文件", "this is a directory, not an export file", path)
    if not path.is_file():
        raise fail("不是普通文件", "not a regular file", path)
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise fail("无法读取文件", f"cannot read the file ({exc.strerror})", path) from exc
    if size == 0:
        raise fail("文件为空", "the file is empty", path)


def sniff_text_encoding(path: Path) -> str:
    """The encoding of a text export: UTF-16 (with BOM), else strict UTF-8 (BOM allowed), else GB18030.

    The whole file is decoded in chunks (never held in memory), so a GBK byte on the last line is
    seen before any row is read. ImportFormatError if neither decodes.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK * 16):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    tried = "、".join(c.upper().replace("-SIG", "") for c in candidates)
    raise fail(f"无法识别文件编码（已尝试 {tried}），请另存为 UTF-8",
               f"unknown text encoding (tried {', '.join(candidates)}); save the file as UTF-8", path)
