"""`anning evidence …`: import, verify, browse, group into cases and export an evidence package."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from anning.evidence.records import ImportFormatError

DB_OPTION = click.option("--db", "db_path", type=click.Path(path_type=Path),
                         help="证据库文件（默认在用户数据目录）/ evidence database file")


def _fail(message: str) -> None:
    click.echo(f"anning: {message}", err=True)
    sys.exit(2)


def _open(db_path: Path | None):
    from anning.evidence.store import EvidenceError, EvidenceStore

    try:
        return EvidenceStore.open(db_path)
    except EvidenceError as exc:
        _fail(str(exc))


def _ids(value: str) -> list[int]:
    try:
        return [int(x) for x in value.replace("，", ",").split(",") if x.strip()]
    except ValueError:
        _fail(f"编号应为逗号分隔的数字 / ids must be comma-separated numbers: {value!r}")
        return []


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


@click.group()
def evidence() -> None:
    """证据库：导入手机短信备份，防篡改保存，查看、分组、导出证据包。 Evidence locker."""


@evidence.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["android-xml", "ios-sms.db", "csv", "jsonl", "text"]),
              help="不自动识别时指定格式 / force the format instead of detecting it")
@click.option("--map", "mapping", help="CSV 列对应，如 text=内容,sender=号码,received_at=时间 / CSV column mapping")
@click.option("--jobs", "-j", type=int, default=0, show_default=True, help="分析进程数，0 = 全部核心 / processes")
@click.option("--progress/--no-progress", default=None, help="进度条（终端上默认开启）/ progress bar")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 摘要 / print the summaries as JSON")
@DB_OPTION
def import_(files: tuple[Path, ...], fmt: str | None, mapping: str | None, jobs: int, progress: bool | None,
            as_json: bool, db_path: Path | None) -> None:
    """导入短信/通话记录导出文件（Android XML、iPhone sms.db、CSV、JSONL、纯文本）。 Import phone exports."""
    from dataclasses import asdict

    columns = None
    if mapping:
        try:
            columns = dict(pair.split("=", 1) for pair in mapping.replace("，", ",").split(",") if pair.strip())
        except ValueError:
            _fail("--map 格式应为 字段=列名,… / --map must look like text=内容,sender=号码")
    store = _open(db_path)
    show = sys.stderr.isatty() if progress is None else progress
    summaries, failed = [], False
    for path in files:
        try:
            if show:
                from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

                with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} 条"),
                              TimeElapsedColumn(), transient=True) as bar:
                    task = bar.add_task(f"导入 {path.name}", total=None)
                    summary = store.import_file(path, fmt, columns, jobs=jobs,
                                                on_progress=lambda n, t=task: bar.advance(t, n))
            else:
                summary = store.import_file(path, fmt, columns, jobs=jobs)
        except ImportFormatError as exc:
            failed = True
            click.echo(f"anning: {exc}", err=True)
            continue
        summaries.append(summary)
        if not as_json:
            _print_summary(summary)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in summaries], ensure_ascii=False, indent=2))
    if failed or any(s.error for s in summaries):
        sys.exit(1)


def _print_summary(s) -> None:
    click.echo(f"{s.source} [{s.format}]: 读取 {s.read}，新增 {s.new}，重复 {s.duplicates}，拒收 {s.rejected} "
               f"/ read {s.read}, new {s.new}, duplicates {s.duplicates}, rejected {s.rejected}")
    for p in s.problems[:10]:
        click.echo(f"  拒收 / rejected {p['ref']}: {p['reason']}")
    if s.rejected > 10:
        click.echo(f"  … 另有 {s.rejected - 10} 条 / {s.rejected - 10} more (--json for the list)")
    if s.error:
        click.echo(f"  文件中断 / the file broke off: {s.error}\n  之前读到的完整记录已保存 / every whole record "
                   "before the break was kept", err=True)


@evidence.command()
@click.option("--json", "as_json", is_flag=True)
@DB_OPTION
def verify(as_json: bool, db_path: Path | None) -> None:
    """检查证据链是否完整、未被篡改（有问题时退出码为 1）。 Verify the hash chain; exit 1 on any break."""
    store = _open(db_path)
    report = store.verify()
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "count": report.count, "head": report.head,
                               "problems": [p.__dict__ for p in report.problems]}, ensure_ascii=False, indent=2))
    elif report.ok:
        click.echo(f"证据链完整 / chain intact: {report.count} 条记录 / records, 末端哈希 / head {report.head}")
    else:
        click.echo(f"证据链有 {len(report.problems)} 处问题 / {len(report.problems)} problem(s) in the chain:")
        for p in report.problems:
            click.echo(f"  第 {p.seq} 条 / record {p.seq} [{p.problem}]: {p.detail}")
    sys.exit(0 if report.ok else 1)


def _filter_options(func):
    for opt in reversed([
        click.option("--sender", help="号码包含 / sender contains"),
        click.option("--kind", help="类型 / kind"),
        click.option("--flag", help="标记 / flag"),
        click.option("--since", help="起始日期或时间 / from date, e.g. 2026-11-01"),
        click.option("--until", help="截止日期（含当天）/ up to date (inclusive)"),
        click.option("--text", help="正文包含 / text contains"),
        click.option("--case", "case_id", type=int, help="只看某个案件 / only this case"),
        click.option("--limit", type=int, default=50, show_default=True),
        click.option("--offset", type=int, default=0),
        click.option("--json", "as_json", is_flag=True),
        DB_OPTION,
    ]):
        func = opt(func)
    return func


def _list(store, as_json: bool, limit: int, offset: int, **filters) -> None:
    messages = store.messages(limit=limit, offset=offset, **filters)
    total = store.count(**filters)
    if as_json:
        click.echo(json.dumps({"total": total, "messages": [m.to_dict(with_verdict=False) for m in messages]},
                              ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("#", "时间 time", "号码 sender", "类型 kind", "风险", "标记 flags", "内容 text"):
        table.add_column(column, overflow="fold")
    for m in messages:
        label = (m.verdict or {}).get("kind_label") or m.kind or m.record_type
        if m.corrected_kind:
            label += f"（已纠正为 {m.corrected_kind}）"
        text = m.text if len(m.text) <= 60 else m.text[:59] + "…"
        table.add_row(str(m.seq), (m.received_at or "")[:16].replace("T", " "), m.sender or "", label,
                      "" if m.risk is None else str(m.risk), ",".join(m.flags), text)
    console = _console()
    console.print(table)
    console.print(f"共 {total} 条，显示 {offset + 1 if messages else 0}–{offset + len(messages)} / "
                  f"{total} matching, showing {len(messages)}")


@evidence.command("list")
@_filter_options
def list_(db_path: Path | None, as_json: bool, limit: int, offset: int, **filters) -> None:
    """列出证据库中的短信（可筛选）。 List stored messages with filters."""
    _list(_open(db_path), as_json, limit, offset, **filters)


@evidence.command()
@click.argument("text")
@_filter_options
def search(text: str, db_path: Path | None, as_json: bool, limit: int, offset: int, **filters) -> None:
    """按内容搜索（中文任意片段）。 Search message text."""
    filters["text"] = text
    _list(_open(db_path), as_json, limit, offset, **filters)


@evidence.command()
@click.argument("seq", type=int)
@click.option("--json", "as_json", is_flag=True)
@DB_OPTION
def show(seq: int, as_json: bool, db_path: Path | None) -> None:
    """显示一条记录及其判断。 Show one stored message with its verdict."""
    from anning.evidence.store import EvidenceError

    store = _open(db_path)
    try:
        m = store.message(seq)
    except EvidenceError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(m.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"#{m.seq}  {m.received_at or '时间未知 / time unknown'}  {m.sender or ''}  "
               f"[{m.record_type}/{m.direction}]  来源 / source: {m.source_format} {m.source_ref}")
    click.echo(f"哈希 / hash {m.hash}（前一条 / previous {m.prev_hash[:16]}…）")
    if m.corrected_kind:
        click.echo(f"你的纠正 / your correction: {m.corrected_kind}")
    if m.imported is not None:
        click.echo(f"于 {m.reanalysed_at} 用 anning {m.engine_version} 重新分析；导入时的判断（anning "
                   f"{m.imported['engine_version']}）：{m.imported['kind']}，风险 {m.imported['risk']} / re-analysed "
                   f"{m.reanalysed_at}; on import: {m.imported['kind']}, risk {m.imported['risk']}")
    if m.verdict is None:
        click.echo(m.text or "（通话记录，无正文 / call record）")
        return
    from anning.knowledge import load_knowledge
    from anning.render import render_verdict

    shown = dict(m.verdict, message={"id": str(m.seq), "text": m.text, "sender": m.sender,
                                     "received_at": m.received_at})
    render_verdict(shown, load_knowledge(), _console())


@evidence.command()
@click.argument("text")
@click.option("--sender", help="发送号码 / sender")
@click.option("--at", "received_at", help="接收时间 / time received (ISO)")
@DB_OPTION
def add(text: str, sender: str | None, received_at: str | None, db_path: Path | None) -> None:
    """把一条短信手动存为证据（TEXT 为 - 时从标准输入读取）。 Keep one message as evidence."""
    from anning.evidence.store import EvidenceError

    if text == "-":
        text = sys.stdin.read().rstrip("\n")
    try:
        m = _open(db_path).add_message(text, sender, received_at)
    except (EvidenceError, ImportFormatError) as exc:
        _fail(str(exc))
    click.echo(f"已保存为第 {m.seq} 条 / stored as record {m.seq}: {m.kind} (hash {m.hash[:16]}…)")


@evidence.command()
@click.argument("seq", type=int)
@click.option("--kind", required=True, help="正确的类型 / the correct kind")
@click.option("--flags", default="", help="正确的标记，逗号分隔 / correct flags")
@DB_OPTION
def feedback(seq: int, kind: str, flags: str, db_path: Path | None) -> None:
    """纠正证据库中一条记录的判断（用于 anning train --personal）。 Correct a stored message's verdict."""
    from anning.evidence.store import EvidenceError

    try:
        _open(db_path).add_feedback(seq, kind, [f for f in flags.split(",") if f])
    except EvidenceError as exc:
        _fail(str(exc))
    click.echo(f"已记录第 {seq} 条的纠正 → {kind}（原判断与证据链不变）/ correction recorded; the stored verdict "
               "and the chain are unchanged")


