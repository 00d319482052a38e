"""Every word the web pages ask for exists in data/web.yaml, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import anning.web
from anning.web.strings import LANGS, strings, t

WEB = Path(anning.web.__file__).parent
KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")


def test_every_key_used_is_defined():
    used = {m.group(1) for path in [*WEB.rglob("*.py"), *WEB.rglob("*.html")]
            for m in KEY.finditer(path.read_text(encoding="utf-8"))}
    assert len(used) > 30
    missing = sorted(used - set(strings()))
    assert not missing, f"keys used by the web app but missing from data/web.yaml: {missing}"


def test_both_languages_and_formatting():
    assert all(set(LANGS) <= set(entry) for entry in strings().values())
    assert t("text_too_long", "en", n=5000) == "The message is too long (at most 5000 characters)."
    assert t("nav_check", "zh") == "检查短信"
