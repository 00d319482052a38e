"""The document catalogue (``data/letters/letters.yaml`` + Jinja2 templates), validated at load.

Errors name the file, the document id and the field, like the knowledge loader: a volunteer editing a
template or an ask sees exactly what is wrong. Every law and channel id must exist in the knowledge
pack, every template must exist in both languages and compile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from anning.knowledge import Knowledge, KnowledgeError, load_knowledge
from anning.knowledge.loader import LANGS

Text = dict[str, str]


class LetterDataError(KnowledgeError):
    """letters.yaml or a template is malformed; the message names file, id and field."""


@dataclass(frozen=True)
class Ask:
    id: str
    text: Text
    cite: tuple[str, ...]


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: Text
    prompt: Text


@dataclass(frozen=True)
class DocumentDef:
    id: str
    title: Text
    audience: Text
    explain: Text
    template: str
    fields: tuple[str, ...]
    tones: tuple[str, ...]
    suits_kinds: tuple[str, ...]
    asks: tuple[Ask, ...]
    cite: tuple[str, ...]
    channels: tuple[str, ...]

    def template_name(self, lang: str) -> str:
        return f"{self.template}.{lang}.md.j2"


@dataclass(frozen=True)
class Catalog:
    root: Path
    reply_days: int
    sms_part_chars: int
    blank: Text
    fields: dict[str, FieldDef]
    tones: dict[str, Text]
    documents: dict[str, DocumentDef]

    def blank_for(self, what: str, lang: str) -> str:
        return self.blank[lang].format(what=what)


def letters_dir() -> Path:
    return Path(str(resources.files("anning") / "data" / "letters"))


def _text(entry: dict[str, Any], name: str, where: str) -> Text:
    out: Text = {}
    for lang in LANGS:
        value = entry.get(f"{name}_{lang}")
        if not isinstance(value, str) or not value.strip():
            raise LetterDataError(f"{where}: missing or empty field '{name}_{lang}'")
        out[lang] = " ".join(value.split()) if "\n" in value.strip() else value.strip()
    return out


def _ids(entry: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = entry.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LetterDataError(f"{where}: field '{name}' must be a list of ids")
    return tuple(value)


def _entries(doc: dict[str, Any], key: str, file: str) -> list[dict[str, Any]]:
    items = doc.get(key)
    if not isinstance(items, list):
        raise LetterDataError(f"{file}: expected a top-level '{key}:' list")
    seen: set[str] = set()
    for i, e in enumerate(items):
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not e["id"]:
            raise LetterDataError(f"{file}: entry #{i + 1} of '{key}' has no 'id'")
        if e["id"] in seen:
            raise LetterDataError(f"{file}: duplicate id '{e['id']}' in '{key}'")
        seen.add(e["id"])
    return items


def _join_cjk(text: str) -> str:
    """YAML folded text joins lines with spaces; drop the space between two CJK characters."""
    import re

    cjk = "\u3000-\u9fff\uff00-\uffef"
    return re.sub(rf"(?<=[{cjk}]) (?=\S)|(?<=\S) (?=[{cjk}])", "", text)


def _zh_joined(text: Text) -> Text:
    return {**text, "zh": _join_cjk(text["zh"])}


def build_catalog(root: Path, k: Knowledge) -> Catalog:
    file = "letters/letters.yaml"
    try:
        doc = yaml.safe_load((root / "letters.yaml").read_text(encoding="utf-8"))
    except OSError as exc:
        raise LetterDataError(f"{file}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise LetterDataError(f"{file}: invalid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise LetterDataError(f"{file}: expected a mapping at the top level")
    for key in ("reply_days", "sms_part_chars"):
        if not isinstance(doc.get(key), int) or doc[key] <= 0:
            raise LetterDataError(f"{file}: '{key}' must be a positive integer")
    if doc["sms_part_chars"] < 30:
        raise LetterDataError(f"{file}: 'sms_part_chars' is too small to hold a number and some text")
    blank = doc.get("blank") or {}
    if not all(isinstance(blank.get(lang), str) and "{what}" in blank[lang] for lang in LANGS):
        raise LetterDataError(f"{file}: 'blank' needs zh and en patterns containing {{what}}")
    fields = {e["id"]: FieldDef(e["id"], _text(e, "label", f"{file}: field {e['id']}"),
                                _text(e, "prompt", f"{file}: field {e['id']}"))
              for e in _entries(doc, "fields", file)}
    tones = {e["id"]: _text(e, "label", f"{file}: tone {e['id']}") for e in _entries(doc, "tones", file)}

    from anning.documents.render import template_env

    env = template_env(root)
    documents: dict[str, DocumentDef] = {}
    for e in _entries(doc, "documents", file):
        where = f"{file}: document {e['id']}"
        asks = []
        for a in _entries(e, "asks", where) if e.get("asks") else []:
            aw = f"{where}: ask {a['id']}"
            text = _text(a, "text", aw)
            for lang in LANGS:
                try:
                    text[lang].format(reply_days=1)
                except (KeyError, IndexError, ValueError) as exc:
                    raise LetterDataError(f"{aw}: text_{lang} has an unknown placeholder: {exc}") from exc
            asks.append(Ask(a["id"], {**text, "zh": _join_cjk(text["zh"])}, _ids(a, "cite", aw)))
        d = DocumentDef(
            id=e["id"], title=_text(e, "title", where), audience=_zh_joined(_text(e, "audience", where)),
            explain=_zh_joined(_text(e, "explain", where)),
            template=str(e.get("template") or ""), fields=_ids(e, "fields", where), tones=_ids(e, "tones", where),
            suits_kinds=_ids(e, "suits_kinds", where), asks=tuple(asks), cite=_ids(e, "cite", where),
            channels=_ids(e, "channels", where),
        )
        for f in d.fields:
            if f not in fields:
                raise LetterDataError(f"{where}: unknown field '{f}'")
        for t in d.tones:
            if t not in tones:
                raise LetterDataError(f"{where}: unknown tone '{t}'")
        for kd in d.suits_kinds:
            if kd not in k.kind_labels:
                raise LetterDataError(f"{where}: unknown kind '{kd}' in suits_kinds")
        for law in (*d.cite, *(c for a in d.asks for c in a.cite)):
            if law not in k.laws:
                raise LetterDataError(f"{where}: cites unknown law '{law}' (not in laws.yaml)")
        for ch in d.channels:
            if ch not in k.channels:
                raise LetterDataError(f"{where}: names unknown channel '{ch}' (not in channels.yaml)")
        if not d.template:
            raise LetterDataError(f"{where}: missing field 'template'")
        for lang in LANGS:
            name = d.template_name(lang)
            if not (root / name).is_file():
                raise LetterDataError(f"{where}: template letters/{name} does not exist")
            try:
                env.get_template(name)
            except Exception as exc:  # jinja2.TemplateSyntaxError and friends
                line = getattr(exc, "lineno", None)
                raise LetterDataError(f"letters/{name}" + (f", line {line}" if line else "")
                                      + f": template does not compile: {exc}") from exc
        documents[d.id] = d
    if not (root / "layout.html.j2").is_file():
        raise LetterDataError("letters/layout.html.j2: the HTML page template is missing")
    try:
        env.get_template("layout.html.j2")
    except Exception as exc:
        raise LetterDataError(f"letters/layout.html.j2: template does not compile: {exc}") from exc
    return Catalog(root=root, reply_days=doc["reply_days"], sms_part_chars=doc["sms_part_chars"],
                   blank={lang: blank[lang] for lang in LANGS}, fields=fields, tones=tones, documents=documents)


@lru_cache(maxsize=4)
def load_catalog(root: str | None = None) -> Catalog:
    """The packaged catalogue (or the directory ``root``), validated against the knowledge pack."""
    return build_catalog(Path(root) if root else letters_dir(), load_knowledge())
