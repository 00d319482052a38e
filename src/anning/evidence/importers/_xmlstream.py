"""A streaming byte filter in front of lxml for SMS Backup & Restore files.

It does two things lxml cannot be asked to do:

* **refuses any DTD before the parser sees it.** lxml expands internal entities inside attribute
  values even with ``resolve_entities=False`` (and ``huge_tree=True`` lifts libxml2's amplification
  limits), so a "billion laughs" file must never reach it. The prolog (XML declaration, comments,
  processing instructions) is read by hand up to the root element; any ``<!DOCTYPE``/``<!ENTITY``
  there is an ImportFormatError. After the root element a DTD is not well-formed XML anyway.
* **repairs character references XML 1.0 forbids but the app writes.** Android's app escapes each
  UTF-16 unit of an emoji separately (``&#55357;&#56832;``); libxml2 rejects surrogate references,
  so a pair becomes the real code point (``&#128512;``). A lone surrogate becomes U+FFFD and a C0
  control character (``&#27;``) its visible Control Picture (U+241B "␛"), so one odd message never
  makes the whole backup unreadable. Line numbers are unchanged (no newline is added or removed).

The filter works on ASCII-compatible encodings only (the app writes UTF-8); it keeps a small tail
between chunks and cuts only just before a ``<`` (never inside a run of character references).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

from ._common import CHUNK, fail

_REF_RUN = re.compile(rb"&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});(?:&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});)*")
_REF = re.compile(rb"&#([0-9]+|[xX][0-9a-fA-F]+);")
_NAME_START = re.compile(rb"<([A-Za-z_:][-A-Za-z0-9_:.]*)")
PROLOG_LIMIT = 1 << 20
_MAX_CARRY = 1 << 20


def _valid_xml_char(cp: int) -> bool:
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF


def _fix_run(match: re.Match[bytes]) -> bytes:
    run = match.group(0)
    points = []
    for ref in _REF.finditer(run):
        digits = ref.group(1)
        points.append(int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits))
    if all(_valid_xml_char(cp) for cp in points):
        return run
    out: list[int] = []
    i = 0
    while i < len(points):
        cp = points[i]
        if 0xD800 <= cp <= 0xDBFF and i + 1 < len(points) and 0xDC00 <= points[i + 1] <= 0xDFFF:
            out.append(0x10000 + ((cp - 0xD800) << 10) + (points[i + 1] - 0xDC00))
            i += 2
            continue
        if cp < 0x20 and not _valid_xml_char(cp):
            out.append(0x2400 + cp)  # Control Pictures: U+2400 NUL ... U+241F US
        elif not _valid_xml_char(cp):
            out.append(0xFFFD)
        else:
            out.append(cp)
        i += 1
    return b"".join(b"&#%d;" % cp for cp in out)


def fix_char_refs(data: bytes) -> bytes:
    if b"&#" not in data:
        return data
    return _REF_RUN.sub(_fix_run, data)


class SafeXmlStream:
    """A read()-able wrapper: prolog checked by :meth:`prime`, character references repaired."""

    def __init__(self, fh: BinaryIO, path: Path) -> None:
        self._fh = fh
        self._path = path
        self._pending = b""  # filtered bytes ready for the parser
        self._carry = b""  # raw bytes not filtered yet (may end inside a reference run)
        self._eof = False
        self.root_tag: str | None = None

    def prime(self) -> str:
        """Read the prolog up to the root element; return its name. Raises on a DTD or a non-XML file."""
        buf = b""
        while True:
            chunk = self._fh.read(CHUNK)
            buf += chunk
            tag = self._scan_prolog(buf, final=not chunk)
            if tag is not None:
                break
            if len(buf) > PROLOG_LIMIT:
                raise fail("XML 文件开头过长，找不到根元素", "no root element in the first megabyte", self._path)
        self._carry = buf
        self.root_tag = tag
        return tag

    def _scan_prolog(self, buf: bytes, final: bool) -> str | None:
        pos = 0
        if buf.startswith(b"\xef\xbb\xbf"):
            pos = 3
        elif buf.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")):
            raise fail("只支持 UTF-8 编码的 XML", "only UTF-8 XML is supported (this looks like UTF-16)", self._path)
        while True:
            while pos < len(buf) and buf[pos] in b" \t\r\n":
                pos += 1
            if pos >= len(buf):
                return self._need_more(final)
            if buf[pos:pos + 1] != b"<":
                raise fail("不是 XML 文件", "not an XML file", self._path)
            head = buf[pos:pos + 9]
            if head.startswith(b"<?"):
                end = buf.find(b"?>", pos + 2)
                if end < 0:
                    return self._need_more(final)
                pos = end + 2
            elif head.startswith(b"<!--"):
                end = buf.find(b"-->", pos + 4)
                if end < 0:
                    return self._need_more(final)
                pos = end + 3
            elif head.startswith(b"<!"):
                if len(head) < 9 and not final:
                    return None
                raise fail(
                    "出于安全考虑，拒绝含 DOCTYPE/ENTITY 声明的 XML（手机导出文件不会有这些声明）",
                    "XML with a DOCTYPE or ENTITY declaration is refused for safety "
                    "(entity expansion, external entities); phone exports never contain one", self._path)
            else:
                match = _NAME_START.match(buf, pos)
                if match is None:
                    if len(buf) - pos < 256 and not final:
                        return None
                    raise fail("不是 XML 文件", "not an XML file", self._path)
                if match.end() == len(buf) and not final:
                    return None
                return match.group(1).decode("ascii")

    def _need_more(self, final: bool) -> None:
        if final:
            raise fail("XML 文件没有根元素（文件被截断或不是导出文件）",
                       "the XML has no root element (truncated or not an export)", self._path)
        return None

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else max(size, 1)
        while len(self._pending) < want and not (self._eof and not self._carry):
            if not self._eof:
                chunk = self._fh.read(CHUNK)
                if chunk:
                    self._carry += chunk
                else:
                    self._eof = True
            if self._eof:
                self._pending += fix_char_refs(self._carry)
                self._carry = b""
                break
            cut = self._carry.rfind(b"<")
            if cut <= 0:
                if len(self._carry) < _MAX_CARRY:
                    continue
                cut = len(self._carry) - 64  # pathological: a megabyte without "<"
            self._pending += fix_char_refs(self._carry[:cut])
            self._carry = self._carry[cut:]
        out, self._pending = self._pending[:want], self._pending[want:]
        return out
