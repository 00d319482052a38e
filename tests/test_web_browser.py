"""The web app in a real browser: Playwright driving Debian's chromium, at phone and desktop sizes.

Journeys: paste → verdict with highlights (with and without JavaScript); upload a backup → timeline
→ verify → download the evidence package; make a letter. Two tabs and a CLI import at once keep every
record. Screenshots go to tests/screenshots/latest/ (git-ignored); with ANNING_UPDATE_SCREENSHOTS=1 they
go to tests/screenshots/, where three ``phone-*.png`` are the README's pictures.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (make sysdeps)")

SHOTS = Path(__file__).parent / "screenshots"
if not os.environ.get("ANNING_UPDATE_SCREENSHOTS"):  # a test run leaves the README's pictures alone
    SHOTS = SHOTS / "latest"
ANNING = Path(sys.executable).parent / "anning"
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 1},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
MESSAGE = ("【分期金融】刘某某，还贷呗欠款网贷由于多次与您协商无果，清收人员将于今日12点拟定债务委托书，"
           "授权专员到预留证件地上访，还款终止拒收请回复R。")
SCAM = ("【安稳借】您的还款通道已关闭，逾期将上报征信并起诉。请立即将欠款3,200元转入对公处理专员账户"
        "6217 00** **** 4410（陈**），办理后回复截图。")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def android_backup(n: int, start_ms: int = 1_763_600_000_000, sender: str = "10690000123", tag: str = "") -> str:
    """An Android "SMS Backup & Restore" export with n collection messages, some at night."""
    rows = []
    bodies = [MESSAGE, SCAM, "【还呗】您的借款已逾期3天，请今日内还款，否则将联系您的紧急联系人。",
              "你好，你朋友张三在我司借款逾期，请转告他尽快还款，否则后果自负。"]
    for i in range(n):
        body = bodies[i % len(bodies)] + (f"（{tag}{i}）" if tag else f"（{i}）")
        ms = start_ms + i * 5_400_000  # every 90 minutes: some land at night
        rows.append(f'<sms protocol="0" address="{sender}" date="{ms}" type="1" subject="null" '
                    f'body="{body}" read="1" status="-1" locked="0" date_sent="0" contact_name="(Unknown)" />')
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            f'<smses count="{n}">\n' + "\n".join(rows) + "\n</smses>\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict]:
    import uvicorn

    from anning.web.app import create_app

    db = tmp_path_factory.mktemp("web") / "evidence.db"
    app = create_app(db)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{port}", "db": db}
    srv.should_exit = True
    thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(params=list(VIEWPORTS))
def device(request, browser):
    ctx = browser.new_context(**VIEWPORTS[request.param], locale="zh-CN", accept_downloads=True)
    errors: list[str] = []
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield request.param, page, errors
    ctx.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_overflow(page) -> None:
    """Nothing wider than the screen (no sideways scrolling on a phone)."""
    over = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert over <= 1, f"page is {over}px wider than the viewport"


def test_check_a_message_shows_the_verdict_with_highlights(server, device):
    size, page, errors = device
    page.goto(server["url"] + "/")
    page.fill("#text", MESSAGE)
    page.click("details.more summary")
    page.fill("#sender", "10690000123")
    page.fill("#at", "2026-11-20T23:15")
    shot(page, f"{size}-1-check-form")
    page.click("#check-button")
    page.wait_for_selector("#verdict")
    assert "催收" in page.inner_text("#verdict-kind")
    marks = page.locator("#message-text a.hl")
    assert marks.count() >= 3
    assert "授权专员到预留证件地上访" in "".join(marks.all_inner_texts())
    marks.filter(has_text="上访").first.click()
    pop = page.locator(".pop")
    pop.wait_for()
    assert "THREAT_VISIT" in pop.inner_text() and "分值 +1.5" in pop.inner_text()
    page.locator("#message-text").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{size}-2b-highlight-tapped.png"))  # the viewport, with the popover
    assert page.locator(".laws .badge").count() >= 1
    assert page.locator(".checklist input[type=checkbox]").count() >= 2
    no_overflow(page)
    page.keyboard.press("Escape")
    shot(page, f"{size}-2-verdict")
    assert not errors, errors  # no CSP violations or script errors


def test_a_paste_lists_each_message_and_opens_one_alone(server, device):
    size, page, errors = device
    notice = "【借呗】您的借款已逾期3天，请登录支付宝还款。"
    page.goto(server["url"] + "/")
    page.fill("#text", f"10690000123\n时间：2026-11-20 09:15\n{notice}\n\n{SCAM}")
    page.click("#check-button")
    page.wait_for_selector("#pasted")
    items = page.locator(".pasted-item")
    assert items.count() == 2
    assert "诈骗" in page.inner_text("#verdict-kind")  # the scam is the one shown in detail
    no_overflow(page)
    shot(page, f"{size}-paste")
    items.first.get_by_role("button").click()
    page.wait_for_selector("#verdict")
    assert page.locator("#pasted").count() == 0
    assert "催收" in page.inner_text("#verdict-kind")
    assert page.inner_text("#message-text").strip() == notice
    assert not errors, errors


def test_check_works_without_javascript(server, browser):
    ctx = browser.new_context(java_script_enabled=False, **VIEWPORTS["phone"])
    page = ctx.new_page()
    page.goto(server["url"] + "/")
    page.fill("#text", SCAM)
    page.click("#check-button")
    page.wait_for_selector("#verdict")
    assert "诈骗" in page.inner_text("#verdict-kind")
    assert page.locator(".notice.bad.strong").count() == 1
    # a highlight is a plain link to its reason: it works without JavaScript
    href = page.locator("#message-text a.hl").first.get_attribute("href")
    assert href and href.startswith("#r-")
    page.locator("#message-text a.hl").first.click()
    assert page.evaluate("location.hash") == href
    shot(page, "phone-nojs-scam-verdict")
    ctx.close()


def test_keep_as_evidence_and_read_the_guide(server, device):
    size, page, errors = device
    page.goto(server["url"] + "/")
    page.fill("#text", SCAM)
    page.click("#check-button")
    page.wait_for_selector("#verdict")
    page.click("#keep-button")
    page.wait_for_selector("#kept")
    assert "/evidence/message/" in page.url
    page.goto(server["url"] + "/")
    page.fill("#text", MESSAGE)
    page.click("#check-button")
    page.locator(".checklist a[href^='/guide/']").first.click()
    page.wait_for_selector("#topic")
    page.fill("#q", "紧急联系人")
    page.press("#q", "Enter")
    page.wait_for_selector(".topics a")
    no_overflow(page)
    shot(page, f"{size}-5-guide")
    page.click("header .lang")
    page.wait_for_selector("html[lang=en]")
    assert "Guide" in page.inner_text("nav.tabs")
    page.click("header .lang")  # back to Chinese for the other tests
    page.wait_for_selector("html[lang=zh-CN]")
    assert not errors, errors


def test_make_a_letter_from_a_verdict(server, device):
    """Verdict → 用它生成文书 carries the message to the letters page. The letter form, preview and
    PDF/DOCX download need ``anning.documents``; until it is installed the page says so."""
    from anning.web.letter_views import letters_available

    size, page, errors = device
    page.goto(server["url"] + "/")
    page.fill("#text", MESSAGE)
    page.click("#check-button")
    page.click("#letter-button")
    page.wait_for_selector("#letters")
    assert "授权专员到预留证件地上访" in (page.input_value("#letter-text") if letters_available()
                                         else page.inner_text("#letter-message"))
    if not letters_available():
        assert page.locator("#letters-missing").is_visible()
        return
    page.fill("#name", "王小明")
    page.fill("#phone", "13800138000")
    page.click("#preview-button")
    frame = page.frame_locator("#letter-preview")
    frame.locator("body", has_text="王小明").wait_for(timeout=20_000)
    no_overflow(page)
    shot(page, f"{size}-4-letter")
    fmt = "pdf" if size == "phone" else "docx"  # one of each, to keep the suite fast
    with page.expect_download(timeout=30_000) as info:
        page.click(f"#{fmt}-button")
    data = Path(info.value.path()).read_bytes()
    assert data[:4] == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")
    assert info.value.suggested_filename.endswith("." + fmt)
    assert not errors, errors


def test_upload_backup_timeline_verify_download(server, device, tmp_path):
    size, page, errors = device
    backup = tmp_path / f"sms-{size}.xml"
    backup.write_text(android_backup(24, tag=size), encoding="utf-8")
    page.goto(server["url"] + "/evidence")
    page.set_input_files("#file", str(backup))
    page.click("#upload-button")
    page.wait_for_selector("#import-result", timeout=30_000)
    assert "新增 24 条" in page.inner_text("#import-result")
    shot(page, f"{size}-3a-import-done")
    page.click("#to-evidence")
    page.wait_for_selector("#chart-hours rect.bar.night", state="attached")
    assert page.locator("#chart-days rect.bar").count() >= 2
    page.click("#verify-button")
    page.wait_for_selector("#verify-result .notice.ok")
    no_overflow(page)
    shot(page, f"{size}-3-evidence")
    page.click("#reanalyse-button")  # the same version judges the same: nothing changes
    page.wait_for_selector("#reanalysis-result")
    said = page.inner_text("#reanalysis-result").strip()
    assert re.fullmatch(r"已重新分析 \d+ 条短信，其中 0 条的判断有变化。", said), said
    no_overflow(page)
    page.evaluate("document.getElementById('timeline').scrollIntoView()")
    page.screenshot(path=str(SHOTS / f"{size}-3b-timeline.png"))
    page.uncheck("#summary input[name=pdf]")  # the PDF report is tested with the evidence package itself
    with page.expect_download(timeout=60_000) as info:
        page.click("#package-button")
    data = Path(info.value.path()).read_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "anning-evidence/manifest.json" in names
    assert "anning-evidence/report.html" in names
    assert "anning-evidence/report.pdf" not in names
    assert not errors, errors


def test_two_tabs_and_a_cli_import_at_once_keep_every_record(server, browser, tmp_path):
    """Two browser tabs upload while the CLI imports into the same store: nothing lost, chain intact."""
    from anning.evidence.store import EvidenceStore

    with EvidenceStore.open(server["db"]) as s:
        before = s.count()
    files = []
    for name in ("tab1", "tab2", "cli"):
        f = tmp_path / f"{name}.xml"
        f.write_text(android_backup(60, start_ms=1_764_000_000_000, sender=f"1069{name}", tag=name),
                     encoding="utf-8")
        files.append(f)
    ctx = browser.new_context(**VIEWPORTS["desktop"])
    tabs = [ctx.new_page(), ctx.new_page()]
    for tab, f in zip(tabs, files, strict=False):
        tab.goto(server["url"] + "/evidence")
        tab.set_input_files("#file", str(f))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cli = subprocess.Popen([str(ANNING), "evidence", "import", str(files[2]), "--db", str(server["db"]), "-j", "1"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for tab in tabs:
        tab.click("#upload-button")
    for tab in tabs:
        tab.wait_for_selector("#import-result", timeout=60_000)
        assert "新增 60 条" in tab.inner_text("#import-result")
    _out, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err
    ctx.close()
    with EvidenceStore.open(server["db"]) as s:
        assert s.count() == before + 180
        report = s.verify()
    assert report.ok, report.problems
