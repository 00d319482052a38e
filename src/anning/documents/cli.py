"""``anning letter``: write a document from one message or an evidence case.

Registered at the end of ``anning/cli.py``. Bad or missing input stops with a clear message before
anything is written; the output file appears only when complete.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_ID4 = re.compile(r"^[0-9]{3}[0-9Xx]$")


def _fail(message: str) -> None:
    click.echo(f"anning: {message}", err=True)
    sys.exit(2)


def _note(message: str) -> None:
    click.echo(f"anning: {message}", err=True)


def _check_person(name: str | None, phone: str | None, id_last4: str | None) -> None:
    if name is not None and (not 0 < len(name.strip()) <= 40 or "\n" in name):
        _fail("--name must be 1–40 characters on one line")
    if phone is not None and not _PHONE.match(phone.strip()):
        _fail(f"--phone '{phone}' is not a phone number (digits, optionally with +, spaces or -)")
    if id_last4 is not None and not _ID4.match(id_last4.strip()):
        _fail(f"--id-last4 '{id_last4}' must be the last four characters of an ID number (4 digits, or 3 and X)")


def _list_documents(lang: str) -> None:
    from anning.documents import load_catalog

    cat = load_catalog()
    for d in cat.documents.values():
        tones = f"  [--tone {'|'.join(d.tones)}]" if d.tones else ""
        click.echo(f"{d.id:<17} {d.title[lang]}{tones}")
        click.echo(f"{'':<17} → {d.audience[lang]}")


def _facts_from_message(text: str, sender: str | None, at: str | None, lang: str):
    from anning.documents.facts import LetterFacts
    from anning.engine import Engine
    from anning.explain import verdict_to_dict

    personal = None
    try:
        from anning.personal import PersonalError, PersonalStore

        personal = PersonalStore()
        personal.rules()
    except (ImportError, PersonalError, OSError):
        personal = None
    engine = Engine(lang=lang, personal=personal)
    try:
        verdict = engine.analyze(text, sender, at)
    except ValueError as exc:
        _fail(f"--at is not an ISO time ({exc})" if at else str(exc))
    return LetterFacts.from_verdict(verdict_to_dict(verdict), engine.k, lang)


def _facts_from_case(case_id: str, db: Path | None, lang: str):
    from anning.documents.facts import LetterFacts

    try:
        from anning.evidence.store import EvidenceStore
    except ImportError:
        _fail("evidence cases are not available in this version yet (anning.evidence.store is missing); "
              "use --message TEXT for now")
    try:
        store = EvidenceStore.open(str(db) if db else None)
    except Exception as exc:  # the store says what is wrong with the database
        _fail(f"cannot open the evidence store{f' {db}' if db else ''}: {exc}")
    if not case_id.strip().isdigit():
        _fail(f"--case takes a case number (see `anning evidence`), not '{case_id}'")
    key = int(case_id)
    try:
        case = store.case(key)
        messages = store.messages(case_id=key)
    except (LookupError, ValueError) as exc:
        _fail(f"no evidence case {case_id}: {exc}")
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
    if not messages:
        _fail(f"evidence case {case_id} has no messages")
    try:
        return LetterFacts.from_messages(messages, case_title=getattr(case, "title", None), lang=lang)
    except ValueError as exc:
        _fail(f"evidence case {case_id}: {exc}")


@click.command()
@click.argument("kind", required=False)
@click.option("--list", "list_docs", is_flag=True, help="列出可生成的文书 / list the documents")
@click.option("--message", "-m", help="一条短信的全文（- 表示从标准输入读取）/ one message (- reads stdin)")
@click.option("--case", "case_id", help="证据案件编号 / an evidence case id")
@click.option("--sender", help="发送号码（配合 --message）/ sender number (with --message)")
@click.option("--at", "received_at", help="接收时间 ISO 格式（配合 --message）/ time received (with --message)")
@click.option("--name", help="你的姓名 / your name")
@click.option("--phone", help="你的手机号码 / your phone number")
@click.option("--id-last4", "id_last4", help="身份证号后四位 / last 4 characters of your ID number")
@click.option("--tone", type=click.Choice(["polite", "firm", "brief"]), help="语气（给亲友的说明）/ tone")
@click.option("--format", "fmt", type=click.Choice(["md", "docx", "pdf"]),
              help="输出格式，默认按 --out 的扩展名，否则 md / output format")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件；md 不给时打印到标准输出 / output file")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="证据库文件 / evidence database")
@click.option("--no-input", is_flag=True, help="不询问缺少的个人信息（留空白）/ never prompt")
def letter(kind: str | None, list_docs: bool, message: str | None, case_id: str | None, sender: str | None,
           received_at: str | None, name: str | None, phone: str | None, id_last4: str | None, tone: str | None,
           fmt: str | None, out: Path | None, lang: str, db: Path | None, no_input: bool) -> None:
    """生成投诉信、举报材料和给亲友的说明。 Write a letter or report from a message or an evidence case.

    \b
    anning letter --list
    anning letter stop_contact --message "短信全文" --sender 1069… --at 2026-11-20T23:15 --out 通知函.pdf
    anning letter friends_note --case 3 --tone brief
    """
    from anning.documents import DocumentError, LetterDataError, load_catalog, write_document
    from anning.documents.facts import Person

    try:
        catalog = load_catalog()
    except LetterDataError as exc:
        _fail(str(exc))
    if list_docs:
        _list_documents(lang)
        return
    if not kind:
        _fail(f"which document? choose one of: {', '.join(catalog.documents)} (or --list)")
    if kind not in catalog.documents:
        _fail(f"unknown document '{kind}'; choose one of: {', '.join(catalog.documents)}")
    doc = catalog.documents[kind]
    if (message is None) == (case_id is None):
        _fail("give exactly one of --message TEXT or --case ID")
    if case_id is not None and (sender or received_at):
        _fail("--sender and --at go with --message; a case already has them")
    if tone and tone not in doc.tones:
        _fail(f"--tone is not used by '{kind}'" + (f" (tones: {', '.join(doc.tones)})" if doc.tones else ""))
    _check_person(name, phone, id_last4)
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if out else ""
        fmt = {"md": "md", "markdown": "md", "docx": "docx", "pdf": "pdf"}.get(suffix, "md")
    if fmt in ("docx", "pdf") and out is None:
        out = Path(f"{kind}.{fmt}")
    if out is not None and not (out.parent if str(out.parent) else Path(".")).is_dir():
        _fail(f"cannot write {out}: directory {out.parent} does not exist")

    stdin_used = False
    if message == "-":
        message = sys.stdin.read().rstrip("\n")
        stdin_used = True
    if message is not None and not message.strip():
        _fail("--message is empty")
    facts = (_facts_from_message(message, sender, received_at, lang) if message is not None
             else _facts_from_case(case_id or "", db, lang))

    values = {"name": name, "phone": phone, "id_last4": id_last4}
    if not no_input and not stdin_used and sys.stdin.isatty():
        hint = "（直接回车留空白）" if lang == "zh" else " (Enter leaves a blank)"
        for fid in doc.fields:
            if not values.get(fid):
                answer = click.prompt(catalog.fields[fid].prompt[lang] + hint, default="", show_default=False)
                values[fid] = answer.strip() or None
        _check_person(values["name"], values["phone"], values["id_last4"])
    person = Person(**{k: (v.strip() if v else None) for k, v in values.items()})

    if facts.main_kind not in doc.suits_kinds:
        _note(f"note: these messages look like '{facts.main_kind}', which '{kind}' is not meant for; "
              f"it is written anyway — check it fits")
    if kind == "police_report" and not facts.police_behaviours:
        _note("note: no threat, impersonation, fake legal document, payment to a personal account or scam link "
              "was found; the report has a blank for your reason")

    try:
        if out is None:
            from anning.documents import render_document

            _doc, markdown = render_document(kind, facts, person, lang, tone)
            click.echo(markdown, nl=False)
            return
        written = write_document(kind, facts, person, out, fmt, lang, tone)
    except DocumentError as exc:
        _fail(str(exc))
    missing = [catalog.fields[f].label[lang] for f in doc.fields if not person.get(f)]
    click.echo(f"{written}" + (f"  (blanks to fill in: {', '.join(missing)})" if missing else ""), err=True)
