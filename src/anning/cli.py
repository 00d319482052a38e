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


def personal_option(func):
    return click.option("--no-personal", is_flag=True,
                        help="不用你自己的规则和模型 / ignore your personal rules and model")(func)


def _personal(no_personal: bool):
    from anning.personal import PersonalError, PersonalStore

    if no_personal:
        return None
    store = PersonalStore()
    try:
        store.rules()
    except PersonalError as exc:
        _fail(str(exc))
    return store


def _model_choice(no_model: bool, model_path: str | None) -> str | None:
    if no_model:
        return None
    return model_path or "auto"


def _console(stderr: bool = False, soft_wrap: bool = True):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=soft_wrap, highlight=False)


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
@click.option("--no-split", is_flag=True,
              help="粘贴了多条短信时也当作一条判断 / judge a paste of several messages as one message")
@model_option
@personal_option
def check(text: str | None, sender: str | None, received_at: str | None, as_json: bool, lang: str,
          no_split: bool, no_model: bool, model_path: str | None, no_personal: bool) -> None:
    """分析一条短信（TEXT 省略或为 - 时从标准输入读取）。粘贴了多条短信（每条带号码或时间，或各有【签名】）时逐条判断。
    Analyse one message; a paste of several messages is judged message by message."""
    if text is None or text == "-":
        if sys.stdin.isatty():
            _fail("no message given: pass TEXT or pipe it on standard input")
        text = sys.stdin.read().rstrip("\n")
    from anning.engine import Engine
    from anning.paste import check_to_dict

    engine = Engine(lang=lang, model=_model_choice(no_model, model_path), personal=_personal(no_personal))
    try:
        data = check_to_dict(engine, text, sender, received_at, split=not no_split)
    except ValueError as exc:
        _fail(f"--at is not an ISO time ({exc})" if received_at else str(exc))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from anning.render import render_paste, render_verdict

    (render_paste if "messages" in data else render_verdict)(data, engine.k, _console())


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=int, default=0, show_default=True,
              help="进程数，0 表示全部核心 / processes (0 = all cores)")
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("--progress/--no-progress", default=None, help="进度条（终端上默认开启）/ progress bar")
@click.option("--keep", "keep", multiple=True, metavar="COLUMNS",
              help="把这些输入列（逗号分隔）带到输出 / input columns (comma-separated) to copy into the output")
@model_option
@personal_option
def batch(src: Path, dst: Path, jobs: int, lang: str, progress: bool | None, keep: tuple[str, ...],
          no_model: bool, model_path: str | None, no_personal: bool) -> None:
    """批量分析 SRC 写入 DST（.jsonl/.csv/.parquet）。 Analyse a file of messages."""
    from anning.batch import BatchError, count_rows, run_batch

    columns = tuple(c.strip() for value in keep for c in value.split(",") if c.strip())
    show = sys.stderr.isatty() if progress is None else progress
    model = _model_choice(no_model, model_path)
    store = _personal(no_personal)
    home = str(store.root) if store else None
    try:
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            total = count_rows(src) if src.is_file() else None
            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=_console(stderr=True)) as bar:
                task = bar.add_task("analysing", total=total)
                written, errors = run_batch(src, dst, jobs, lang, lambda n: bar.advance(task, n), model, home,
                                            columns)
        else:
            written, errors = run_batch(src, dst, jobs, lang, model=model, personal_home=home, keep=columns)
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
    con = _console(soft_wrap=False)  # Markdown must wrap, not be cut at the terminal's edge
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


@main.command()
@click.argument("text")
@click.option("--kind", required=True, help="正确的类型 / the correct kind")
@click.option("--flags", default="", help="正确的标记，逗号分隔 / correct flags, comma-separated")
@click.option("--sender", help="发送号码 / sender number")
@click.option("--at", "received_at", help="接收时间 / time received (ISO)")
def feedback(text: str, kind: str, flags: str, sender: str | None, received_at: str | None) -> None:
    """纠正一条短信的判断（TEXT 为 - 时从标准输入读取）。 Record a correction for a message."""
    from anning.knowledge import load_knowledge
    from anning.personal import PersonalError, PersonalStore

    if text == "-":
        text = sys.stdin.read().rstrip("\n")
    k = load_knowledge()
    store = PersonalStore()
    try:
        row = store.add_feedback(text, kind, [f for f in flags.split(",") if f], list(k.kind_labels),
                                 list(k.flag_labels), sender, received_at)
    except PersonalError as exc:
        _fail(str(exc))
    click.echo(f"recorded correction {row['id']} → {kind} in {store.root} "
               f"({len(store.feedback())} corrections; `anning train --personal` to learn from them)")


@main.group()
def rules() -> None:
    """你自己的规则：按号码、关键词或正则直接决定类型。 Your personal rules."""