@evidence.command()
@click.option("--ids", help="只重新分析这些编号，逗号分隔（默认全部）/ only these records (default: all)")
@click.option("--jobs", "-j", type=int, default=1, show_default=True, help="分析进程数，0 = 全部核心 / processes")
@click.option("--progress/--no-progress", default=None, help="进度条（终端上默认开启）/ progress bar")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 摘要 / print the summary as JSON")
@DB_OPTION
def reanalyse(ids: str | None, jobs: int, progress: bool | None, as_json: bool, db_path: Path | None) -> None:
    """用当前版本的规则和模型重新判断已保存的短信（导入时的判断仍留在证据链中）。
    Judge stored messages again with this version; the verdicts stored on import stay in the chain."""
    from anning.evidence.store import EvidenceError
    from anning.knowledge import load_knowledge

    store = _open(db_path)
    wanted = _ids(ids) if ids else None
    total = len(wanted) if wanted is not None else store.count()
    show = sys.stderr.isatty() if progress is None else progress
    try:
        if show:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("重新分析 / re-analysing", total=total)
                summary = store.reanalyse(wanted, jobs=jobs, on_progress=lambda n: bar.advance(task, n))
        else:
            summary = store.reanalyse(wanted, jobs=jobs)
    except EvidenceError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"重新分析 {summary.checked} 条，{summary.updated} 条的判断有变化（其中 {summary.risk_changed} "
               f"条风险分变化） / re-analysed {summary.checked}, {summary.updated} verdicts changed "
               f"({summary.risk_changed} in risk)")
    labels = load_knowledge().kind_labels
    for change in summary.to_dict()["kind_changes"]:
        before, now = (f"{labels[k]['zh']} / {labels[k]['en']}" if k in labels else (k or "—")
                       for k in (change["from"], change["to"]))
        shown = ", ".join(str(i) for i in change["ids"][:10]) + (" …" if change["count"] > 10 else "")
        click.echo(f"  {before} → {now}: {change['count']} 条 / records ({shown})")
    if summary.updated:
        click.echo("列表、时间线和报告显示新的判断；导入时的判断仍受证据链保护（evidence show 可见）。 "
                   "Lists, timelines and reports show the new verdicts; the ones stored on import stay in the chain.")


