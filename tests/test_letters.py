"""Letters and reports: facts from messages and cases, Markdown/DOCX/PDF output, the `anning letter` CLI.

DOCX files are parsed with python-docx and PDFs with pypdf; the CLI is the installed console script.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from anning.documents import FORMATS, load_catalog, render_document, write_document
from anning.documents.facts import LetterFacts, Person
from anning.documents.render import markdown_parser, split_report
from anning.explain import verdict_to_dict

THIRD_PARTY = ("【借来花】您好，您的朋友王小明在我平台借款8,600元已逾期45天，您是他的紧急联系人，"
               "请转告他今日18点前还款，否则我们将联系他的通讯录所有人。")
SCAM = "请立即转账到 6217 0000 1111 4410（陈某）还款，点击 http://hk-pay.cn/a 处理，否则法院明日立案传唤你"
NOTICE = "【安心借】尊敬的客户，您的借款3,200元已逾期5天，请于今日内登录App还款，以免影响征信。"
DOCS = list(load_catalog().documents)


@pytest.fixture(scope="module")
def third_party(engine) -> dict[str, Any]:
    return verdict_to_dict(engine.analyze(THIRD_PARTY, "10690000123", "2026-11-20T23:15"))


@pytest.fixture(scope="module")
def facts(third_party, knowledge) -> LetterFacts:
    return LetterFacts.from_verdict(third_party, knowledge, "zh")


@dataclass
class Stored:
    """A stand-in for anning.evidence.store.StoredMessage (duck-typed)."""

    id: int
    text: str
    sender: str | None
    received_at: str | None
    verdict: dict[str, Any]
    direction: str = "in"
    kind: str | None = None
    risk: int = 0
    flags: list[str] = field(default_factory=list)
    record_type: str = "sms"


def _stored(engine, i: int, text: str, sender: str | None, at: str | None, **kw) -> Stored:
    v = verdict_to_dict(engine.analyze(text, sender, at))
    return Stored(i, text, sender, at, v, kind=v["kind"], risk=v["risk"], flags=v["flags"], **kw)


# ---- facts ---------------------------------------------------------------------------------------


def test_facts_from_one_message(facts: LetterFacts, third_party: dict[str, Any]) -> None:
    assert facts.count == 1 and facts.main_kind == "third_party_contact" and facts.third_party
    assert [p.value for p in facts.platforms] == ["借来花"]
    assert [a.value for a in facts.amounts] == ["8,600元"]
    assert [p.value for p in facts.persons] == ["王小明"]
    assert facts.senders[0].value == "10690000123" and facts.senders[0].label == "106 短信通道号码"
    assert len(facts.night_contacts) == 1 and facts.first_at.hour == 23
    ids = [c.id for c in facts.violations]
    assert ids == list(dict.fromkeys(v["id"] for v in third_party["violations"])) or set(ids) == {
        v["id"] for v in third_party["violations"]}
    pipl47 = next(c for c in facts.violations if c.id == "PIPL-047")
    assert pipl47.article == "第四十七条" and pipl47.binding_level == "law"
    assert pipl47.source.startswith("https://github.com/LawRefBook/Laws/")
    assert pipl47.basis == "可能违反《中华人民共和国个人信息保护法》第四十七条"
    levels = [c.binding_level for c in facts.violations]
    assert levels.index("law") < levels.index("self_regulatory")  # law first, industry rules last
    exposure = facts.behaviour("threatens_exposure")
    assert exposure and exposure.count == 1 and "我们将联系他的通讯录所有人" in exposure.evidence


def test_facts_from_a_case_count_behaviours_dates_and_nights(engine, knowledge) -> None:
    msgs = [
        _stored(engine, 3, THIRD_PARTY, "10690000123", "2026-11-21T09:30"),
        _stored(engine, 1, THIRD_PARTY.replace("8,600", "8,700"), "10690000123", "2026-11-20T23:15"),
        _stored(engine, 2, NOTICE, "17012345678", "2026-11-21T10:00"),
        _stored(engine, 4, "我不是借款人，别再联系我", "10690000123", "2026-11-21T10:05", direction="out"),
        _stored(engine, 5, "", "10690000123", "2026-11-21T11:00", record_type="call"),
        _stored(engine, 6, SCAM, None, None),
    ]
    f = LetterFacts.from_messages(msgs, case_title="借来花 骚扰", knowledge=knowledge, lang="zh")
    assert f.case_title == "借来花 骚扰"
    assert [m.id for m in f.messages] == [1, 3, 2, 6]  # chronological, undated last; out/call left out
    assert [m.index for m in f.messages] == [1, 2, 3, 4]
    assert f.undated == 1 and f.days == 2 and f.busiest_day[1] == 2
    assert f.senders[0].value == "10690000123" and f.senders[0].count == 2
    tp = f.behaviour("contacts_third_party")
    assert tp.count == 2 and tp.messages == (1, 2) and len(tp.dates) == 2
    assert [m.id for m in f.night_contacts] == [1]
    assert f.kinds["third_party_contact"] == 2 and f.scam_likely
    assert {a.value for a in f.amounts} >= {"8,600元", "8,700元", "3,200元"}
    assert any(a.value.replace(" ", "").startswith("6217") for a in f.accounts)
    law = next(c for c in f.violations if c.id == "CC-0465")
    assert law.count == 2


def test_facts_need_a_received_message(engine, knowledge) -> None:
    with pytest.raises(ValueError, match="no received messages"):
        LetterFacts.from_messages([_stored(engine, 1, NOTICE, None, None, direction="out")], knowledge=knowledge)
    with pytest.raises(ValueError, match="no messages"):
        LetterFacts.from_messages([], knowledge=knowledge)


def test_a_corrected_kind_wins(engine, knowledge) -> None:
    m = _stored(engine, 1, NOTICE, None, None)
    m.corrected_kind = "other"  # type: ignore[attr-defined]
    assert LetterFacts.from_messages([m], knowledge=knowledge).main_kind == "other"


# ---- Markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", DOCS)
@pytest.mark.parametrize("text", [THIRD_PARTY, SCAM, NOTICE])
def test_every_document_renders_with_facts_and_blanks(engine, knowledge, kind: str, lang: str, text: str) -> None:
    v = verdict_to_dict(engine.analyze(text, "10690000123", "2026-11-20T23:15", lang=lang))
    f = LetterFacts.from_verdict(v, knowledge, lang)
    doc, md = render_document(kind, f, Person(), lang)
    assert md.startswith(f"# {doc.title[lang]}\n")
    assert doc.explain[lang][:20] in md
    blank = "【请填写：" if lang == "zh" else "[fill in: "
    for fid in doc.fields:
        assert blank + load_catalog().fields[fid].label[lang] in md  # visible blank, never invented
    assert "10690000123" in md or kind == "friends_note"
    assert "None" not in md and "{{" not in md and "{%" not in md
    for c in doc.cite:
        assert knowledge.laws[c].source.replace("_", "\\_") in md or knowledge.laws[c].source in md


def test_given_details_replace_the_blanks(facts) -> None:
    _doc, md = render_document("stop_contact", facts, Person(name="张三", phone="13800000000", id_last4="123X"))
    assert "本人张三，手机号码13800000000，身份证号后四位123X" in md
    assert "【请填写：姓名】" not in md and "【请填写：手机号码】" not in md
    assert "【请填写：发送日期】" in md  # the date is the person's to fill in, not guessed


def test_stop_contact_asks_and_cites(facts, knowledge) -> None:
    _doc, md = render_document("stop_contact", facts, Person())
    for words in ("立即停止", "删除", "来源", "授权文件", "15日内书面答复"):
        assert words in md
    assert "《中华人民共和国个人信息保护法》第四十七条" in md
    assert "〔法律〕" in md and "〔行业自律规范〕" in md
    assert knowledge.laws["PIPL-047"].source in md


def test_message_text_cannot_break_the_layout(engine, knowledge) -> None:
    text = "# 标题 | 竖线 *星号* _下划线_ <b>粗</b> [链接](http://x.cn)\n- 列表"
    f = LetterFacts.from_verdict(verdict_to_dict(engine.analyze(text, "10690000123", None)), knowledge)
    _doc, md = render_document("complaint", f, Person())
    tokens = markdown_parser().parse(md)
    widths, width = [], 0
    for t in tokens:
        if t.type == "tr_open":
            width = 0
        elif t.type in ("td_open", "th_open"):
            width += 1
        elif t.type == "tr_close":
            widths.append(width)
    assert widths and set(widths) == {4}  # the message stays in its cell; no extra columns or rows
    assert sum(1 for t in tokens if t.type == "heading_open" and "标题" in tokens[tokens.index(t) + 1].content) == 0
    html = markdown_parser().render(md)
    assert "<b>" not in html and "<a " not in html and "<em>" not in html.split("短信原文")[-1]


@pytest.mark.parametrize("tone", ["polite", "firm", "brief"])
def test_friends_note_tones(facts, tone: str) -> None:
    _doc, md = render_document("friends_note", facts, Person(name="李四"), tone=tone)
    assert "借来花" in md and "李四" in md and "110" in md
    assert "《中华人民共和国民法典》第六百八十五条" in md
    body = md.split("---")[0]
    if tone == "brief":
        assert len(body.split("\n\n")) <= 4


def test_tone_only_where_the_document_has_tones(facts) -> None:
    from anning.documents import DocumentError

    with pytest.raises(DocumentError, match="tone"):
        render_document("stop_contact", facts, Person(), tone="firm")


# ---- 12321 SMS form -----------------------------------------------------------------------------


def test_spam_report_form_and_split(facts) -> None:
    _doc, md = render_document("spam_report", facts, Person())
    assert f"10690000123*{THIRD_PARTY}" in md
    assert "10086999" in md and "12321" in md
    assert "10000999" not in md  # the KB marks China Telecom's report number unverified


@pytest.mark.parametrize("length", [10, 69, 70, 71, 150, 400])
def test_split_report_parts_fit_and_rebuild_the_text(length: int) -> None:
    text = ("催收短信内容，" * 80)[:length]
    full, parts = split_report("10690000123", text, 70)
    assert full == f"10690000123*{text}"
    if len(full) <= 70:
        assert parts == ()
        return
    assert all(len(p) <= 70 for p in parts)
    n = len(parts)
    pieces = []
    for i, p in enumerate(parts, 1):
        prefix = f"10690000123*({i}/{n})"
        assert p.startswith(prefix)
        pieces.append(p[len(prefix):])
    assert "".join(pieces) == text


# ---- DOCX and PDF -------------------------------------------------------------------------------


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(str(path)).pages).replace("\n", "")


KEY_FACTS = {
    "stop_contact": ["借来花", "10690000123", "8,600元", "第四十七条", "【请填写：手机号码】",
                     "https://github.com/LawRefBook/Laws/blob/2f4c5c2/"],
    "borrower_dispute": ["借来花", "8,600元", "第五百四十五条", "【请填写：借款合同编号（如知道）】"],
    "complaint": ["借来花", "10690000123", "12378", "不符合行业规范", "第四百六十五条", "【请填写：身份证号后四位】"],
    "police_report": ["10690000123", "110", "96110", "【请填写：报案日期】"],
    "spam_report": ["10690000123*【借来花】", "12321", "10086999", "第三十一条"],
    "friends_note": ["借来花", "8,600元", "KTFSR", "第六百八十五条", "【请填写：姓名】"],
}


@pytest.mark.parametrize("kind", DOCS)
def test_docx_has_the_facts_citations_and_cjk_fonts(facts, tmp_path: Path, kind: str) -> None:
    import docx
    from docx.oxml.ns import qn

    out = write_document(kind, facts, Person(), tmp_path / f"{kind}.docx", "docx")
    text = _docx_text(out)
    for needle in KEY_FACTS[kind]:
        assert needle in text, needle
    d = docx.Document(str(out))
    paragraphs = [*d.paragraphs, *(p for t in d.tables for row in t.rows for c in row.cells for p in c.paragraphs)]
    runs = [r for p in paragraphs for r in p.runs if r.text.strip()]
    fonts = {r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs}
    assert fonts <= {"Noto Serif CJK SC", "Noto Sans CJK SC", "Noto Sans Mono CJK SC"}
    blanks = [r for r in runs if r.text.startswith("【请填写：")]
    assert blanks and all(r.font.highlight_color is not None for r in blanks)
    assert [p.name for p in tmp_path.iterdir()] == [f"{kind}.docx"]


@pytest.mark.parametrize("kind", DOCS)
def test_pdf_has_the_facts_and_citations(facts, tmp_path: Path, kind: str) -> None:
    out = write_document(kind, facts, Person(), tmp_path / f"{kind}.pdf", "pdf")
    text = _pdf_text(out)
    for needle in KEY_FACTS[kind]:
        assert needle in text, needle
    assert [p.name for p in tmp_path.iterdir()] == [f"{kind}.pdf"]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_first_page_renders_to_png(facts, tmp_path: Path) -> None:
    pdf = write_document("complaint", facts, Person(name="张三"), tmp_path / "c.pdf", "pdf")
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_english_pdf(engine, knowledge, tmp_path: Path) -> None:
    v = verdict_to_dict(engine.analyze(THIRD_PARTY, "10690000123", "2026-11-20T23:15", lang="en"))
    f = LetterFacts.from_verdict(v, knowledge, "en")
    text = "".join(_pdf_text(write_document("stop_contact", f, Person(), tmp_path / "a.pdf", "pdf", "en")).split())
    for needle in ("[fill in: your phone number]", "Personal Information Protection Law", "Art. 47", "借来花"):
        assert "".join(needle.split()) in text, needle


def test_formats() -> None:
    assert FORMATS == ("md", "docx", "pdf")


# ---- CLI -----------------------------------------------------------------------------------------


def test_cli_list(cli) -> None:
    r = cli("letter", "--list")
    assert r.returncode == 0
    for kind in DOCS:
        assert kind in r.stdout


def test_cli_markdown_to_stdout(cli) -> None:
    r = cli("letter", "stop_contact", "--message", THIRD_PARTY, "--sender", "10690000123",
            "--at", "2026-11-20T23:15", "--name", "张三")
    assert r.returncode == 0, r.stderr
    assert "本人张三，手机号码【请填写：手机号码】" in r.stdout and "10690000123" in r.stdout


def test_cli_message_from_stdin_english(cli) -> None:
    r = cli("letter", "complaint", "--message", "-", "--lang", "en", input=THIRD_PARTY + "\n")
    assert r.returncode == 0, r.stderr
    assert "[fill in: your full name]" in r.stdout and "借来花" in r.stdout


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_cli_writes_files(cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"letter.{fmt}"
    r = cli("letter", "police_report", "--message", SCAM, "--at", "2026-11-20T10:00", "--name", "张三",
            "--phone", "13800000000", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stderr and "身份证号后四位" in r.stderr  # the blanks left are named
    text = _pdf_text(out) if fmt == "pdf" else _docx_text(out)
    assert "张三" in text and "13800000000" in text and "hk-pay.cn" in text and "110" in text


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "--message", "x"], "unknown document 'nope'"),
    (["stop_contact"], "exactly one of --message"),
    (["stop_contact", "--message", "x", "--case", "1"], "exactly one of --message"),
    (["stop_contact", "--message", NOTICE, "--at", "not-a-time"], "--at is not an ISO time"),
    (["stop_contact", "--message", NOTICE, "--id-last4", "12"], "--id-last4"),
    (["stop_contact", "--message", NOTICE, "--phone", "call me"], "--phone"),
    (["stop_contact", "--message", NOTICE, "--tone", "brief"], "--tone is not used"),
    (["stop_contact", "--message", "   "], "--message is empty"),
    (["stop_contact", "--case", "abc"], "case number"),
    (["stop_contact", "--case", "1", "--sender", "1069"], "--sender and --at go with --message"),
])
def test_cli_bad_input_is_a_clear_error_and_no_file(cli, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "x.pdf"
    r = cli("letter", *args, "--out", str(out))
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_missing_directory(cli, tmp_path: Path) -> None:
    r = cli("letter", "stop_contact", "--message", NOTICE, "--out", str(tmp_path / "no" / "x.docx"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_cli_warns_when_the_document_does_not_fit(cli) -> None:
    r = cli("letter", "police_report", "--message", NOTICE, "--no-input")
    assert r.returncode == 0 and "no threat" in r.stderr and "【请填写：报警原因】" in r.stdout


def test_cli_from_an_evidence_case(cli, tmp_path: Path, engine) -> None:
    store_mod = pytest.importorskip("anning.evidence.store")
    db = tmp_path / "evidence.db"
    store = store_mod.EvidenceStore.open(db)
    try:
        a = store.add_message(THIRD_PARTY, "10690000123", "2026-11-20T23:15", engine=engine)
        b = store.add_message(THIRD_PARTY.replace("今日18点", "明日9点"), "10690000124", "2026-11-21T08:30",
                              engine=engine)
        case = store.create_case("借来花骚扰", message_ids=[a.id, b.id])
    finally:
        store.close()
    out = tmp_path / "complaint.docx"
    r = cli("letter", "complaint", "--case", str(case.id), "--db", str(db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    text = _docx_text(out)
    assert "共收到2条相关短信" in text and "10690000123" in text and "10690000124" in text
    assert "联系与债务无关的第三人" in text and "第四百六十五条" in text
    r = cli("letter", "complaint", "--case", "999", "--db", str(db))
    assert r.returncode == 2 and "999" in r.stderr


def test_cli_prompts_on_a_terminal_and_not_with_no_input(tmp_path: Path) -> None:
    import os
    import sys

    exe = Path(sys.executable).parent / "anning"
    out = tmp_path / "note.md"
    master, slave = os.openpty()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    try:
        proc = subprocess.Popen([str(exe), "letter", "friends_note", "--message", THIRD_PARTY, "--out", str(out)],
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        os.write(master, "王五\n".encode())
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, stderr.decode()
    text = out.read_text(encoding="utf-8")
    assert "王五" in text and "【请填写：姓名】" not in text


def test_anning_check_does_not_load_the_document_libraries() -> None:
    import sys

    code = ("import sys, anning.cli; bad = [m for m in ('docx', 'weasyprint', 'jinja2', 'markdown_it') "
            "if m in sys.modules]; print(bad)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert r.stdout.strip() == "[]"
