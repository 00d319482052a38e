"""Words of the web pages, Chinese first, from ``data/web.yaml``. Labels of kinds, flags, risk levels,
binding levels and the verdict's sections come from the knowledge pack (``ui.yaml``, ``taxonomy.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

LANGS = ("zh", "en")


@cache
def strings() -> dict[str, dict[str, str]]:
    import yaml

    data = yaml.safe_load(files("anning").joinpath("data/web.yaml").read_text(encoding="utf-8"))["strings"]
    for key, entry in data.items():
        if not isinstance(entry, dict) or not all(isinstance(entry.get(lang), str) for lang in LANGS):
            raise ValueError(f"data/web.yaml: '{key}' needs zh and en text")
    return data


def t(key: str, lang: str, **kw: object) -> str:
    entry = strings().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["zh"]
    return text.format(**kw) if kw else text
