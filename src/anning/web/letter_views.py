"""文书 pages: fill in a few personal details, preview and download the letters (PDF / DOCX).

The same calls as ``anning letter --message``: the message is analysed, ``LetterFacts.from_verdict``
turns the verdict into facts, ``anning.documents`` renders and writes the document.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from anning.web.app import MAX_TEXT, WebState, field_text, lang_of, secure_form
from anning.web.strings import t

PHONE = re.compile(r"^\+?[\d \-]{5,20}$")
ID4 = re.compile(r"^(\d{4}|\d{3}[Xx])$")
MEDIA = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
# The preview is the letter's own HTML (with its stylesheet) in a sandboxed frame: no script at all.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"


def letters_available() -> bool:
    try:
        import anning.documents  # noqa: F401
    except ImportError:
        return False
    return True


def register(app: FastAPI, state: WebState, page: Callable[..., HTMLResponse]) -> None:
    def catalog() -> Any:
        from anning.documents import load_catalog

        return load_catalog()

    def show(request: Request, message: dict[str, str], values: dict[str, str] | None = None,
             error: str | None = None) -> HTMLResponse:
        available = letters_available()
        ctx: dict[str, Any] = {"available": available, "message": message, "values": values or {}, "error": error}
        if available:
            ctx["catalog"] = catalog()
        return page(request, "letters.html", status=(400 if error else 200) if available else 503, **ctx)

    def message_of(form: FormData) -> dict[str, str]:
        return {"text": field_text(form, "text")[:MAX_TEXT], "sender": field_text(form, "sender")[:40],
                "at": field_text(form, "at")[:40]}

    @app.get("/letters", response_class=HTMLResponse)
    async def letters(request: Request) -> HTMLResponse:
        return show(request, {"text": "", "sender": "", "at": ""})

    @app.post("/letters/from-message", response_class=HTMLResponse)
    async def from_message(request: Request) -> Response:
        form = await secure_form(request)
        return show(request, message_of(form))

    @app.post("/letters/make")
    async def make(request: Request) -> Response:
        from anning.documents import DocumentError, write_document
        from anning.documents.facts import LetterFacts, Person
        from anning.documents.render import render_html

        form = await secure_form(request)
        lang = lang_of(request)
        message = message_of(form)
        values = {key: field_text(form, key) for key in ("kind", "name", "phone", "id_last4", "tone", "action")}
        cat = catalog()
        doc = cat.documents.get(values["kind"])
        error = None
        if doc is None:
            error = t("letter_kind", lang) + "?"
        elif not message["text"]:
            error = t("empty_text", lang)
        elif values["name"] and len(values["name"]) > 40:
            error = t("bad_name", lang)
        elif values["phone"] and not PHONE.match(values["phone"]):
            error = t("bad_phone", lang)
        elif values["id_last4"] and not ID4.match(values["id_last4"]):
            error = t("bad_id4", lang)
        if error:
            return show(request, message, values, error)
        tone = values["tone"] if values["tone"] in doc.tones else None
        person = Person(values["name"] or None, values["phone"] or None, values["id_last4"] or None)
        try:
            verdict = await run_in_threadpool(state.analyze, message["text"], message["sender"] or None,
                                              message["at"] or None, lang)
        except ValueError:
            return show(request, message, values, t("bad_time", lang))
        facts = LetterFacts.from_verdict(verdict, state.k, lang)
        action = values["action"] if values["action"] in ("preview", "pdf", "docx") else "preview"
        if action == "preview":
            from anning.documents import render_document

            def preview() -> str:
                d, markdown = render_document(doc.id, facts, person, lang, tone)
                return render_html(markdown, d.title[lang], cat, lang)

            try:
                html = await run_in_threadpool(preview)
            except DocumentError as exc:
                raise HTTPException(400, str(exc)) from None
            return HTMLResponse(html, headers={"content-security-policy": PREVIEW_CSP})

        def build() -> bytes:
            with tempfile.TemporaryDirectory(prefix="anning-letter-") as work:
                out = write_document(doc.id, facts, person, Path(work) / f"letter.{action}", action, lang, tone)
                return out.read_bytes()

        try:
            data = await run_in_threadpool(build)
        except DocumentError as exc:
            raise HTTPException(400, str(exc)) from None
        return Response(data, media_type=MEDIA[action],
                        headers={"content-disposition": f'attachment; filename="{doc.id}.{action}"'})
