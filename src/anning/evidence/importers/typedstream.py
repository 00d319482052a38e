"""The plain string inside an iMessage ``attributedBody`` (an NSAttributedString in NeXT typedstream).

Since iOS 16 ``message.text`` is often NULL and the text lives only in this blob. The layout, as
archived by ``NSArchiver``::

    04 0b "streamtyped" 81 e8 03 84 01 "@" 84 84 84 12 "NSAttributedString" 00 84 84 08 "NSObject" 00
    85 92 84 84 84 08 "NSString" 01 94 84 01 "+" <length> <UTF-8 bytes> 86 84 ... (attribute runs)

``<length>`` is a typedstream integer: one byte for 0..127, ``0x81`` + 2 bytes little-endian, or
``0x82`` + 4 bytes little-endian. Only that first string is read; anything that does not match this
layout exactly raises ValueError (the row is then rejected, never guessed).
"""

from __future__ import annotations

import struct

HEADER = b"\x04\x0bstreamtyped"
CLASS_MARKER = b"NSString"
STRING_TYPE = b"\x84\x01+"
_SEARCH_WINDOW = 32  # bytes between the class name and the "+" type tag in real blobs: 5


def extract_text(blob: bytes) -> str:
    if not blob.startswith(HEADER):
        raise ValueError("not a typedstream")
    marker = blob.find(CLASS_MARKER)
    if marker < 0:
        raise ValueError("no NSString in the attributedBody")
    tag = blob.find(STRING_TYPE, marker + len(CLASS_MARKER), marker + len(CLASS_MARKER) + _SEARCH_WINDOW)
    if tag < 0:
        raise ValueError("no string after NSString")
    pos = tag + len(STRING_TYPE)
    if pos >= len(blob):
        raise ValueError("attributedBody ends before the string length")
    first = blob[pos]
    if first < 0x80:
        length, pos = first, pos + 1
    elif first == 0x81:
        (length,) = struct.unpack_from("<H", blob, pos + 1)
        pos += 3
    elif first == 0x82:
        (length,) = struct.unpack_from("<I", blob, pos + 1)
        pos += 5
    else:
        raise ValueError(f"unknown typedstream length tag 0x{first:02x}")
    if pos + length > len(blob):
        raise ValueError("string longer than the attributedBody")
    return blob[pos:pos + length].decode("utf-8")  # strict: UnicodeDecodeError is a ValueError

