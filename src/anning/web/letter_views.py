"""文书 pages: fill in a few personal details, preview and download the letters (PDF / DOCX)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from anning.web.app import WebState, field_text, lang_of, secure_form
from anning.web.strings import t


def letters_available() -> bool:
    try:
        import anning.documents  # noqa: F401
    except ImportError:
        return False
    return True


def register(app: FastAPI, state: WebState, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/letters", response_class=HTMLResponse)
    async def letters(request: Request) -> HTMLResponse:
        if not letters_available():
            return page(request, "error.html", status=503, message=t("letters_missing", lang_of(request)))
        return page(request, "letters.html", message={"text": "", "sender": "", "at": ""})

    @app.post("/letters/from-message", response_class=HTMLResponse)
    async def from_message(request: Request) -> Response:
        form = await secure_form(request)
        if not letters_available():
            return page(request, "error.html", status=503, message=t("letters_missing", lang_of(request)))
        message = {"text": field_text(form, "text"), "sender": field_text(form, "sender"), "at": field_text(form, "at")}
        return page(request, "letters.html", message=message)