@evidence.command()
@DB_OPTION
def info(db_path: Path | None) -> None:
    """证据库概况。 Where the store is and what it holds."""
    stats = _open(db_path).stats()
    for key, value in stats.items():
        click.echo(f"{key}: {value}")


# -- cases -----------------------------------------------------------------------------------------
@evidence.group()
def case() -> None:
    """案件：把相关短信归在一起，记录投诉进展。 Cases: group messages and track the follow-up."""


@case.command("new")
@click.argument("title")
@click.option("--notes", default="")
@click.option("--ids", help="短信编号，逗号分隔 / message ids, comma-separated")
@click.option("--platform", help="提到该平台的全部短信 / all messages naming this platform")
@click.option("--sender", help="来自该号码的全部短信 / all messages from this sender")
@click.option("--person", help="提到该姓名（如借款人）的全部短信 / all messages naming this person")
@DB_OPTION
def case_new(title: str, notes: str, ids: str | None, platform: str | None, sender: str | None, person: str | None,
             db_path: Path | None) -> None:
    """新建案件。 Create a case."""
    from anning.evidence.store import EvidenceError

    store = _open(db_path)
    members = _ids(ids) if ids else []
    if platform or sender or person:
        members += store.group_ids(platform=platform, sender=sender, person=person)
    try:
        c = store.create_case(title, notes, sorted(set(members)))
    except EvidenceError as exc:
        _fail(str(exc))
    click.echo(f"案件 {c.id}「{c.title}」：{len(c.message_ids)} 条短信 / case {c.id}: {len(c.message_ids)} messages")


