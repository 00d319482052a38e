"""Android "SMS Backup & Restore" XML: ``<smses>`` (sms and mms) and ``<calls>`` backups.

Streamed with lxml ``iterparse`` behind :class:`SafeXmlStream` (no DTD ever reaches the parser);
each ``sms``/``mms``/``call`` element is cleared once read, with its finished siblings, so memory
stays flat whatever the file size.

``sender`` is the other party's number (the app's ``address``): who sent an incoming message, the
recipient of a sent one. Times are the ``date`` attribute (ms since 1970, UTC) in China time.

Truncated or malformed file: every element completed before the break is yielded, then
ImportFormatError says at which line and column the file breaks and how many records were read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from anning.evidence.records import Direction, ImportFormatError, RawRecord, Rejected

from ._common import clean_optional, fail, from_unix_ms
from ._xmlstream import SafeXmlStream

FORMAT = "android-xml"
ROOTS = ("smses", "calls")
SMS_DIRECTION: dict[str, Direction] = {"1": "in", "2": "out"}
MMS_DIRECTION: dict[str, Direction] = {"1": "in", "2": "out"}
# CallLog.Calls.TYPE: 1 incoming, 2 outgoing, 3 missed, 4 voicemail, 5 rejected, 6 blocked,
# 7 answered externally. Only 2 is ours; the kind itself stays in raw["type"].
CALL_OUT = {"2"}
ADDR_FROM, ADDR_TO = "137", "151"
_NO_ADDRESS = {"insert-address-token", ""}

Item = RawRecord | Rejected


def read(path: Path) -> Iterator[Item]:
    """Checks the prolog and root element now (ImportFormatError before anything is read), then streams."""
    fh = path.open("rb")
    try:
        stream = SafeXmlStream(fh, path)
        root = stream.prime()
        if root not in ROOTS:
            raise fail(f"不是「SMS Backup & Restore」导出（根元素是 <{root}>，应为 <smses> 或 <calls>）",
                       f"not an SMS Backup & Restore export (root element <{root}>, expected <smses> or <calls>)",
                       path)
    except BaseException:
        fh.close()
        raise
    return _iterate(fh, stream, path)


def _iterate(fh: BinaryIO, stream: SafeXmlStream, path: Path) -> Iterator[Item]:
    with fh:
        counts = {"sms": 0, "mms": 0, "call": 0}
        parser = etree.iterparse(
            stream, events=("end",), tag=("sms", "mms", "call"), resolve_entities=False,
            no_network=True, load_dtd=False, huge_tree=True, remove_comments=True, remove_pis=True,
        )
        try:
            for _event, elem in parser:
                tag = elem.tag
                counts[tag] += 1
                ref = f"{tag} {counts[tag]}"
                if tag == "sms":
                    yield _sms(elem, ref)
                elif tag == "mms":
                    yield _mms(elem, ref)
                else:
                    yield _call(elem, ref)
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            raise _broken(path, exc, counts) from None


def _broken(path: Path, exc: etree.XMLSyntaxError, counts: dict[str, int]) -> ImportFormatError:
    line, column = exc.position if exc.position else (0, 0)
    detail = exc.msg or str(exc)
    last = exc.error_log.last_error if exc.error_log else None
    if line <= 0 and last is not None:  # iterparse sometimes reports "no element found" at 0:0
        line, column, detail = last.line, last.column, last.message
    detail = re.sub(r", line \d+, column \d+$", "", detail)
    read_so_far = sum(counts.values())
    return fail(
        f"XML 在第 {line} 行第 {column} 列处中断或损坏（文件可能没有完整复制）；此前已读出 {read_so_far} 条",
        f"the XML is truncated or broken at line {line}, column {column} ({detail}); "
        f"{read_so_far} entries were read before it",
        path,
    )


def _attrs(elem: Any) -> dict[str, str]:
    return dict(elem.attrib)  # lxml gives str names and values


def _time(attrs: dict[str, str], ref: str) -> str | Rejected | None:
    value = attrs.get("date")
    if value is None or value.strip() in ("", "null"):
        return None
    try:
        return from_unix_ms(int(value.strip()))
    except (ValueError, OverflowError, OSError):
        return Rejected(ref, f"无法识别的时间 date={value!r} / unreadable date (expected milliseconds since 1970)")


def _sms(elem: Any, ref: str) -> Item:
    attrs = _attrs(elem)
    body = attrs.get("body")
    if body is None:
        return Rejected(ref, "短信没有 body 属性 / sms without a body attribute")
    if not body.strip():
        return Rejected(ref, "短信内容为空 / empty sms body")
    when = _time(attrs, ref)
    if isinstance(when, Rejected):
        return when
    return RawRecord(
        record_type="sms", text=body, sender=clean_optional(attrs.get("address")), received_at=when,
        direction=SMS_DIRECTION.get(attrs.get("type", ""), "unknown"), source_format=FORMAT, source_ref=ref,
        contact_name=clean_optional(attrs.get("contact_name")), raw=attrs,
    )


def _mms(elem: Any, ref: str) -> Item:
    attrs = _attrs(elem)
    parts: list[dict[str, str]] = []
    texts: list[str] = []
    for part in elem.iter("part"):
        part_attrs = _attrs(part)
        if "data" in part_attrs:  # base64 media: not kept in raw, only its size
            part_attrs["data"] = f"<base64, {len(part_attrs['data'])} chars not kept>"
        parts.append(part_attrs)
        if part_attrs.get("ct", "").lower() == "text/plain":
            text = part_attrs.get("text")
            if text is not None and text != "null":
                texts.append(text)
    addrs = [_attrs(addr) for addr in elem.iter("addr")]
    direction = MMS_DIRECTION.get(attrs.get("msg_box", ""), "unknown")
    wanted = ADDR_TO if direction == "out" else ADDR_FROM
    numbers = [a.get("address", "") for a in addrs if a.get("type") == wanted]
    numbers = [n for n in numbers if n not in _NO_ADDRESS]
    sender = "~".join(numbers) if numbers else clean_optional(attrs.get("address"))
    raw: dict[str, Any] = {**attrs, "parts": parts, "addrs": addrs}
    text = "\n".join(texts)
    if not text.strip():
        return Rejected(ref, "彩信没有文字部分 / mms without a text/plain part")
    when = _time(attrs, ref)
    if isinstance(when, Rejected):
        return when
    return RawRecord(
        record_type="mms", text=text, sender=sender, received_at=when, direction=direction,
        source_format=FORMAT, source_ref=ref, contact_name=clean_optional(attrs.get("contact_name")), raw=raw,
    )


def _call(elem: Any, ref: str) -> Item:
    attrs = _attrs(elem)
    when = _time(attrs, ref)
    if isinstance(when, Rejected):
        return when
    duration: int | None
    try:
        duration = int(attrs["duration"]) if attrs.get("duration", "").strip() else None
    except ValueError:
        duration = None
    return RawRecord(
        record_type="call", text="", sender=clean_optional(attrs.get("number")), received_at=when,
        direction="out" if attrs.get("type") in CALL_OUT else ("in" if attrs.get("type") else "unknown"),
        source_format=FORMAT, source_ref=ref, contact_name=clean_optional(attrs.get("contact_name")),
        duration_s=duration, raw=attrs,
    )
