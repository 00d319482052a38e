"""证据 pages: import a phone export (with progress), list and filter, cases, timeline, verify, package.

Every page opens its own ``EvidenceStore`` connection (SQLite WAL): the store serialises writers, so
two tabs and a CLI import can write at the same time. Imports run in a background thread per upload
and report progress to ``/evidence/import/{job}`` (a refreshing page without JS, a bar with JS).
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from anning.web.app import FORM_LIMIT, WebState, field_text, lang_of, secure_form
from anning.web.strings import t

PAGE_SIZE = 50
CASE_LIMIT = 10_000  # messages put into a case from one filter
UPLOAD_EXTENSIONS = (".xml", ".db", ".sqlite", ".sqlite3", ".csv", ".jsonl", ".txt")
SQLITE_MAGIC = b"SQLite format 3\x00"
MULTIPART_OVERHEAD = 16 * 1024  # the CSRF field and part headers around the file
JOB_TTL = 3600.0
MAX_JOBS = 20
FILTER_KEYS = ("sender", "kind", "flag", "since", "until", "q", "case")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ImportJob:
    id: str
    filename: str
    started: float = field(default_factory=time.monotonic)
    processed: int = 0
    done: bool = False
    summary: dict[str, Any] | None = None
    error: str | None = None


def evidence_available() -> bool:
    try:
        import anning.evidence.store  # noqa: F401
    except ImportError:
        return False
    return True


def sniff_ok(ext: str, head: bytes) -> bool:
    """Does the start of the file look like what its extension says? (The importer checks fully.)"""
    if ext in (".db", ".sqlite", ".sqlite3"):
        return head.startswith(SQLITE_MAGIC)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark
        return True
    if b"\x00" in head:
        return False
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if ext == ".xml":
        return text.startswith(b"<")
    for enc in ("utf-8", "gb18030"):
        try:
            head.decode(enc)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut at the end of the sample
                return True
    return False


def safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._") or "upload"
    return base[-80:]


def register(app: FastAPI, state: WebState, page: Callable[..., HTMLResponse]) -> None:
    jobs: dict[str, ImportJob] = {}
    jobs_lock = threading.Lock()

    @contextlib.contextmanager
    def store() -> Iterator[Any]:
        from anning.evidence.store import EvidenceStore

        s = EvidenceStore.open(state.db_path)
        try:
            yield s
        finally:
            s.close()

    def unavailable(request: Request) -> HTMLResponse:
        return page(request, "error.html", status=503, message=t("evidence_missing", lang_of(request)))

    def kind_names(lang: str) -> dict[str, str]:
        return {kd: names[lang] for kd, names in state.k.kind_labels.items()}

    def filters_of(raw: Mapping[str, str]) -> dict[str, Any]:
        """Filter values from a query string or form, cleaned: unknown kinds, flags and bad dates dropped."""
        f: dict[str, Any] = {key: str(raw.get(key) or "").strip()[:100] for key in FILTER_KEYS}
        for key in ("since", "until"):
            if f[key] and not DATE_RE.match(f[key]):
                f[key] = ""
        if f["kind"] not in state.k.kind_labels:
            f["kind"] = ""
        if f["flag"] not in state.k.flag_labels:
            f["flag"] = ""
        f["case"] = int(f["case"]) if f["case"].isdigit() else None
        return f

    def store_filters(f: dict[str, Any]) -> dict[str, Any]:
        return {"sender": f["sender"] or None, "kind": f["kind"] or None, "flag": f["flag"] or None,
                "since": f["since"] or None, "until": f["until"] or None, "text": f["q"] or None,
                "case_id": f["case"]}

    def timeline_of(messages: list[Any], lang: str) -> Any:
        from anning.evidence.timeline import build_timeline

        night = state.k.scoring["night"]
        tl = build_timeline(messages, night["start_hour"], night["end_hour"],
                            {b.id: b.label[lang] for b in state.k.behaviours.values()})
        hours = [sum(day[h] for day in tl.hour_weekday) for h in range(24)]
        return {"tl": tl, "hours": hours, "night_start": night["start_hour"], "night_end": night["end_hour"],
                "day_max": max(tl.per_day.values(), default=0) or 1, "hour_max": max(hours) or 1,
                "sender_max": max((n for _, n in tl.top_senders), default=0) or 1}

    def evidence_page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
        from anning.evidence.store import EvidenceError

        lang = lang_of(request)
        f = filters_of(request.query_params)
        raw_page = request.query_params.get("page", "1")
        page_no = max(1, int(raw_page)) if raw_page.isdigit() else 1
        with store() as s:
            try:
                case = s.case(f["case"]) if f["case"] is not None else None
            except EvidenceError:
                raise HTTPException(404) from None
            sf = store_filters(f)
            total = s.count(**sf)
            msgs = s.messages(**sf, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE, newest_first=True)
            scope = s.messages(case_id=f["case"]) if case else s.messages()
            timeline = timeline_of(scope, lang) if scope else None
            cases = s.cases()
            labels = s.labels
            stats = s.stats()
        query = {k: ("" if v is None else str(v)) for k, v in f.items()}
        qs = urlencode({k: v for k, v in query.items() if v})
        return page(request, "evidence.html", status=status, f=f, query=query, msgs=msgs, total=total,
                    kind_names=kind_names(lang),
                    qs=qs, page_no=page_no, pages=max(1, -(-total // PAGE_SIZE)), case=case, cases=cases, labels=labels,
                    stats=stats, timeline=timeline, upload_mb=state.upload_limit // (1024 * 1024),
                    exts=", ".join(UPLOAD_EXTENSIONS), **extra)

    # -- list, filters, timeline, cases ----------------------------------------------------------
    @app.get("/evidence", response_class=HTMLResponse)
    async def evidence_home(request: Request) -> HTMLResponse:
        if not evidence_available():
            return unavailable(request)
        return await run_in_threadpool(evidence_page, request)

    @app.get("/evidence/verify", response_class=HTMLResponse)
    async def verify(request: Request) -> HTMLResponse:
        if not evidence_available():
            return unavailable(request)

        def run() -> Any:
            with store() as s:
                return s.verify()

        report = await run_in_threadpool(run)
        return await run_in_threadpool(evidence_page, request, 200, verify_report=report)

    @app.post("/evidence/reanalyse", response_class=HTMLResponse)
    async def reanalyse(request: Request) -> HTMLResponse:
        await secure_form(request)
        if not evidence_available():
            return unavailable(request)

        def run() -> Any:
            with store() as s:
                return s.reanalyse(engine=state.evidence_engine())

        summary = await run_in_threadpool(run)
        return await run_in_threadpool(evidence_page, request, 200, reanalysis=summary)

    @app.get("/evidence/message/{seq}", response_class=HTMLResponse)
    async def message_detail(request: Request, seq: int) -> HTMLResponse:
        from anning.evidence.store import EvidenceError

        if not evidence_available():
            return unavailable(request)
        lang = lang_of(request)

        def run() -> tuple[Any, Any]:
            with store() as s:
                return s.message(seq), s.labels

        try:
            m, labels = await run_in_threadpool(run)
        except EvidenceError:
            raise HTTPException(404) from None
        ctx: dict[str, Any] = {"m": m, "labels": labels, "kept": request.query_params.get("kept") == "1",
                               "stored": True, "kind_names": kind_names(lang)}
        if m.verdict:
            v = dict(m.verdict)
            v["message"] = {"text": m.text, "sender": m.sender, "received_at": m.received_at}
            ctx["v"] = v
            ctx |= app.state.verdict_context(v, v.get("lang", lang))
        return page(request, "message.html", form={"text": m.text, "sender": m.sender or "",
                                                   "at": (m.received_at or "")[:16]}, **ctx)

    @app.post("/evidence/keep")
    async def keep(request: Request) -> Response:
        from anning.evidence.store import EvidenceError

        form = await secure_form(request)
        lang = lang_of(request)
        text, sender, at = field_text(form, "text"), field_text(form, "sender"), field_text(form, "at")
        if not text:
            raise HTTPException(400, t("empty_text", lang))

        def run() -> int:
            with store() as s:
                return s.add_message(text, sender or None, at or None, engine=state.evidence_engine()).seq

        try:
            seq = await run_in_threadpool(run)
        except (EvidenceError, ValueError) as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"/evidence/message/{seq}?kept=1", status_code=303)

    @app.post("/evidence/cases")
    async def new_case(request: Request) -> Response:
        from anning.evidence.store import EvidenceError

        form = await secure_form(request)
        title, notes = field_text(form, "title")[:200], field_text(form, "notes")[:2000]
        with_filtered = form.get("with_filtered") == "1"
        chosen = filters_of({key: field_text(form, f"f_{key}") for key in FILTER_KEYS})

        def run() -> int:
            with store() as s:
                ids: list[int] = []
                if with_filtered:
                    ids = [m.seq for m in s.messages(**store_filters(chosen), limit=CASE_LIMIT)]
                return s.create_case(title, notes, ids).id

        try:
            case_id = await run_in_threadpool(run)
        except EvidenceError as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"/evidence?case={case_id}", status_code=303)

    @app.post("/evidence/cases/{case_id}/status")
    async def case_status(request: Request, case_id: int) -> Response:
        from anning.evidence.store import EvidenceError

        form = await secure_form(request)
        status, note = field_text(form, "status"), field_text(form, "note")[:500]

        def run() -> None:
            with store() as s:
                s.set_case_status(case_id, status, note)

        try:
            await run_in_threadpool(run)
        except EvidenceError as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"/evidence?case={case_id}", status_code=303)

    # -- package ---------------------------------------------------------------------------------
    @app.post("/evidence/package")
    async def package(request: Request) -> Response:
        from anning.evidence.report import ReportError, build_package
        from anning.evidence.store import EvidenceError

        form = await secure_form(request)
        lang = lang_of(request)
        raw_case = field_text(form, "case")
        case_id = int(raw_case) if raw_case.isdigit() else None
        with_pdf = form.get("pdf") == "1"

        def run() -> bytes:
            work = Path(tempfile.mkdtemp(prefix="anning-package-"))
            try:
                out = work / "package"
                with store() as s:
                    files = build_package(s, case_id, out, lang=lang, pdf=with_pdf)
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    for f in files:
                        zf.write(f, f"anning-evidence/{f.relative_to(out).as_posix()}")
                return buf.getvalue()
            finally:
                shutil.rmtree(work, ignore_errors=True)

        try:
            data = await run_in_threadpool(run)
        except (EvidenceError, ReportError) as exc:
            raise HTTPException(400, str(exc)) from None
        name = f"anning-evidence-case-{case_id}.zip" if case_id is not None else "anning-evidence-all.zip"
        return Response(data, media_type="application/zip",
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    # -- import ----------------------------------------------------------------------------------
    def run_import(job: ImportJob, path: Path, workdir: Path) -> None:
        from anning.evidence.records import ImportFormatError

        def progress(n: int) -> None:
            job.processed += n

        try:
            with store() as s:
                summary = s.import_file(path, on_progress=progress, engine=state.evidence_engine())
            job.summary = {"read": summary.read, "new": summary.new, "duplicates": summary.duplicates,
                           "rejected": summary.rejected, "problems": summary.problems[:20], "error": summary.error,
                           "format": summary.format}
        except ImportFormatError as exc:
            job.error = str(exc)
        except Exception as exc:  # reported on the job page; the store keeps whatever was committed
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.done = True
            shutil.rmtree(workdir, ignore_errors=True)

    def prune_jobs() -> None:
        now = time.monotonic()
        for key in [k for k, j in jobs.items() if j.done and now - j.started > JOB_TTL]:
            del jobs[key]

    async def save_upload(file: Any, lang: str) -> tuple[Path, Path]:
        """Check the upload (size, extension, first bytes) and copy it into a private temporary directory."""
        if not isinstance(file, UploadFile) or not file.filename:
            raise HTTPException(400, t("no_file", lang))
        if file.size is not None and file.size > state.upload_limit:
            raise HTTPException(413)
        ext = Path(file.filename).suffix.lower()
        if ext not in UPLOAD_EXTENSIONS:
            raise HTTPException(415, t("bad_type", lang, exts=", ".join(UPLOAD_EXTENSIONS)))
        head = await file.read(4096)
        if not sniff_ok(ext, head):
            raise HTTPException(415, t("bad_type", lang, exts=", ".join(UPLOAD_EXTENSIONS)))
        await file.seek(0)
        workdir = Path(tempfile.mkdtemp(prefix="anning-upload-"))  # mode 0700
        target = workdir / safe_filename(file.filename)
        if target.suffix.lower() != ext:
            target = target.with_suffix(ext)

        def save() -> None:
            with target.open("wb") as out:
                shutil.copyfileobj(file.file, out, 1 << 20)

        try:
            await run_in_threadpool(save)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return target, workdir

    @app.post("/evidence/import", max_body_size=2 * state.upload_limit + MULTIPART_OVERHEAD)  # hard backstop
    async def upload(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > state.upload_limit + MULTIPART_OVERHEAD:
            raise HTTPException(413)  # refused before reading the body, with a page that says why
        form = await secure_form(request, max_files=1, max_part=FORM_LIMIT)
        try:
            target, workdir = await save_upload(form.get("file"), lang_of(request))
        finally:
            await form.close()  # the spooled upload is deleted now, not at garbage collection
        filename = target.name
        job = ImportJob(secrets.token_urlsafe(12), filename)
        with jobs_lock:
            prune_jobs()
            running = sum(not j.done for j in jobs.values())
            if running >= MAX_JOBS:
                shutil.rmtree(workdir, ignore_errors=True)
                raise HTTPException(429, "too many imports at once")
            jobs[job.id] = job
        threading.Thread(target=run_import, args=(job, target, workdir), name=f"import-{job.id}", daemon=True).start()
        return RedirectResponse(f"/evidence/import/{job.id}", status_code=303)

    def job_of(job_id: str) -> ImportJob:
        with jobs_lock:
            job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404)
        return job

    @app.get("/evidence/import/{job_id}", response_class=HTMLResponse)
    async def import_status(request: Request, job_id: str) -> HTMLResponse:
        job = job_of(job_id)
        return page(request, "import.html", job=job)

    @app.get("/evidence/import/{job_id}/status")
    async def import_status_json(job_id: str) -> JSONResponse:
        job = job_of(job_id)
        return JSONResponse({"done": job.done, "processed": job.processed, "summary": job.summary,
                             "error": job.error})
