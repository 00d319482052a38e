"""Letters as Markdown (Jinja2 templates in ``data/letters``) and as an HTML page for the PDF.

Every ``{{ value }}`` a template prints is escaped for Markdown, so a message that contains ``*`` or
``|`` cannot change the document's layout. Links, images, raw HTML and entities are switched off in
the Markdown parser for the same reason (the person's messages are untrusted text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext

from anning.documents.catalog import Catalog, DocumentDef
from anning.documents.facts import ChannelFact, Citation, LetterFacts, MessageFact, Person, channel, cite
from anning.knowledge import Knowledge


class Raw(str):
    """Markdown that a filter built on purpose (a quote, a code block): printed as is."""


_INLINE_SPECIAL = re.compile(r"([\\`*|]|(?<!\w)_|_(?!\w))")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def md_escape(value: Any) -> str:
    """Escape text so it prints literally inside a Markdown paragraph, list item or table cell."""
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return ""
    text = " ".join(str(value).splitlines()) if isinstance(value, str) else str(value)
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _quote(value: str) -> Raw:
    """A message as a block quote, line breaks kept."""
    lines = (value or "").splitlines() or [""]
    return Raw("\n".join("> " + (md_escape(line) if line.strip() else "") + ("  " if i < len(lines) - 1 else "")
                         for i, line in enumerate(lines)))


def _code(value: str) -> Raw:
    """Text to be copied exactly (an SMS report) as a fenced block."""
    runs = [len(r) for r in re.findall(r"`+", value or "")]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return Raw(f"{fence}text\n{value}\n{fence}")


_TAG = r"(?:\{%(?:(?!%\}).)*%\}|\{#(?:(?!#\}).)*#\})"
_TAG_ONLY_LINE = re.compile(rf"^[ \t]*{_TAG}(?:[ \t]*{_TAG})*[ \t]*\n", re.M)


class _TagLines(jinja2.ext.Extension):
    """A line holding only ``{% … %}`` tags or comments leaves no line behind (like ``trim_blocks``), but a
    line of text that ends with a tag keeps its line break, so Markdown paragraphs stay where they are."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _TAG_ONLY_LINE.sub(lambda m: m.group(0)[:-1], source)


def template_env(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)), undefined=jinja2.StrictUndefined, autoescape=False,
        lstrip_blocks=True, keep_trailing_newline=True, finalize=md_escape, extensions=[_TagLines],
    )
    env.filters.update(quote=_quote, code=_code, raw=Raw)
    return env


@lru_cache(maxsize=4)
def _env(root: str) -> jinja2.Environment:
    return template_env(Path(root))


def fmt_datetime(value: datetime | None, lang: str) -> str:
    if value is None:
        return "时间不详" if lang == "zh" else "time unknown"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value:%Y-%m-%d %H:%M}"


