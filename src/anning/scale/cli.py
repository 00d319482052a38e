"""``anning aggregate``: the click command (registered at the end of ``anning.cli``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("verdicts", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="输出目录：CSV/Parquet 表、summary.json、report.html / output directory")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--limit", type=int, default=1000, show_default=True,
              help="长表（平台、机构、号码、域名、聚类）保留的行数 / rows kept in the long tables")
@click.option("--no-report", is_flag=True, help="不生成 report.html / tables only")
@click.option("--threads", type=int, default=None, help="DuckDB 线程数（默认全部核心）/ DuckDB threads")
@click.option("--memory-limit", default=None, help="DuckDB 内存上限，如 4GB / DuckDB memory limit")
def aggregate(verdicts: Path, out: Path, lang: str, limit: int, no_report: bool, threads: int | None,
              memory_limit: str | None) -> None:
    """汇总 VERDICTS.parquet（anning batch 的结果）：按平台、机构、号码、域名、日期、小时统计，诈骗线索聚类，
    生成图表报告。 Aggregate a verdict Parquet file into tables and an HTML report."""
    try:
        from anning.scale.aggregate import AggregateError, run
    except ImportError:  # pragma: no cover - the extra is missing
        click.echo("需要 DuckDB：pip install 'anning[aggregate]' / needs the aggregate extra", err=True)
        sys.exit(2)
    try:
        summary = run(verdicts, out, lang=lang, limit=limit, report=not no_report, threads=threads,
                      memory_limit=memory_limit)
    except AggregateError as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        sys.exit(2)
    if lang == "zh":
        tail = "" if no_report else "，report.html"
        click.echo(f"{summary['messages']} 条短信 → {out}（表格 CSV/Parquet{tail}）", err=True)
    else:
        click.echo(f"{summary['messages']} messages → {out} (CSV/Parquet tables"
                   + ("" if no_report else ", report.html") + ")", err=True)
