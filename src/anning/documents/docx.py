"""A letter's Markdown as a Word document (python-docx, the ``docs`` extra; imported lazily).

The Markdown is parsed with the same parser as the HTML/PDF path, so all three formats carry the same
text. East Asian text gets an explicit ``w:eastAsia`` font on every run and style (Word otherwise falls
back to a Japanese or Latin font for Chinese); blanks to fill in are highlighted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
MONO = "Noto Sans Mono CJK SC"


class DocxError(RuntimeError):
    """DOCX output is not available (python-docx missing) or the file cannot be written."""


def _docx():
    try:
        import docx
    except ImportError as exc:
        raise DocxError(f"DOCX output needs the docs extra: pip install 'anning[docs]' ({exc})") from exc
    return docx


def _set_fonts(target: Any, font: str, east_asia: str) -> None:
    """Set Latin and East Asian fonts on a run or a style (``w:rFonts`` with ``w:eastAsia``)."""
    from docx.oxml.ns import qn

    target.font.name = font
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), east_asia if attr == "w:eastAsia" else font)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _shade(paragraph_or_cell: Any, fill: str, cell: bool = False) -> None:
    from docx.oxml.ns import qn

    owner = paragraph_or_cell._tc.get_or_add_tcPr() if cell else paragraph_or_cell._p.get_or_add_pPr()
    shd = owner.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill})
    owner.append(shd)


class _Writer:
    def __init__(self, blank: re.Pattern[str], lang: str):
        docx = _docx()
        from docx.enum.text import WD_COLOR_INDEX
        from docx.shared import Cm, Pt, RGBColor

        self.Pt, self.Cm, self.RGB, self.HL = Pt, Cm, RGBColor, WD_COLOR_INDEX
        self.doc = docx.Document()
        self.blank = blank
        self.lang = lang
        sec = self.doc.sections[0]
        sec.page_width, sec.page_height = Cm(21), Cm(29.7)
        sec.left_margin = sec.right_margin = Cm(2.2)
        sec.top_margin = sec.bottom_margin = Cm(2.2)
        styles = self.doc.styles
        normal = styles["Normal"]
        _set_fonts(normal, SERIF, SERIF)
        normal.font.size = Pt(11)
        normal.paragraph_format.line_spacing = 1.5
        normal.paragraph_format.space_after = Pt(6)
        for name, size in (("Title", 18), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11.5)):
            st = styles[name]
            _set_fonts(st, SANS, SANS)
            st.font.size = Pt(size)
            st.font.color.rgb = RGBColor(0x11, 0x11, 0x11)
        for name in ("List Bullet", "List Number", "Quote", "Table Grid"):
            if name in [s.name for s in styles]:
                _set_fonts(styles[name], SERIF, SERIF)
        self.doc.core_properties.language = "zh-CN" if lang == "zh" else "en-GB"

    # -- inline ---------------------------------------------------------------------------------
    def inline(self, paragraph: Any, children: list[Any], size: float | None = None, mono: bool = False) -> None:
        bold = italic = False
        for tok in children:
            t = tok.type
            if t == "strong_open":
                bold = True
            elif t == "strong_close":
                bold = False
            elif t == "em_open":
                italic = True
            elif t == "em_close":
                italic = False
            elif t in ("softbreak",):
                self.text(paragraph, "" if self.lang == "zh" else " ", bold, italic, size, mono)
            elif t == "hardbreak":
                paragraph.add_run().add_break()
            elif t in ("text", "code_inline"):
                self.text(paragraph, tok.content, bold, italic, size, mono or t == "code_inline")

    def text(self, paragraph: Any, text: str, bold: bool, italic: bool, size: float | None, mono: bool) -> None:
        pos = 0
        for m in self.blank.finditer(text):
            if m.start() > pos:
                self.run(paragraph, text[pos:m.start()], bold, italic, size, mono)
            self.run(paragraph, m.group(0), bold, italic, size, mono, blank=True)
            pos = m.end()
        if pos < len(text):
            self.run(paragraph, text[pos:], bold, italic, size, mono)

    def run(self, paragraph: Any, text: str, bold: bool, italic: bool, size: float | None, mono: bool,
            blank: bool = False) -> None:
        r = paragraph.add_run(text)
        r.bold = bold or None
        r.italic = italic or None
        font = MONO if mono else (SANS if bold else SERIF)
        _set_fonts(r, font, font)
        if size:
            r.font.size = self.Pt(size)
        if blank:
            r.font.highlight_color = self.HL.YELLOW
            r.underline = True

    # -- blocks ---------------------------------------------------------------------------------
    def build(self, tokens: list[Any]) -> None:
        lists: list[dict[str, Any]] = []  # stack: {"ordered": bool, "n": int}
        quote = 0
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            t = tok.type
            if t == "heading_open":
                level = int(tok.tag[1])
                p = self.doc.add_heading(level=0 if level == 1 else min(level - 1, 3))
                if level == 1:
                    from docx.enum.text import WD_ALIGN_PARAGRAPH

                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for r in p.runs:
                    _set_fonts(r, SANS, SANS)
                self.inline(p, tokens[i + 1].children or [])
                for r in p.runs:
                    _set_fonts(r, SANS, SANS)
                i += 3
                continue
            if t in ("bullet_list_open", "ordered_list_open"):
                start = int(tok.attrGet("start") or 1) if t == "ordered_list_open" else 1
                lists.append({"ordered": t == "ordered_list_open", "n": start - 1})
            elif t in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif t == "list_item_open":
                lists[-1]["n"] += 1
                lists[-1]["fresh"] = True
            elif t == "blockquote_open":
                quote += 1
            elif t == "blockquote_close":
                quote -= 1
            elif t == "paragraph_open":
                inline = tokens[i + 1]
                p = self.doc.add_paragraph()
                size = None
                if lists:
                    depth = len(lists)
                    p.paragraph_format.left_indent = self.Cm(0.75 * depth)
                    p.paragraph_format.first_line_indent = self.Cm(-0.6)
                    p.paragraph_format.space_after = self.Pt(3)
                    if lists[-1].get("fresh"):
                        marker = f"{lists[-1]['n']}. " if lists[-1]["ordered"] else "• "
                        self.run(p, marker, False, False, None, False)
                        lists[-1]["fresh"] = False
                if quote:
                    p.paragraph_format.left_indent = self.Cm(0.4)
                    p.paragraph_format.right_indent = self.Cm(0.4)
                    _shade(p, "F1F2F4")
                    size = 10
                self.inline(p, inline.children or [], size=size)
                i += 3
                continue
            elif t == "fence":
                p = self.doc.add_paragraph()
                p.paragraph_format.left_indent = self.Cm(0.3)
                p.paragraph_format.line_spacing = 1.2
                _shade(p, "F7F7F2")
                lines = tok.content.rstrip("\n").split("\n")
                for n, line in enumerate(lines):
                    if n:
                        p.add_run().add_break()
                    self.text(p, line, False, False, 10, True)
            elif t == "table_open":
                i = self.table(tokens, i)
                continue
            elif t == "hr":
                p = self.doc.add_paragraph("—" * 12)
                from docx.enum.text import WD_ALIGN_PARAGRAPH

                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for r in p.runs:
                    _set_fonts(r, SERIF, SERIF)
            i += 1

    def table(self, tokens: list[Any], i: int) -> int:
        rows: list[list[tuple[bool, list[Any]]]] = []
        while tokens[i].type != "table_close":
            tok = tokens[i]
            if tok.type == "tr_open":
                rows.append([])
            elif tok.type in ("th_open", "td_open"):
                rows[-1].append((tok.type == "th_open", tokens[i + 1].children or []))
            i += 1
        ncols = max(len(r) for r in rows)
        table = self.doc.add_table(rows=len(rows), cols=ncols)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, (header, children) in enumerate(row):
                cell = table.cell(r, c)
                p = cell.paragraphs[0]
                p.paragraph_format.space_after = self.Pt(0)
                p.paragraph_format.line_spacing = 1.2
                if header:
                    _shade(cell, "ECEFF3", cell=True)
                    self.inline(p, [_Bold(True), *children, _Bold(False)], size=9.5)
                else:
                    self.inline(p, children, size=9.5)
        self.doc.add_paragraph().paragraph_format.space_after = self.Pt(2)
        return i + 1


class _Bold:
    def __init__(self, on: bool):
        self.type = "strong_open" if on else "strong_close"
        self.content = ""


def markdown_to_docx(markdown: str, out: Path, blank: re.Pattern[str], title: str, lang: str = "zh") -> Path:
    """Write ``markdown`` (a rendered letter) as a DOCX at ``out`` (temporary file, then rename)."""
    from anning.documents.render import markdown_parser
    from anning.files import write_atomically

    writer = _Writer(blank, lang)
    writer.doc.core_properties.title = title
    writer.build(markdown_parser().parse(markdown))
    return write_atomically(out, lambda tmp: writer.doc.save(str(tmp)), DocxError)