@rules.command("add")
@click.option("--kind", required=True)
@click.option("--sender", help="号码，x 或 * 表示任意数字，按前缀匹配 / number prefix, x = any digit")
@click.option("--keyword", help="关键词 / keyword")
@click.option("--regex", help="正则表达式（匹配规范化后的文本）/ regex on the normalised text")
@click.option("--flags", default="", help="同时加上的标记 / flags to add, comma-separated")
@click.option("--priority", type=int, default=0, show_default=True)
@click.option("--note", default="")
def rules_add(kind: str, sender: str | None, keyword: str | None, regex: str | None, flags: str, priority: int,
              note: str) -> None:
    """添加规则，立即生效。 Add a rule (takes effect immediately)."""
    from anning.knowledge import load_knowledge
    from anning.personal import PersonalError, PersonalStore

    k = load_knowledge()
    try:
        rule = PersonalStore().add_rule(kind, list(k.kind_labels), [f for f in flags.split(",") if f],
                                        list(k.flag_labels), sender=sender, keyword=keyword, regex=regex,
                                        priority=priority, note=note)
    except PersonalError as exc:
        _fail(str(exc))
    click.echo(f"added {rule.id}: {json.dumps(rule.to_dict(), ensure_ascii=False)}")


@rules.command("list")
def rules_list() -> None:
    """列出规则。 List your rules (highest priority first)."""
    from anning.personal import PersonalError, PersonalStore

    try:
        found = PersonalStore().rules()
    except PersonalError as exc:
        _fail(str(exc))
    if not found:
        click.echo("no personal rules")
    for r in found:
        click.echo(json.dumps(r.to_dict(), ensure_ascii=False))


@rules.command("remove")
@click.argument("rule_id")
def rules_remove(rule_id: str) -> None:
    """删除规则。 Remove a rule."""
    from anning.personal import PersonalError, PersonalStore

    try:
        PersonalStore().remove_rule(rule_id)
    except PersonalError as exc:
        _fail(str(exc))
    click.echo(f"removed {rule_id}")


@main.command()
@click.argument("corpus", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="model file to write")
@click.option("--personal", is_flag=True, help="加上你的纠正重新训练个人模型 / refit with your corrections")
@click.option("--metrics", type=click.Path(dir_okay=False, path_type=Path), help="also write metrics as JSON")
def train(corpus: tuple[Path, ...], seed: int, out: Path | None, personal: bool, metrics: Path | None) -> None:
    """训练类型分类模型（需要 anning[train]）。 Train the kind classifier (needs the train extra)."""
    try:
        from anning.ml import train as trainer
    except ImportError:
        _fail("training needs scikit-learn: pip install 'anning[train]'")
    from anning.corpus import shipped_corpus
    from anning.personal import PersonalStore

    paths = list(corpus) or shipped_corpus()
    try:
        rows = trainer.read_corpus(paths)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    name, source = "anning-kind", ", ".join(p.name for p in paths)
    if personal:
        store = PersonalStore()
        extra = store.feedback()
        if not extra:
            _fail(f"no corrections in {store.root}: record some with `anning feedback`")
        rows += extra
        name, source = "personal", f"{source} + {len(extra)} personal corrections"
        out = out or store.model_path
    out = out or default_model_path()
    try:
        artefact = trainer.train(rows, seed=seed, name=name, trained_on=source)
    except ImportError:
        _fail("training needs scikit-learn: pip install 'anning[train]'")
    size = trainer.dump(artefact, out)
    m = artefact["metrics"]
    click.echo(f"trained on {len(rows)} messages → {out} ({size / 1024:.0f} KiB)")
    click.echo(f"{m['folds']}-fold CV macro-F1 {m['macro_f1_mean']:.4f} (per fold {m['macro_f1_per_fold']}), "
               f"ECE {m['ece_uncalibrated']:.3f} → {m['ece_calibrated']:.3f} after temperature {m['temperature']}")
    if metrics:
        metrics.write_text(json.dumps(m, ensure_ascii=False, indent=2), encoding="utf-8")


def default_model_path() -> Path:
    from importlib import resources

    from anning.knowledge import load_knowledge

    return Path(str(resources.files("anning") / "data" / load_knowledge().scoring["model"]["file"]))


# Command groups that live with their feature (their heavy imports stay inside the commands).
from anning.evidence.cli import evidence  # noqa: E402

main.add_command(evidence)
from anning.web.cli import serve  # noqa: E402

main.add_command(serve)

# Screening at scale (anning.scale): DuckDB/pyarrow load only when the command runs.
from anning.scale.cli import aggregate  # noqa: E402

main.add_command(aggregate)


# Letters and reports (anning.documents): python-docx/WeasyPrint load only when a DOCX/PDF is written.
from anning.documents.cli import letter  # noqa: E402

main.add_command(letter)


if __name__ == "__main__":  # pragma: no cover
    main()