@case.command("list")
@click.option("--json", "as_json", is_flag=True)
@DB_OPTION
def case_list(as_json: bool, db_path: Path | None) -> None:
    """列出案件。 List cases."""
    store = _open(db_path)
    cases = store.cases()
    if as_json:
        click.echo(json.dumps([c.__dict__ for c in cases], ensure_ascii=False, indent=2))
        return
    labels = store.labels["case_statuses"]
    for c in cases:
        click.echo(f"{c.id}\t{c.title}\t{labels[c.status]['zh']}\t{len(c.message_ids)} 条\t更新 {c.updated_at[:10]}")
    if not cases:
        click.echo("还没有案件 / no cases yet")


@case.command("show")
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@DB_OPTION
def case_show(case_id: int, as_json: bool, db_path: Path | None) -> None:
    """显示案件、进展和其中的短信。 Show a case."""
    from anning.evidence.store import EvidenceError

    store = _open(db_path)
    try:
        c = store.case(case_id)
    except EvidenceError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(c.__dict__, ensure_ascii=False, indent=2))
        return
    labels = store.labels["case_statuses"]
    click.echo(f"案件 {c.id}「{c.title}」— {labels[c.status]['zh']} / {labels[c.status]['en']}")
    if c.notes:
        click.echo(f"备注 / notes: {c.notes}")
    for e in c.events:
        click.echo(f"  {e['at'][:10]}  {labels[e['status']]['zh']}  {e['note']}")
    _list(store, False, 1000, 0, case_id=case_id)


@case.command("add")
@click.argument("case_id", type=int)
@click.argument("ids")
@DB_OPTION
def case_add(case_id: int, ids: str, db_path: Path | None) -> None:
    """把短信加入案件。 Add messages (comma-separated ids) to a case."""
    from anning.evidence.store import EvidenceError

    try:
        c = _open(db_path).add_to_case(case_id, _ids(ids))
    except EvidenceError as exc:
        _fail(str(exc))
    click.echo(f"案件 {c.id} 现有 {len(c.message_ids)} 条短信 / case {c.id} has {len(c.message_ids)} messages")


@case.command("remove")
@click.argument("case_id", type=int)
@click.argument("ids")
@DB_OPTION
def case_remove(case_id: int, ids: str, db_path: Path | None) -> None:
    """把短信移出案件（短信本身仍保留在证据库中）。 Take messages out of a case (they stay stored)."""
    from anning.evidence.store import EvidenceError

    try:
        c = _open(db_path).remove_from_case(case_id, _ids(ids))
    except EvidenceError as exc:
        _fail(str(exc))
    click.echo(f"案件 {c.id} 现有 {len(c.message_ids)} 条短信 / case {c.id} has {len(c.message_ids)} messages")


@case.command("status")
@click.argument("case_id", type=int)
@click.argument("status")
@click.option("--on", "at", help="日期，如 2026-11-20（默认今天）/ date it happened (default today)")
@click.option("--note", default="", help="如投诉编号 / e.g. the complaint reference")
@DB_OPTION
def case_status(case_id: int, status: str, at: str | None, note: str, db_path: Path | None) -> None:
    """更新案件进展：collecting / complained_lender / complained_regulator / reported_police / resolved。"""
    from anning.evidence.store import EvidenceError

    store = _open(db_path)
    try:
        c = store.set_case_status(case_id, status, note, at)
    except EvidenceError as exc:
        _fail(str(exc))
    click.echo(f"案件 {c.id} → {store.labels['case_statuses'][c.status]['zh']}")


@evidence.command()
@click.argument("case_id", type=int, required=False)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="输出目录 / output directory")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--no-pdf", is_flag=True, help="不生成 PDF / skip report.pdf")
@DB_OPTION
def report(case_id: int | None, out_dir: Path, lang: str, no_pdf: bool, db_path: Path | None) -> None:
    """导出证据包（报告 HTML/PDF、图表、全部短信、清单与哈希）。 Export an evidence package for a case (or all)."""
    from anning.evidence.report import ReportError, build_package
    from anning.evidence.store import EvidenceError

    store = _open(db_path)
    try:
        files = build_package(store, case_id, out_dir, lang=lang, pdf=not no_pdf)
    except (EvidenceError, ReportError) as exc:
        _fail(str(exc))
    click.echo(f"证据包已生成 / evidence package written: {out_dir} ({len(files)} files)")
    for f in files:
        click.echo(f"  {f.relative_to(out_dir)}")
