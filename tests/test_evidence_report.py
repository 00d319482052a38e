"""The evidence package: files, manifest, independent verification, the Chinese PDF."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from anning.evidence.report import ReportError, build_package
from anning.evidence.store import EvidenceStore
from anning.evidence.timeline import build_timeline

CASE_MESSAGES = [
    ("【分期金融】刘某某，你欠款3210元已逾期15天，再不还款今日派人上门，通知你的紧急联系人和单位", "10690000121",
     "2026-11-11T23:15:00+08:00"),
    ("【分期金融】刘某某，今天是最后期限，逾期将上报征信并联系你的通讯录", "10690000121", "2026-11-11T23:50:00+08:00"),
    ("你好，你的朋友刘某某在分期金融借款逾期，你是他的紧急联系人，请转告他尽快还款，否则后果自负", "17012345678",
     "2026-11-13T07:30:00+08:00"),
]
OTHER = ("妈，我晚上回家吃饭", "13900002222", "2026-11-12T18:00:00+08:00")


@pytest.fixture(scope="module")
def package(tmp_path_factory, engine):
    root = tmp_path_factory.mktemp("report")
    store = EvidenceStore.open(root / "evidence.db")
    seqs = [store.add_message(*m, engine=engine).seq for m in CASE_MESSAGES[:2]]
    store.add_message(*OTHER, engine=engine)
    seqs.append(store.add_message(*CASE_MESSAGES[2], engine=engine).seq)
    case = store.create_case("分期金融 骚扰", "借款人是刘某某，我不是担保人", seqs)
    store.set_case_status(case.id, "complained_lender", "客服工单 778", at="2026-11-14")
    out = root / "package"
    files = build_package(store, case.id, out)
    return store, case, out, files


def test_package_has_every_file_and_a_true_manifest(package):
    _, _, out, files = package
    names = {str(f.relative_to(out)) for f in files}
    assert {"report.html", "report.pdf", "messages.csv", "messages.jsonl", "chain.jsonl", "manifest.json",
            "SHA256SUMS", "README.md", "verify_chain.py"} <= names
    assert {"charts/per_day.svg", "charts/hour_weekday.svg", "charts/top_senders.svg"} <= names
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert manifest["records"] == 3 and manifest["chain_length"] == 4 and manifest["chain_verified"]


def test_package_holds_only_the_case_but_the_whole_chain(package):
    store, _, out, _ = package
    records = [json.loads(line) for line in (out / "messages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == [m[0] for m in CASE_MESSAGES]
    chain = [json.loads(line) for line in (out / "chain.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(chain) == 4 and chain[-1]["hash"] == store.head
    assert "payload" not in chain[2]  # the unrelated personal message is present by hash only
    assert OTHER[0] not in (out / "chain.jsonl").read_text(encoding="utf-8")
    csv_text = (out / "messages.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("seq,received_at") and "3210元" in csv_text


def test_independent_verification_with_standard_tools(package, tmp_path):
    _, _, out, _ = package
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout
    ok = subprocess.run([sys.executable, "-I", "verify_chain.py"], cwd=out, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 4 links, 3 records"), ok.stdout

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    jsonl = copy / "messages.jsonl"
    jsonl.write_text(jsonl.read_text(encoding="utf-8").replace("3210元", "321元"), encoding="utf-8")
    broken = subprocess.run([sys.executable, "-I", "verify_chain.py"], cwd=copy, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "messages.jsonl: SHA-256 differs" in broken.stdout and "BROKEN" in broken.stdout


def test_pdf_has_the_chinese_summary(package):
    from pypdf import PdfReader

    _, _, out, _ = package
    text = "".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    compact = "".join(text.split())
    assert "短信骚扰证据报告" in compact
    assert "共3条短信" in compact and "来自2个不同号码" in compact
    assert "其中3条发生在夜间22:00至次日8:00" in compact
    assert "最密集的一天是2026-11-11（2条）" in compact
    assert "已向平台/催收方投诉" in compact and "客服工单778" in compact
    assert "民法典" in compact  # a breached rule with its source


def test_pdf_page_renders_to_png(package, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    _, _, out, _ = package
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out / "report.pdf"),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_html_report_is_self_contained(package):
    _, _, out, _ = package
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and 'src="charts/per_day.svg"' in html
    assert "刘某某" in html


def test_timeline_figures(package):
    store, case, _, _ = package
    tl = build_timeline(store.messages(case_id=case.id), 22, 8)
    assert (tl.messages, tl.calls, tl.numbers, tl.night, tl.days_span, tl.active_days) == (3, 0, 2, 3, 3, 2)
    assert tl.busiest_day == "2026-11-11" and tl.busiest_day_count == 2
    assert tl.per_day == {"2026-11-11": 2, "2026-11-12": 0, "2026-11-13": 1}
    assert tl.hour_weekday[2][23] == 2  # Wednesday 23:00
    assert tl.top_senders[0] == ("10690000121", 2)
    assert any(b["behaviour"] == "contacts_at_night" and b["count"] == 3 for b in tl.behaviours)


def test_refuses_a_non_empty_output_and_an_empty_selection(package, tmp_path):
    store, case, out, _ = package
    with pytest.raises(ReportError, match="not an empty directory"):
        build_package(store, case.id, out)
    empty = store.create_case("空案件")
    with pytest.raises(ReportError, match="no records"):
        build_package(store, empty.id, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".x.*"))  # no half-built package left behind


def test_cli_report(package, cli, tmp_path):
    store, case, _, _ = package
    done = cli("evidence", "report", str(case.id), "--out", str(tmp_path / "pkg"), "--no-pdf",
               "--db", str(store.path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pkg" / "report.html").is_file() and not (tmp_path / "pkg" / "report.pdf").exists()
