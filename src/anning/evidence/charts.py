"""Timeline charts as SVG files (matplotlib, text drawn as paths so any viewer shows the Chinese).

Needs the ``docs`` extra; imported only when a report is made.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from anning.evidence.timeline import Timeline

CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "DejaVu Sans"]
COLOUR = "#b03a2e"


def _pyplot():
    os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "anning-matplotlib"))
    import matplotlib

    matplotlib.use("Agg")
    import logging

    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    families = [f for f in CJK_FONTS if f in installed] or ["DejaVu Sans"]
    plt.rcParams.update({"font.family": families, "svg.fonttype": "path", "axes.spines.top": False,
                         "axes.spines.right": False, "font.size": 9, "svg.hashsalt": "anning"})
    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def draw_charts(t: Timeline, out_dir: Path, labels: dict[str, str], weekdays: list[str]) -> dict[str, Path]:
    """Write the charts that have data; returns chart name → file."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    out_dir.mkdir(parents=True, exist_ok=True)
    charts: dict[str, Path] = {}
    if t.per_day:
        days = list(t.per_day)
        fig, ax = plt.subplots(figsize=(7.5, 2.6))
        ax.bar(range(len(days)), list(t.per_day.values()), color=COLOUR, width=0.8)
        step = max(1, len(days) // 12)
        ax.set_xticks(range(0, len(days), step), [d[5:] for d in days[::step]], rotation=0)
        ax.set_ylabel(labels["count"])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(labels["per_day"])
        charts["per_day"] = _save(fig, out_dir / "per_day.svg")
    if any(any(row) for row in t.hour_weekday):
        fig, ax = plt.subplots(figsize=(7.5, 2.8))
        image = ax.imshow(t.hour_weekday, aspect="auto", cmap="Reds", interpolation="nearest")
        ax.set_yticks(range(7), weekdays)
        ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
        ax.set_xlabel(labels["hour"])
        ax.set_title(labels["heatmap"])
        for x in (7.5, 21.5):  # the night window 22:00–08:00 lies outside these lines
            ax.axvline(x, color="#555555", linewidth=0.8, linestyle="--")
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
        charts["heatmap"] = _save(fig, out_dir / "hour_weekday.svg")
    if t.top_senders:
        names = [s for s, _ in t.top_senders][::-1]
        fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(names) + 0.9))
        ax.barh(names, [n for _, n in t.top_senders][::-1], color=COLOUR)
        ax.set_xlabel(labels["count"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(labels["top_senders"])
        charts["top_senders"] = _save(fig, out_dir / "top_senders.svg")
    if t.behaviours:
        rows = t.behaviours[:12][::-1]
        fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(rows) + 0.9))
        ax.barh([_short(b["label"]) for b in rows], [b["count"] for b in rows], color=COLOUR)
        ax.set_xlabel(labels["count"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(labels["violations"])
        charts["violations"] = _save(fig, out_dir / "violations.svg")
    return charts


def _short(label: str, width: int = 18) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
