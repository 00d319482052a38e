"""Documents people send: stop-contact and deletion letters, complaints, police and spam reports, a note
to friends. Built from analysed messages (``facts``) and the knowledge base, rendered from the Jinja2
templates in ``anning/data/letters`` to Markdown, DOCX or PDF.

Nothing here imports python-docx or WeasyPrint until a DOCX or PDF is asked for.
"""

from __future__ import annotations

from pathlib import Path

from anning.documents.catalog import Catalog, DocumentDef, LetterDataError, load_catalog
from anning.documents.facts import LetterFacts, Person

FORMATS = ("md", "docx", "pdf")

__all__ = ["FORMATS", "Catalog", "DocumentDef", "DocumentError", "LetterDataError", "LetterFacts", "Person",
           "load_catalog", "render_document", "write_document"]


class DocumentError(RuntimeError):
    """The document cannot be made (bad input, missing extra, unwritable path); nothing was written."""


def render_document(kind: str, facts: LetterFacts, person: Person, lang: str = "zh",
                    tone: str | None = None) -> tuple[DocumentDef, str]:
    """The document ``kind`` as Markdown."""
    from anning.documents.render import render_markdown
    from anning.knowledge import load_knowledge

    catalog = load_catalog()
    if kind not in catalog.documents:
        raise DocumentError(f"unknown document '{kind}'; documents: {', '.join(catalog.documents)}")
    doc = catalog.documents[kind]
    try:
        return doc, render_markdown(doc, facts, person, load_knowledge(), catalog, lang, tone)
    except ValueError as exc:
        raise DocumentError(str(exc)) from exc


def write_document(kind: str, facts: LetterFacts, person: Person, out: Path, fmt: str = "md", lang: str = "zh",
                   tone: str | None = None) -> Path:
    """Render and write the document; ``out`` appears only when complete (temporary file, then rename)."""
    from anning.documents.render import blank_pattern, render_html

    if fmt not in FORMATS:
        raise DocumentError(f"unknown format '{fmt}'; formats: {', '.join(FORMATS)}")
    doc, markdown = render_document(kind, facts, person, lang, tone)
    catalog = load_catalog()
    out = Path(out)
    if fmt == "pdf":
        from anning.pdf import PdfError, html_to_pdf

        try:
            return html_to_pdf(render_html(markdown, doc.title[lang], catalog, lang), out)
        except PdfError as exc:
            raise DocumentError(str(exc)) from exc
    if fmt == "docx":
        from anning.documents.docx import DocxError, markdown_to_docx

        try:
            return markdown_to_docx(markdown, out, blank_pattern(catalog, lang), doc.title[lang], lang)
        except DocxError as exc:
            raise DocumentError(str(exc)) from exc
    return _write_text(markdown, out)


def _write_text(text: str, out: Path) -> Path:
    from anning.files import write_atomically

    return write_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), DocumentError)
