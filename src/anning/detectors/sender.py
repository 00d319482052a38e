"""Sender-number analysis: which class of number sent the message and what that does (not) prove.

The classes and their wording are data (``senders.yaml``); phonenumbers supplies the carrier of a
mobile number. A class may emit a signal that rules combine with content (a bank that texts from a
personal mobile, a court that writes from abroad).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from anning.detectors import Prepared
from anning.knowledge import Knowledge
from anning.model import Signal

_STRIP = re.compile(r"[\s\-()（）]")
_CN_PREFIX = re.compile(r"^(?:\+86|0086|86(?=1[3-9]\d{9}$))")


def clean_sender(raw: str) -> str:
    return _CN_PREFIX.sub("", _STRIP.sub("", raw.strip()))


# phonenumbers' carrier names and mobile-number rules for China depend only on the first digits of an
# 11-digit mobile number (at most five; a test checks this on random numbers): one lookup per prefix.
_PREFIX_DIGITS = 5
_carrier_by_prefix: dict[tuple[str, str], str] = {}


def _carrier(number: str, lang: str = "zh") -> str:
    if len(number) == 11 and number.isdigit() and number.startswith("1"):
        key = (number[:_PREFIX_DIGITS], lang)
        name = _carrier_by_prefix.get(key)
        if name is None:
            name = _carrier_by_prefix[key] = _carrier_lookup(number, lang)
        return name
    return _carrier_lookup(number, lang)


@lru_cache(maxsize=1024)
def _carrier_lookup(number: str, lang: str = "zh") -> str:
    try:
        import phonenumbers
        from phonenumbers import carrier

        parsed = phonenumbers.parse(number, "CN")
        return carrier.name_for_number(parsed, lang) or ""
    except Exception:  # phonenumbers raises several types on odd input; the carrier is only a detail
        return ""


def classify(raw: str, k: Knowledge, lang: str = "zh") -> dict[str, Any]:
    cleaned = clean_sender(raw)
    probe = re.sub(r"[x*]", "0", cleaned.lower())
    for sclass in k.senders:
        if sclass.pattern.search(probe):
            info: dict[str, Any] = {
                "raw": raw, "number": cleaned, "type": sclass.id,
                "label": sclass.label[lang], "proves": sclass.proves[lang], "signal": sclass.signal,
            }
            if sclass.id.startswith("mobile") and "x" not in probe and "*" not in cleaned:
                info["carrier"] = _carrier(cleaned, lang)
            return info
    return {"raw": raw, "number": cleaned, "type": "unknown", "label": "", "proves": "", "signal": None}


def detect(p: Prepared, k: Knowledge) -> list[Signal]:
    info = p.entities.get("sender")
    if not info or not info.get("signal"):
        return []
    return [Signal(info["signal"], "sender", (), info["number"], {"type": info["type"]})]
