"""文书 pages: fill in a few personal details, preview and download the letters (PDF / DOCX)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from anning.web.app import WebState, field_text, secure_form


def letters_available() -> bool:
    try:
        import anning.documents  # noqa: F401
    except ImportError:
        return False
    return True


def register(app: FastAPI, state: WebState, page: Callable[..., HTMLResponse]) -> None:
    @app.get("/letters", response_class=HTMLResponse)
    async def letters(request: Request) -> HTMLResponse:
        available = letters_available()
        return page(request, "letters.html", status=200 if available else 503, available=available,
                    message={"text": "", "sender": "", "at": ""})

    @app.post("/letters/from-message", response_class=HTMLResponse)
    async def from_message(request: Request) -> Response:
        form = await secure_form(request)
        available = letters_available()
        message = {"text": field_text(form, "text")[:5000], "sender": field_text(form, "sender")[:40],
                   "at": field_text(form, "at")[:40]}
        return page(request, "letters.html", status=200 if available else 503, available=available,
                    message=message)
