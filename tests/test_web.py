"""The web app over HTTP (no browser): pages, security headers, CSRF, Host check, token, upload limits,
path traversal, and the `anning serve` command."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from anning.web.app import create_app
from anning.web.security import CSRF_COOKIE, Guard, host_name, is_loopback

BASE = "http://127.0.0.1:8765"
MESSAGE = ("【分期金融】刘某某，还贷呗欠款网贷由于多次与您协商无果，清收人员将于今日12点拟定债务委托书，"
           "授权专员到预留证件地上访。")
XML = ("<?xml version='1.0' encoding='UTF-8'?>\n<smses count=\"1\">"
       f'<sms address="10690000123" date="1763651700000" type="1" body="{MESSAGE}" read="1" /></smses>\n')


@pytest.fixture(scope="module")
def app(tmp_path_factory, engine):
    return create_app(tmp_path_factory.mktemp("webdb") / "evidence.db", engine=engine, upload_mb=1)


@pytest.fixture
def client(app):
    return TestClient(app, base_url=BASE)


def csrf_of(client: TestClient, path: str = "/") -> str:
    r = client.get(path)
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', r.text).group(1)


def post_routes(app) -> list[str]:
    return [r.path for r in app.routes if "POST" in getattr(r, "methods", set())]


# -- pages ------------------------------------------------------------------------------------------
def test_check_page_without_javascript_is_a_plain_form(client):
    r = client.get("/")
    assert r.status_code == 200
    assert '<form method="post" action="/check"' in r.text
    assert "<script src=\"/static/app.js\" defer></script>" in r.text
    assert "<script>" not in r.text and " style=" not in r.text and "onclick" not in r.text  # CSP-clean


def test_check_shows_the_verdict_with_highlights_and_laws(client):
    token = csrf_of(client)
    r = client.post("/check", data={"csrf_token": token, "text": MESSAGE, "sender": "10690000123",
                                    "at": "2026-11-20T23:15"})
    assert r.status_code == 200
    assert 'id="verdict"' in r.text
    assert '<a class="hl" href="#r-' in r.text
    assert "授权专员到预留证件地上访" in re.sub(r"<[^>]+>", "", r.text)
    assert "法律" in r.text and "/guide/" in r.text
    assert 'action="/evidence/keep"' in r.text and 'action="/letters/from-message"' in r.text


PASTE = ("10690000123\n时间：2026-11-20 09:15\n【借呗】您的借款已逾期3天，请登录支付宝还款。\n\n"
         "【法院】您的网贷案件已立案，点击 http://fy-ck.top 查看传票并缴纳保证金。")


def test_a_paste_of_several_messages_is_judged_message_by_message(client):
    token = csrf_of(client)
    r = client.post("/check", data={"csrf_token": token, "text": PASTE})
    assert r.status_code == 200
    assert "这段文字里有 2 条短信" in r.text and 'id="pasted"' in r.text
    assert r.text.count('class="pasted-item') == 2 and 'class="pasted-item chosen"' in r.text
    assert "冒充催收的诈骗" in re.search(r'id="verdict-kind"[^>]*>([^<]+)<', r.text).group(1)
    # keeping it as evidence keeps the message shown in detail, not the whole paste
    keep = r.text[r.text.index('action="/evidence/keep"'):]
    kept = re.search(r'name="text" value="([^"]*)"', keep).group(1)
    assert kept.startswith("【法院】") and "借呗" not in kept
    whole = client.post("/check", data={"csrf_token": token, "text": PASTE, "whole": "1"})
    assert whole.status_code == 200 and 'id="pasted"' not in whole.text and 'id="verdict"' in whole.text


def test_check_in_english(client):
    client.get("/lang/en?next=/")
    r = client.post("/check", data={"csrf_token": csrf_of(client), "text": MESSAGE})
    assert 'lang="en"' in r.text and "Collection" in r.text
    assert "Read the guide: " in r.text and "：" not in re.sub(r"<blockquote.*?</blockquote>", "", r.text, flags=re.S)
    client.get("/lang/zh")
    r = client.post("/check", data={"csrf_token": csrf_of(client), "text": MESSAGE})
    assert "看指南：" in r.text


def test_check_errors_are_shown_in_the_form(client):
    token = csrf_of(client)
    assert client.post("/check", data={"csrf_token": token, "text": "  "}).status_code == 400
    r = client.post("/check", data={"csrf_token": token, "text": MESSAGE, "at": "yesterday"})
    assert r.status_code == 400 and "格式不对" in r.text


def test_message_text_is_escaped(client):
    r = client.post("/check", data={"csrf_token": csrf_of(client), "text": "<script>alert(1)</script>欠款"})
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;" in r.text


def test_guide_index_topic_and_search(client):
    assert "why_me" in client.get("/guide").text
    r = client.get("/guide/why_me")
    assert r.status_code == 200 and "<strong>" in r.text  # Markdown rendered
    assert "/guide/why_me" in client.get("/guide", params={"q": "紧急联系人"}).text
    assert client.get("/guide/nope").status_code == 404


def test_language_switch_only_redirects_to_local_paths(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert r.headers["location"] == "/"
    r = client.get("/lang/en", params={"next": "/guide?q=a&b=c"}, follow_redirects=False)
    assert r.headers["location"] == "/guide?q=a&b=c"
    client.get("/lang/zh")


# -- security headers --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/guide", "/static/app.css", "/nope"])
def test_security_headers_on_every_response(client, path):
    h = client.get(path).headers
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "SAMEORIGIN"
    assert h["referrer-policy"] == "same-origin"
    assert "camera=()" in h["permissions-policy"]
    assert h["cache-control"] == "no-store" or path.startswith("/static")
    assert "server" not in {k.lower() for k in h if k.lower() == "server" and "uvicorn" in h[k]}


def test_no_api_docs_and_no_external_assets(client):
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404
    static = Path(__file__).resolve().parents[1] / "src/anning/web"
    for f in [*static.glob("templates/*.html"), *static.glob("static/*")]:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), f
        assert "@import" not in text and "fonts.googleapis" not in text


# -- CSRF ---------------------------------------------------------------------------------------------
def test_every_post_route_rejects_a_missing_or_wrong_csrf_token(app, client):
    routes = post_routes(app)
    assert {"/check", "/evidence/keep", "/evidence/import", "/evidence/package", "/evidence/cases"} <= set(routes)
    csrf_of(client)  # the browser has its cookie
    for path in routes:
        path = path.replace("{case_id}", "1")
        assert client.post(path, data={"text": MESSAGE}).status_code == 403, path
        assert client.post(path, data={"text": MESSAGE, "csrf_token": "0" * 64}).status_code == 403, path


def test_csrf_token_is_bound_to_the_browser_cookie(app):
    a, b = TestClient(app, base_url=BASE), TestClient(app, base_url=BASE)
    token_a = csrf_of(a)
    csrf_of(b)
    assert b.post("/check", data={"csrf_token": token_a, "text": MESSAGE}).status_code == 403
    assert a.post("/check", data={"csrf_token": token_a, "text": MESSAGE}).status_code == 200


def test_csrf_cookie_is_httponly_and_strict(client):
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(CSRF_COOKIE) and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_cross_site_posts_are_refused_even_with_a_token(client):
    token = csrf_of(client)
    r = client.post("/check", data={"csrf_token": token, "text": MESSAGE}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/check", data={"csrf_token": token, "text": MESSAGE}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    ok = client.post("/check", data={"csrf_token": token, "text": MESSAGE}, headers={"Origin": BASE})
    assert ok.status_code == 200


# -- Host header (DNS rebinding) and token --------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "192.168.1.5"])
def test_unknown_host_header_is_refused(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"])
def test_loopback_host_headers_are_accepted(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_host_helpers():
    assert host_name("[::1]:80") == "::1" and host_name("Example.com:80") == "example.com"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.0.2")
    assert Guard.for_bind("0.0.0.0", "t").host_ok("anything.lan")  # the token guards
    assert not Guard.for_bind("0.0.0.0", None).host_ok("evil.example")  # no token: own names only
    assert not Guard.for_bind("192.168.0.2", "t").host_ok("evil.example")


def test_token_is_required_when_set(tmp_path, engine):
    app = create_app(tmp_path / "e.db", token="s3cret-token", host="192.168.0.2", engine=engine)
    c = TestClient(app, base_url="http://192.168.0.2:8000")
    assert c.get("/").status_code == 401
    assert c.get("/?token=wrong").status_code == 401
    r = c.get("/guide?token=s3cret-token&q=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/guide?q=x"  # token leaves the address bar
    assert "HttpOnly" in r.headers["set-cookie"]
    assert c.get("/").status_code == 200  # the cookie now carries it
    other = TestClient(app, base_url="http://192.168.0.2:8000")
    assert other.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert other.get("/static/app.css").status_code == 401


# -- uploads ---------------------------------------------------------------------------------------------
def test_upload_rejects_wrong_types_and_contents(client):
    token = csrf_of(client, "/evidence")
    for name, content in [("evil.exe", b"MZ\x90\x00"), ("notes.pdf", b"%PDF-1.7"), ("sms.db", b"<?xml?>"),
                          ("sms.xml", b"\x00\x01binary"), ("noext", b"<smses/>")]:
        r = client.post("/evidence/import", data={"csrf_token": token}, files={"file": (name, content)})
        assert r.status_code == 415, name
    assert client.post("/evidence/import", data={"csrf_token": token}).status_code == 400


def test_upload_size_limit(client):
    token = csrf_of(client, "/evidence")
    for size in (1024 * 1024 + 10, 3 * 1024 * 1024):
        big = b"<smses>" + b" " * size + b"</smses>"
        r = client.post("/evidence/import", data={"csrf_token": token}, files={"file": ("sms.xml", big)})
        assert r.status_code == 413, size
    r = client.post("/evidence/import", data={"csrf_token": token}, files={"file": ("sms.xml", b"<smses/>")},
                    headers={"Content-Length": str(50 * 1024 * 1024)})
    assert r.status_code == 413  # refused on the declared length, before reading


def test_ordinary_forms_have_a_small_body_limit(client):
    token = csrf_of(client)
    r = client.post("/check", data={"csrf_token": token, "text": "欠款" * 40_000})
    assert r.status_code == 413


def test_upload_import_and_evidence_pages(client):
    token = csrf_of(client, "/evidence")
    r = client.post("/evidence/import", data={"csrf_token": token},
                    files={"file": ("../../etc/sms backup.xml", XML.encode())}, follow_redirects=False)
    assert r.status_code == 303
    job = r.headers["location"]
    for _ in range(200):
        status = client.get(job + "/status").json()
        if status["done"]:
            break
        time.sleep(0.05)
    assert status["summary"]["new"] + status["summary"]["duplicates"] == 1, status
    page = client.get("/evidence")
    assert 'id="chart-hours"' in page.text and "10690000123" in page.text
    assert "notice ok" in client.get("/evidence/verify").text
    odd = {"kind": "nonsense", "since": "x'; drop", "case": "1 or 1"}
    assert client.get("/evidence", params=odd).status_code == 200
    r = client.post("/evidence/cases", data={"csrf_token": token, "title": "分期金融", "with_filtered": "1"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/evidence?case=")
    case_page = client.get(r.headers["location"])
    assert "分期金融" in case_page.text
    case_id = r.headers["location"].split("=")[1]
    assert client.post(f"/evidence/cases/{case_id}/status", data={"csrf_token": token, "status": "bogus"}
                       ).status_code == 400
    assert client.get("/evidence", params={"case": "999"}).status_code == 404


def test_keep_a_checked_message(client):
    token = csrf_of(client)
    r = client.post("/evidence/keep", data={"csrf_token": token, "text": MESSAGE + "（保存）", "sender": "95188"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert 'id="kept"' in page.text and "95188" in page.text and 'id="verdict"' in page.text
    assert client.get("/evidence/message/999999").status_code == 404


def test_package_download_is_a_zip_with_a_fixed_name(client):
    token = csrf_of(client, "/evidence")
    r = client.post("/evidence/package", data={"csrf_token": token, "case": "../../etc/passwd"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"] == 'attachment; filename="anning-evidence-all.zip"'
    assert r.content[:2] == b"PK"


def test_letter_preview_and_download(client):
    pytest.importorskip("anning.documents")
    token = csrf_of(client, "/letters")
    form = {"csrf_token": token, "kind": "stop_contact", "text": MESSAGE, "name": "王小明", "action": "preview"}
    r = client.post("/letters/make", data=form)
    assert r.status_code == 200 and "王小明" in r.text
    assert "sandbox" in r.headers["content-security-policy"] and "script" not in r.headers["content-security-policy"]
    r = client.post("/letters/make", data=form | {"action": "docx"})
    assert r.content[:2] == b"PK" and r.headers["content-disposition"] == 'attachment; filename="stop_contact.docx"'
    assert client.post("/letters/make", data=form | {"phone": "<script>"}).status_code == 400
    assert client.post("/letters/make", data=form | {"kind": "../../etc"}).status_code == 400


# -- path traversal ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/app.py",
                                  "/static/%2e%2e%2f%2e%2e%2fcli.py", "/static//etc/passwd",
                                  "/static/..%5capp.py", "/guide/..%2f..%2fcli", "/evidence/import/..%2f..%2fx"])
def test_no_path_traversal(client, path):
    r = client.get(path)
    assert r.status_code in (404, 400), path
    assert "def create_app" not in r.text and "root:" not in r.text


# -- anning serve -----------------------------------------------------------------------------------------
def _serve(*args: str, wait_for: str, timeout: float = 20) -> tuple[subprocess.Popen, str]:
    exe = Path(sys.executable).parent / "anning"
    proc = subprocess.Popen([str(exe), "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8")
    seen = ""
    deadline = time.monotonic() + timeout
    while wait_for not in seen and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    return proc, seen


def test_serve_binds_loopback_on_a_free_port_and_prints_the_url(tmp_path):
    import httpx

    proc, out = _serve("--db", str(tmp_path / "e.db"), wait_for="http://")
    try:
        url = re.search(r"http://localhost:\d+/", out).group(0)
        for _ in range(100):
            try:
                r = httpx.get(url)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200 and "安宁" in r.text
        assert "server" not in r.headers
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_beyond_loopback_warns_and_requires_a_token(tmp_path):
    proc, out = _serve("--host", "0.0.0.0", "--db", str(tmp_path / "e.db"), wait_for="?token=")
    try:
        assert "WARNING" in out and "token" in out
        assert re.search(r"\?token=[\w-]{20,}", out)
    finally:
        proc.terminate()
        proc.wait(10)
