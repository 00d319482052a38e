"""The guide: topics answering what people ask, linked from every verdict's actions."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

from anning.knowledge import Knowledge


def find_topics(k: Knowledge, query: str) -> list[str]:
    """Topic ids whose title, questions or body mention every word of the query."""
    words = [w for w in query.lower().split() if w]
    hits = []
    for t in k.guide.values():
        hay = " ".join([*t.title.values(), *t.body.values(), *t.questions]).lower()
        if words and all(w in hay for w in words):
            hits.append(t.id)
    return hits


def topic_index(k: Knowledge, lang: str, console: Console) -> None:
    for t in k.guide.values():
        line = Text(f"  {t.id:<16}", style="bold cyan")
        line.append(t.title[lang])
        console.print(line)
    hint = "查看：anning guide 主题" if lang == "zh" else "Read one: anning guide TOPIC"
    console.print(Text(f"\n{hint}", style="dim"))


def render_topic(k: Knowledge, topic_id: str, lang: str, console: Console) -> None:
    t = k.guide[topic_id]
    console.print(Text(t.title[lang], style="bold cyan"))
    console.print(Markdown(t.body[lang]))
    if t.related:
        label = "相关" if lang == "zh" else "Related"
        console.print(Text(f"{label}: " + ", ".join(t.related), style="dim"))
