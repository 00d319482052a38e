"""The evidence package: report (HTML + PDF) with charts, the records, the chain and a manifest.

The package is built in a temporary directory next to ``out_dir`` and moved into place only when
every file is written, so a failure never leaves a package that looks complete.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from anning.evidence.store import EvidenceStore, StoredMessage
from anning.evidence.timeline import Timeline, build_timeline

CSV_COLUMNS = ("seq", "received_at", "record_type", "direction", "sender", "contact_name", "text", "duration_s",
               "kind", "risk", "flags", "violations", "source_format", "source_ref", "stored_at", "hash", "prev_hash")


class ReportError(RuntimeError):
    """The package cannot be written (bad output directory, no PDF support...)."""


def _template(name: str) -> str:
    return files("anning").joinpath(f"data/evidence_report/{name}").read_text(encoding="utf-8")


def _jinja():
    from jinja2 import Environment, select_autoescape

    return Environment(autoescape=select_autoescape(default=True, default_for_string=True), keep_trailing_newline=True)


def build_package(store: EvidenceStore, case_id: int | None, out_dir: Path | str, lang: str = "zh",
                  pdf: bool = True) -> list[Path]:
    """Write the package for one case (or every stored record) into ``out_dir``; returns its files."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ReportError(f"{out_dir} 已存在且不是空目录 / already exists and is not an empty directory")
    case = store.case(case_id) if case_id is not None else None
    messages = store.messages(case_id=case_id) if case else store.messages()
    if not messages:
        raise ReportError("没有可导出的记录 / there are no records to export")
    messages.sort(key=lambda m: (m.received_at or "9999", m.seq))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        _write_package(store, case, messages, work, lang, pdf)
        if out_dir.exists():
            out_dir.rmdir()
        work.rename(out_dir)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return sorted(p for p in out_dir.rglob("*") if p.is_file())


