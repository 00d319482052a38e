"""Lint of the letters data: letters.yaml and its templates load, every id resolves, every number a
template states comes from the knowledge base, and a broken catalogue is rejected with an error that
names the file and the entry."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from anning.documents.catalog import LetterDataError, build_catalog, letters_dir, load_catalog
from anning.knowledge import load_knowledge

DATA = Path(__file__).resolve().parents[1] / "src" / "anning" / "data"
LETTERS = DATA / "letters"


def test_packaged_catalogue_loads() -> None:
    cat = load_catalog()
    assert set(cat.documents) == {"stop_contact", "borrower_dispute", "complaint", "police_report",
                                  "spam_report", "friends_note"}
    assert letters_dir() == LETTERS or letters_dir().resolve() == LETTERS.resolve()
    for d in cat.documents.values():
        for lang in ("zh", "en"):
            assert d.explain[lang] and d.title[lang] and (LETTERS / d.template_name(lang)).is_file()
    assert "{what}" in cat.blank["zh"] and cat.blank_for("姓名", "zh") == "【请填写：姓名】"
    assert cat.blank_for("name", "en") == "[fill in: name]"


def test_every_numbered_channel_in_the_letters_is_in_the_knowledge_base() -> None:
    """Phone numbers and short codes in templates and letters.yaml must appear in the generated
    knowledge files (channels/actions/guide come from legal-kb.md), so none is stated without a source."""
    kb_text = "".join((DATA / f).read_text(encoding="utf-8")
                      for f in ("channels.yaml", "actions.yaml", "guide.yaml", "laws.yaml"))
    allowed = set(re.findall(r"\d{3,}", kb_text))
    for path in sorted(LETTERS.iterdir()):
        if not (path.name.endswith(".md.j2") or path.suffix == ".yaml"):
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"#[^\n]*\n", "\n", text) if path.suffix == ".yaml" else text
        for number in re.findall(r"(?<![\d.])\d{3,}(?![\d.])", text):
            assert number in allowed, f"{path.name}: {number} is not in the knowledge base"
    assert "10000999" not in "".join(p.read_text(encoding="utf-8") for p in LETTERS.iterdir())


def test_every_law_the_letters_cite_is_shipped_with_source_and_binding_level() -> None:
    k = load_knowledge()
    for d in load_catalog().documents.values():
        for law_id in (*d.cite, *(c for a in d.asks for c in a.cite)):
            law = k.laws[law_id]
            assert law.source and law.binding_level and law.confidence in ("verified", "likely")


def _broken(tmp_path: Path, edit) -> Path:
    root = tmp_path / "letters"
    shutil.copytree(LETTERS, root)
    doc = yaml.safe_load((root / "letters.yaml").read_text(encoding="utf-8"))
    edit(doc, root)
    (root / "letters.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return root


def _doc(doc, doc_id: str) -> dict:
    return next(d for d in doc["documents"] if d["id"] == doc_id)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d, r: _doc(d, "stop_contact")["cite"].append("PIPL-999"), "stop_contact: cites unknown law 'PIPL-999'"),
    (lambda d, r: _doc(d, "complaint")["asks"][0]["cite"].append("FIN-CPMP-041"),
     "complaint: cites unknown law 'FIN-CPMP-041'"),
    (lambda d, r: _doc(d, "spam_report")["channels"].append("CH-10000999"), "unknown channel 'CH-10000999'"),
    (lambda d, r: _doc(d, "friends_note")["tones"].append("angry"), "unknown tone 'angry'"),
    (lambda d, r: _doc(d, "police_report")["fields"].append("address"), "unknown field 'address'"),
    (lambda d, r: _doc(d, "complaint")["suits_kinds"].append("spam"), "unknown kind 'spam'"),
    (lambda d, r: _doc(d, "complaint").pop("explain_en"), "complaint: missing or empty field 'explain_en'"),
    (lambda d, r: _doc(d, "stop_contact")["asks"][0].update(text_zh="请在{days}日内答复"), "unknown placeholder"),
    (lambda d, r: (r / "complaint.en.md.j2").unlink(), "letters/complaint.en.md.j2 does not exist"),
    (lambda d, r: (r / "police_report.zh.md.j2").write_text("{% if x %}unclosed", encoding="utf-8"),
     "letters/police_report.zh.md.j2, line 1: template does not compile"),
    (lambda d, r: d.update(blank={"zh": "【请填写】", "en": "[fill in: {what}]"}), "'blank' needs"),
    (lambda d, r: d.update(sms_part_chars=5), "sms_part_chars"),
    (lambda d, r: d["documents"].append(dict(d["documents"][0])), "duplicate id 'stop_contact'"),
])
def test_broken_catalogue_is_rejected_with_a_precise_error(tmp_path: Path, edit, message: str) -> None:
    root = _broken(tmp_path, edit)
    with pytest.raises(LetterDataError) as err:
        build_catalog(root, load_knowledge())
    assert message in str(err.value)
