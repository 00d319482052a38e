"""The FastAPI application: server-rendered pages over the same library calls as the CLI.

``create_app()`` builds one app; ``anning serve`` (``anning.web.cli``) runs it with uvicorn.
Every POST reads its form through ``secure_form`` (CSRF token + size limits); the middleware in
``anning.web.security`` checks the Host header, the access token and cross-site requests, and adds
the Content-Security-Policy and other headers to every response.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from anning.render import decided_by_text, entity_rows
from anning.web import present
from anning.web.security import CSRF_FIELD, CSRF_HEADER, Guard, SecurityMiddleware
from anning.web.strings import LANGS, t

MAX_TEXT = 5000  # characters in one checked message
FORM_LIMIT = 64 * 1024  # bytes of an ordinary form post
DEFAULT_UPLOAD_MB = 64
LANG_COOKIE = "anning_lang"
PACKAGE = Path(str(resources.files("anning.web")))


class LockedEngine:
    """An engine shared by the server's threads: one analysis at a time (analyses take milliseconds)."""

    def __init__(self, engine: Any, lock: threading.Lock):
        self._engine = engine
        self._lock = lock
        self.k = engine.k

    def analyze(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self._engine.analyze(*args, **kwargs)

    def analyze_batch(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self._engine.analyze_batch(*args, **kwargs)


@dataclass
class WebState:
    engine: Any
    guard: Guard
    db_path: Path | None
    upload_limit: int
    model: str | None = "auto"
    lock: threading.Lock = field(default_factory=threading.Lock)
    _md: Any = None
    _evidence_engine: Any = None

    def evidence_engine(self) -> LockedEngine:
        """The engine the evidence store analyses with: as ``anning evidence`` does (no personal rules)."""
        with self.lock:
            if self._evidence_engine is None:
                from anning.engine import Engine

                self._evidence_engine = LockedEngine(Engine(model=self.model), self.lock)
            return self._evidence_engine

    @property
    def k(self):
        return self.engine.k

    def analyze(self, text: str, sender: str | None, at: str | None, lang: str, split: bool = False) -> dict[str, Any]:
        """The verdict dict; with ``split``, a paste of several messages is judged message by message
        (``anning.paste.check_to_dict``)."""
        from anning.paste import check_to_dict

        with self.lock:  # one engine shared by the server's worker threads
            return check_to_dict(self.engine, text, sender, at, lang, split)

    def markdown(self, text: str) -> Markup:
        if self._md is None:
            from markdown_it import MarkdownIt

            self._md = MarkdownIt("commonmark", {"html": False, "linkify": False})
        return Markup(self._md.render(text))  # raw HTML in the source is escaped ("html": False)


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in LANGS else "zh"


def safe_next(target: str | None) -> str:
    """Only local paths: no scheme, no host, no protocol-relative ``//``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def secure_form(request: Request, max_files: int = 0, max_part: int = FORM_LIMIT) -> FormData:
    """Read a POSTed form and check its CSRF token (field ``csrf_token`` or header ``X-CSRF-Token``)."""
    state: WebState = request.app.state.web
    try:
        form = await request.form(max_files=max_files, max_fields=50, max_part_size=max_part)
    except HTTPException:
        raise
    except Exception as exc:  # malformed multipart / too many parts
        raise HTTPException(400, "bad form") from exc
    presented = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    secret = request.scope.get("state", {}).get("csrf_secret")
    if not state.guard.csrf_ok(secret, presented if isinstance(presented, str) else None):
        raise HTTPException(403, "csrf")
    return form


def field_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def create_app(db_path: str | Path | None = None, token: str | None = None, *, host: str = "127.0.0.1",
               allowed_hosts: tuple[str, ...] = (), personal: bool = True, model: str | None = "auto",
               upload_mb: int = DEFAULT_UPLOAD_MB, engine: Any = None) -> FastAPI:
    """Build the web app.

    ``db_path``: the evidence database (None: the store's default location). ``token``: when set, every
    request needs it (``?token=`` once, then a cookie). ``host``: the address the server binds, which
    decides the Host names accepted (loopback: localhost, 127.0.0.1, ::1); ``allowed_hosts`` adds names.
    """
    if engine is None:
        from anning.engine import Engine
        from anning.personal import PersonalStore

        engine = Engine(model=model, personal=PersonalStore() if personal else None)
    guard = Guard.for_bind(host, token, allowed_hosts)
    state = WebState(engine, guard, Path(db_path) if db_path else None, upload_mb * 1024 * 1024, model)

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, max_body_size=FORM_LIMIT)
    app.state.web = state
    templates = Jinja2Templates(directory=str(PACKAGE / "templates"))
    templates.env.globals.update(t=t, weight_text=present.weight_text)
    app.add_middleware(SecurityMiddleware, guard=guard)
    app.mount("/static", StaticFiles(directory=str(PACKAGE / "static")), name="static")

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        secret = request.scope.get("state", {}).get("csrf_secret", "")
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        base = {"lang": lang, "k": state.k, "csrf": guard.csrf_for(secret), "csrf_field": CSRF_FIELD,
                "here": quote(here, safe="/"), "path": request.url.path,
                "other_lang": "en" if lang == "zh" else "zh"}
        return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        lang = lang_of(request)
        if exc.status_code == 403 and exc.detail == "csrf":
            message = t("csrf_failed", lang)
        elif exc.status_code == 404:
            message = t("not_found", lang)
        elif exc.status_code == 413:
            message = t("too_big", lang, mb=state.upload_limit // (1024 * 1024))
        else:
            message = str(exc.detail)
        if request.headers.get("x-requested-with") == "fetch":  # app.js shows the message under the form
            return Response(message, status_code=exc.status_code, media_type="text/plain; charset=utf-8")
        return page(request, "error.html", status=exc.status_code, message=message)

    app.add_exception_handler(StarletteHTTPException, http_error)  # ours, the router's 404 and the limiter's 413

    # -- language --------------------------------------------------------------------------------
    @app.get("/lang/{lang}")
    async def switch_lang(lang: str, next: str = "/") -> Response:
        if lang not in LANGS:
            raise HTTPException(404)
        resp = RedirectResponse(safe_next(next), status_code=303)
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="strict")
        return resp

    # -- check a message -------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        return page(request, "check.html", form={"text": "", "sender": "", "at": ""})

    @app.post("/check", response_class=HTMLResponse)
    async def check(request: Request) -> HTMLResponse:
        form = await secure_form(request)
        lang = lang_of(request)
        values = {"text": field_text(form, "text"), "sender": field_text(form, "sender"), "at": field_text(form, "at")}
        error = None
        verdict = None
        if not values["text"]:
            error = t("empty_text", lang)
        elif len(values["text"]) > MAX_TEXT:
            error = t("text_too_long", lang, n=MAX_TEXT)
        else:
            try:
                verdict = await run_in_threadpool(state.analyze, values["text"], values["sender"] or None,
                                                  values["at"] or None, lang, form.get("whole") != "1")
            except ValueError:
                error = t("bad_time", lang)
        ctx: dict[str, Any] = {"form": values, "error": error, "v": verdict}
        if verdict:
            ctx |= verdict_context(verdict, lang)
        return page(request, "check.html", status=400 if error else 200, **ctx)

    def verdict_context(v: dict[str, Any], lang: str) -> dict[str, Any]:
        chosen = v["messages"][v["chosen_message"]] if v.get("messages") else None
        return {
            "pasted": [present.pasted_row(v["message"]["text"], m) for m in v.get("messages", ())],
            # what "keep as evidence" and "make a letter" take: the message shown in detail
            "keep": ({"text": v["message"]["text"][chosen["start"]:chosen["end"]], "sender": chosen["sender"] or "",
                      "at": (chosen["received_at"] or "")[:16]} if chosen else None),
            "segments": present.highlight_segments(v["message"]["text"], v["signals"]),
            "law_groups": present.laws_by_behaviour(v["violations"]),
            "entity_rows": entity_rows(v, state.k, lang),
            "kind_desc": present.kind_description(state.k, v["kind"], lang),
            "decided_by": decided_by_text(v["decided_by"], state.k, lang) if v.get("decided_by") else "",
            "ui": {key: val[lang] for key, val in state.k.ui.items()},
        }

    app.state.verdict_context = verdict_context

    # -- guide -----------------------------------------------------------------------------------
    @app.get("/guide", response_class=HTMLResponse)
    async def guide_index(request: Request, q: str = "") -> HTMLResponse:
        from anning.guide import find_topics

        q = q.strip()[:100]
        hits = find_topics(state.k, q) if q else None
        return page(request, "guide.html", q=q, hits=hits, topics=list(state.k.guide.values()), topic=None)

    @app.get("/guide/{topic_id}", response_class=HTMLResponse)
    async def guide_topic(request: Request, topic_id: str) -> HTMLResponse:
        topic = state.k.guide.get(topic_id)
        if topic is None:
            raise HTTPException(404)
        body = state.markdown(topic.body[lang_of(request)])
        return page(request, "guide.html", q="", hits=None, topics=list(state.k.guide.values()), topic=topic,
                    body=body)

    from anning.web import evidence_views, letter_views

    evidence_views.register(app, state, page)
    letter_views.register(app, state, page)
    return app