def _write_package(store: EvidenceStore, case, messages: list[StoredMessage], work: Path, lang: str,
                   pdf: bool) -> None:
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    labels = store.labels
    t = {key: value[lang] for key, value in labels["report"].items()}
    night = k.scoring["night"]
    tl = build_timeline(messages, night["start_hour"], night["end_hour"],
                        {b.id: b.label[lang] for b in k.behaviours.values()})
    chain = list(store.chain_rows())
    included = {m.seq for m in messages}
    payloads = {row.seq: row.payload for row in chain if row.seq in included}
    report = store.verify()
    generated = datetime.now(UTC).astimezone().replace(microsecond=0).isoformat()

    from anning.evidence.charts import draw_charts

    chart_files = draw_charts(tl, work / "charts", t, labels["weekdays"][lang])
    _write_records(messages, payloads, work)
    with (work / "chain.jsonl").open("w", encoding="utf-8") as fh:
        for row in chain:
            link: dict[str, Any] = {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash}
            if row.seq in payloads:
                link["payload"] = row.payload
            fh.write(json.dumps(link, ensure_ascii=False) + "\n")
    shutil.copyfile(str(files("anning").joinpath("data/evidence_report/verify_chain.py")), work / "verify_chain.py")

    title = f"{t['case']} {case.id}：{case.title}" if case else t["all_messages"]
    html = _render_html(k, store, case, messages, tl, t, lang, title, generated, report, chart_files, work)
    (work / "report.html").write_text(html, encoding="utf-8")
    if pdf:
        from anning.pdf import PdfError, html_to_pdf

        try:
            html_to_pdf(html, work / "report.pdf", base_url=str(work) + "/")
        except PdfError as exc:
            raise ReportError(f"{exc}（可加 --no-pdf 只生成 HTML / use --no-pdf for HTML only)") from exc

    versions = {m.engine_version for m in messages if m.engine_version}
    readme = _jinja().from_string(_template("README.md.j2")).render(
        title=title, generated=generated, engine_version=", ".join(sorted(versions)) or "-",
        knowledge_version=", ".join(sorted({m.knowledge_version for m in messages if m.knowledge_version})) or "-",
        count=len(messages), chain_length=len(chain), head=report.head)
    (work / "README.md").write_text(readme, encoding="utf-8")

    digests = {str(p.relative_to(work)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(work.rglob("*")) if p.is_file()}
    manifest = {
        "format": "anning-evidence-package", "version": 1, "generated_at": generated,
        "case": None if case is None else {"id": case.id, "title": case.title, "status": case.status},
        "records": len(messages), "chain_length": len(chain), "chain_head": report.head,
        "chain_verified": report.ok, "store_schema_version": store.schema_version(),
        "hash": "sha256(prev_hash + '\\n' + payload), genesis = 64 zeros", "files": digests,
    }
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    digests["manifest.json"] = hashlib.sha256((work / "manifest.json").read_bytes()).hexdigest()
    (work / "SHA256SUMS").write_text("".join(f"{d}  {name}\n" for name, d in sorted(digests.items())),
                                     encoding="utf-8")


def _write_records(messages: list[StoredMessage], payloads: dict[int, str], work: Path) -> None:
    with (work / "messages.jsonl").open("w", encoding="utf-8") as fh:
        for m in messages:
            row = m.to_dict()
            row.pop("id", None)
            imported, at = row.pop("imported"), row.pop("reanalysed_at")
            if imported is not None:  # the chained verdict on top, where verify_chain.py checks it
                row["reanalysis"] = {"at": at, **{key: row[key] for key in imported}}
                row.update(imported)
            row["payload"] = payloads[m.seq]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (work / "messages.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for m in messages:
            row = {c: getattr(m, c, None) for c in CSV_COLUMNS}
            row["flags"] = ";".join(m.flags)
            row["violations"] = ";".join(v["id"] for v in (m.verdict or {}).get("violations", []))
            writer.writerow(row)


def _render_html(k, store: EvidenceStore, case, messages: list[StoredMessage], tl: Timeline, t: dict[str, str],
                 lang: str, title: str, generated: str, report, chart_files: dict[str, Path], work: Path) -> str:
    statuses = store.labels["case_statuses"]
    summary_text = t["summary_text"].format(
        messages=tl.messages, calls=tl.calls, days=tl.days_span, first=(tl.first or "-")[:10],
        last=(tl.last or "-")[:10], numbers=tl.numbers, night=tl.night, night_start=k.scoring["night"]["start_hour"],
        night_end=k.scoring["night"]["end_hour"], busiest=tl.busiest_day or "-", busiest_count=tl.busiest_day_count)
    laws = {law["id"]: law for law in tl.laws}
    behaviours = [dict(b, law_rows=[laws[i] for i in b["laws"] if i in laws]) for b in tl.behaviours]
    rows = []
    for m in messages:
        verdict = m.verdict or {}
        text = m.text
        if m.record_type == "call":
            text = f"（{store.labels['record_types']['call'][lang]} {m.duration_s or 0}{t['seconds']}）"
        rows.append({"seq": m.seq, "time": (m.received_at or "")[:16].replace("T", " "), "sender": m.sender or "",
                     "text": text, "kind": verdict.get("kind_label") or "", "risk": "" if m.risk is None else m.risk,
                     "risk_level": verdict.get("risk_level", ""), "flags": "、".join(
                         k.flag_labels[f][lang] if f in k.flag_labels else f for f in m.flags),
                     "hash": m.hash[:12]})
    integrity = t["integrity_text"].format(count=report.count, result=t["chain_ok"] if report.ok else t["chain_broken"],
                                           head=report.head)
    reanalysed = [m for m in messages if m.imported is not None]
    versions = ", ".join(sorted({m.engine_version or "-" for m in reanalysed}))
    reanalysed_text = t["reanalysed_text"].format(n=len(reanalysed), versions=versions) if reanalysed else ""
    return _jinja().from_string(_template("report.html.j2")).render(
        lang=lang, t=t, title=title, generated=generated, notes=case.notes if case else "",
        status=statuses[case.status][lang] if case else "",
        events=[dict(e, label=statuses[e["status"]][lang]) for e in (case.events if case else [])],
        summary_text=summary_text, undated_text=t["undated"].format(n=tl.undated),
        kinds=[(k.kind_labels[kind][lang] if kind in k.kind_labels else kind, n) for kind, n in tl.kinds.items()],
        tl={"behaviours": behaviours, "undated": tl.undated}, rows=rows, integrity_text=integrity,
        reanalysed_text=reanalysed_text,
        charts=[(name, str(path.relative_to(work))) for name, path in chart_files.items()])

