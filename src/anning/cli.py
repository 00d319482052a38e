"""Command-line shell. No analysis logic lives here: every command calls the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

LANG = click.Choice(["zh", "en"])


def model_option(func):
    """--no-model (rules only) and --model PATH (another trained model file)."""
    func = click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
                        help="使用指定的模型文件 / use this trained model file")(func)
    return click.option("--no-model", is_flag=True, help="只用规则，不用统计模型 / rules only")(func)


def _model_choice(no_model: bool, model_path: str | None) -> str | None:
    if no_model:
        return None
    return model_path or "auto"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True, highlight=False)


def _fail(message: str) -> None:
    click.echo(f"anning: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="anning")
def main() -> None:
    """安宁 anning — 离线分析催收短信：是什么、是不是诈骗、可能违反哪些规定、下一步怎么做。"""


@main.command()
@click.argument("text", required=False)
@click.option("--sender", help="发送号码 / sender number, e.g. 10690000123")
@click.option("--at", "received_at", help="接收时间 ISO 格式 / time received, e.g. 2026-11-20T23:15")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON / print the verdict as JSON")
@click.option("--lang", type=LANG, default="zh", show_default=True, help="输出语言 / output language")
@model_option
def check(text: str | None, sender: str | None, received_at: str | None, as_json: bool, lang: str,
          no_model: bool, model_path: str | None) -> None:
    """分析一条短信（TEXT 省略或为 - 时从标准输入读取）。 Analyse one message."""
    if text is None or text == "-":
        if sys.stdin.isatty():
            _fail("no message given: pass TEXT or pipe it on standard input")
        text = sys.stdin.read().rstrip("\n")
    from anning.engine import Engine
    from anning.explain import verdict_to_dict

    engine = Engine(lang=lang, model=_model_choice(no_model, model_path))
    try:
        verdict = engine.analyze(text, sender, received_at)
    except ValueError as exc:
        _fail(f"--at is not an ISO time ({exc})" if received_at else str(exc))
    data = verdict_to_dict(verdict)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from anning.render import render_verdict

    render_verdict(data, engine.k, _console())


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=int, default=0, show_default=True,
              help="进程数，0 表示全部核心 / processes (0 = all cores)")
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("--progress/--no-progress", default=None, help="进度条（终端上默认开启）/ progress bar")
@model_option
def batch(src: Path, dst: Path, jobs: int, lang: str, progress: bool | None, no_model: bool,
          model_path: str | None) -> None:
    """批量分析 SRC 写入 DST（.jsonl/.csv/.parquet）。 Analyse a file of messages."""
    from anning.batch import BatchError, count_rows, run_batch

    show = sys.stderr.isatty() if progress is None else progress
    model = _model_choice(no_model, model_path)
    try:
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            total = count_rows(src) if src.is_file() else None
            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=_console(stderr=True)) as bar:
                task = bar.add_task("analysing", total=total)
                written, errors = run_batch(src, dst, jobs, lang, lambda n: bar.advance(task, n), model)
        else:
            written, errors = run_batch(src, dst, jobs, lang, model=model)
    except BatchError as exc:
        _fail(str(exc))
    click.echo(f"{written} rows → {dst}" + (f" ({errors} with errors)" if errors else ""), err=True)


@main.command(name="eval")
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--mistakes", is_flag=True, help="list every misclassified message")
@click.option("--jobs", "-j", type=int, default=1, show_default=True)
@model_option
def eval_(corpus: Path, as_json: bool, mistakes: bool, jobs: int, no_model: bool, model_path: str | None) -> None:
    """在标注语料上评估。 Evaluate on a labelled JSONL corpus (text, kind, flags)."""
    from anning.batch import analyse_rows, read_rows
    from anning.evaluation import evaluate
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    rows = list(read_rows(corpus))
    bad = [i for i, r in enumerate(rows, 1) if "__error__" in r or r.get("kind") not in k.kind_labels]
    if bad:
        _fail(f"{corpus}: rows {bad[:10]} lack a valid 'kind' label")
    preds = list(analyse_rows(rows, jobs=jobs, model=_model_choice(no_model, model_path)))
    report = evaluate(rows, preds, list(k.kind_labels), list(k.flag_labels))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    _print_eval(report, list(k.kind_labels), mistakes)


def _print_eval(report: dict, kinds: list[str], show_mistakes: bool) -> None:
    from rich.table import Table

    con = _console()
    t = Table(title=f"per kind ({report['rows']} messages)")
    for col in ("kind", "precision", "recall", "F1", "support"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for k in kinds:
        m = report["per_kind"][k]
        t.add_row(k, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    con.print(t)
    c = Table(title="confusion (rows = gold, columns = predicted)")
    c.add_column("gold \\ pred")
    for k in kinds:
        c.add_column(k[:12], justify="right")
    for g in kinds:
        c.add_row(g, *(str(report["confusion"][g][p]) for p in kinds))
    con.print(c)
    f = Table(title="flags")
    for col in ("flag", "precision", "recall", "F1", "support"):
        f.add_column(col, justify="left" if col == "flag" else "right")
    for name, m in report["per_flag"].items():
        f.add_row(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    con.print(f)
    if show_mistakes:
        for m in report["mistakes"]:
            con.print(f"[dim]{m['id']}[/dim] gold={m['gold']} pred={m['predicted']} "
                      f"missing={m['missing_flags']} extra={m['extra_flags']}  {m['text'][:120]}")
    scams = report["scams_called_genuine"]
    con.print(f"scams called genuine: {len(scams)}")
    for s in scams:
        con.print(f"  [red]{s['id']}[/red] {s['gold']} → {s['predicted']}: {s['text'][:100]}")
    if report["errors"]:
        con.print(f"rows with errors: {len(report['errors'])}")
    fm = report["flag_micro"]
    con.print(f"accuracy {report['accuracy']:.4f}")
    con.print(f"flag micro-F1 {fm['f1']:.4f} (P {fm['precision']:.3f} R {fm['recall']:.3f})")
    con.print(f"macro-F1 {report['macro_f1']:.4f}")


@main.command()
@click.argument("topic", required=False)
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("--search", "-s", help="按关键词搜索 / search the guide")
def guide(topic: str | None, lang: str, search: str | None) -> None:
    """指南：常见问题的回答。 The guide (list topics, show one, or search)."""
    from anning.guide import find_topics, render_topic, topic_index
    from anning.knowledge import load_knowledge

    k = load_knowledge()
    con = _console()
    if search:
        hits = find_topics(k, search)
        if not hits:
            _fail(f"no guide topic matches '{search}'")
        for t in hits:
            render_topic(k, t, lang, con)
        return
    if topic is None:
        topic_index(k, lang, con)
        return
    if topic not in k.guide:
        _fail(f"unknown topic '{topic}'; topics: {', '.join(k.guide)}")
    render_topic(k, topic, lang, con)


if __name__ == "__main__":  # pragma: no cover
    main()