def fmt_date(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return "日期不详" if lang == "zh" else "date unknown"
    return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else f"{value:%Y-%m-%d}"


def join(items: list[str] | tuple[str, ...], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(str(i) for i in items)


@dataclass(frozen=True)
class SpamReport:
    message: MessageFact
    number: str  # the sender as shown, or a blank
    full: str  # 号码*内容
    parts: tuple[str, ...]  # empty when the full report fits in one SMS


def split_report(number: str, text: str, limit: int) -> tuple[str, tuple[str, ...]]:
    """``number*text`` and, when longer than ``limit``, parts ``number*(i/n)piece`` each ≤ ``limit``.

    Parts break after punctuation where possible; together the pieces are exactly ``text``."""
    full = f"{number}*{text}"
    if len(full) <= limit:
        return full, ()
    n = 2
    while True:
        marker = f"({n}/{n})"
        room = limit - len(number) - 1 - len(marker)
        if room < 10:
            raise ValueError(f"sender '{number}' is too long to split a report into parts of {limit} characters")
        pieces = _pieces(text, room)
        if len(pieces) <= n:
            total = len(pieces)
            parts = tuple(f"{number}*({i}/{total}){p}" for i, p in enumerate(pieces, 1))
            return full, parts
        n = len(pieces)


def _pieces(text: str, room: int) -> list[str]:
    out, rest = [], text
    while rest:
        if len(rest) <= room:
            out.append(rest)
            break
        cut = room
        window = rest[:room]
        best = max(window.rfind(p) for p in "，。；！？,.;!? \n")
        if best >= room // 2:
            cut = best + 1
        out.append(rest[:cut])
        rest = rest[cut:]
    return out


def blank_pattern(catalog: Catalog, lang: str) -> re.Pattern[str]:
    before, after = catalog.blank[lang].split("{what}")
    return re.compile(re.escape(before) + r"[^\n]*?" + re.escape(after))


def render_markdown(doc: DocumentDef, facts: LetterFacts, person: Person, k: Knowledge, catalog: Catalog,
                    lang: str = "zh", tone: str | None = None) -> str:
    """The document as Markdown. Only facts, knowledge-base text and visible blanks go in."""
    if tone is not None and tone not in doc.tones:
        raise ValueError(f"document '{doc.id}' has no tone '{tone}'"
                         + (f" (tones: {', '.join(doc.tones)})" if doc.tones else " (it has a single tone)"))
    tone = tone or (doc.tones[0] if doc.tones else None)

    def blank(what: str) -> str:
        return catalog.blank_for(what, lang)

    def field(key: str) -> str:
        return person.get(key) or blank(catalog.fields[key].label[lang])

    asks = [{"id": a.id, "text": a.text[lang].format(reply_days=catalog.reply_days),
             "cites": [cite(k, c, lang) for c in a.cite]} for a in doc.asks]
    doc_cites: list[Citation] = []
    for law_id in (*doc.cite, *(c for a in doc.asks for c in a.cite)):
        if law_id not in {c.id for c in doc_cites}:
            doc_cites.append(cite(k, law_id, lang))
    channels: list[ChannelFact] = [channel(k, c, lang) for c in doc.channels]
    spam = []
    if doc.id == "spam_report":
        for m in facts.messages:
            number = m.sender or blank("被举报号码" if lang == "zh" else "sender number")
            full, parts = split_report(m.sender or "0" * 11, m.text, catalog.sms_part_chars)
            if not m.sender:
                full = full.replace("0" * 11, number, 1)
                parts = tuple(p.replace("0" * 11, number, 1) for p in parts)
            spam.append(SpamReport(m, number, full, parts))
    lenders = [p.value for p in facts.platforms]
    context = {
        "lang": lang, "doc": doc, "title": doc.title[lang], "audience": doc.audience[lang],
        "explain": doc.explain[lang], "asks": asks, "cites": doc_cites, "channels": channels,
        "ch": {c.id: c for c in channels}, "f": facts, "person": person, "tone": tone,
        "reply_days": catalog.reply_days, "sms_part_chars": catalog.sms_part_chars, "spam": spam,
        "lender": join(lenders, lang) if lenders else None, "blank": blank, "field": field,
        "dt": lambda v: fmt_datetime(v, lang), "d": lambda v: fmt_date(v, lang), "join": lambda v: join(v, lang),
        "law": lambda law_id: cite(k, law_id, lang),
    }
    text = _env(str(catalog.root)).get_template(doc.template_name(lang)).render(context)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# ---- Markdown → HTML ---------------------------------------------------------------------------


def markdown_parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable(["link", "image", "autolink", "html_inline", "html_block", "entity", "code"])
    return md


def render_html(markdown: str, title: str, catalog: Catalog, lang: str = "zh") -> str:
    body = markdown_parser().render(markdown)
    body = blank_pattern(catalog, lang).sub(lambda m: f'<span class="blank">{m.group(0)}</span>', body)
    page = jinja2.Environment(loader=jinja2.FileSystemLoader(str(catalog.root)), autoescape=True,
                              undefined=jinja2.StrictUndefined)
    from markupsafe import Markup

    return page.get_template("layout.html.j2").render(title=title, body=Markup(body), lang=lang)
