"""Security for a local app that holds sensitive data.

* Host header check (DNS rebinding): only the names the server was started for are answered.
* Optional access token (required when bound beyond loopback): ``?token=`` once, then an HttpOnly cookie.
* CSRF: a random per-browser secret in an HttpOnly ``SameSite=Strict`` cookie; forms carry
  HMAC(app key, secret) and unsafe requests must echo it. Cross-site requests (``Sec-Fetch-Site`` or a
  foreign ``Origin``) are refused before the token is even looked at.
* Strict Content-Security-Policy (``default-src 'self'``, no inline script or style) and the other headers.

Only the standard library: hmac, hashlib, secrets, ipaddress.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, urlencode

CSRF_COOKIE = "anning_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_COOKIE = "anning_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])
SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
NO_STORE = "no-store"

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host part of a Host header value, lower-case, without port; IPv6 keeps its brackets off."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass
class Guard:
    """What a running app accepts: host names, an optional token, and the key that signs CSRF tokens."""

    allowed_hosts: frozenset[str]
    token: str | None = None
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def for_bind(cls, bind_host: str, token: str | None, extra_hosts: Iterable[str] = ()) -> Guard:
        hosts = {"localhost", "127.0.0.1", "::1"}
        if bind_host in ("0.0.0.0", "::", ""):
            if token:  # the token keeps a rebinding page out: its cookie is not the attacker's to send
                hosts.add("*")
            else:  # no token: only this machine's own names and addresses
                hosts |= _own_names()
        elif not is_loopback(bind_host):
            hosts.add(host_name(bind_host))
        hosts |= {host_name(h) for h in extra_hosts}
        return cls(frozenset(hosts), token)

    # -- host ----------------------------------------------------------------------------------
    def host_ok(self, header: str | None) -> bool:
        if not header:
            return False
        return "*" in self.allowed_hosts or host_name(header) in self.allowed_hosts

    # -- token ---------------------------------------------------------------------------------
    def token_ok(self, presented: str | None) -> bool:
        if self.token is None:
            return True
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    # -- CSRF ----------------------------------------------------------------------------------
    def csrf_for(self, secret: str) -> str:
        return hmac.new(self.key, secret.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, secret: str | None, presented: str | None) -> bool:
        if not secret or not presented:
            return False
        return hmac.compare_digest(self.csrf_for(secret), presented)


def _own_names() -> set[str]:
    import socket

    name = socket.gethostname()
    names = {name.lower(), socket.getfqdn().lower()}
    with contextlib.suppress(OSError):
        names |= set(socket.gethostbyname_ex(name)[2])
    return names


def new_csrf_secret() -> str:
    return secrets.token_urlsafe(32)


def cookies_of(headers: dict[bytes, bytes] | list[tuple[bytes, bytes]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, dict) else headers
    jar: dict[str, str] = {}
    for name, value in items:
        if name.lower() == b"cookie":
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is ignored, not fatal
                continue
            jar.update({k: m.value for k, m in parsed.items()})
    return jar


def cookie_header(name: str, value: str, max_age: int | None = None) -> bytes:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode("latin-1")


def strip_query_param(query: str, name: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != name])


def same_origin(origin: str, host_header: str) -> bool:
    """An Origin header value matches the Host the request was sent to (scheme ignored: http only)."""
    if origin == "null":
        return False
    rest = origin.split("://", 1)[-1].rstrip("/").lower()
    return rest == host_header.strip().lower()


class SecurityMiddleware:
    """Pure ASGI middleware: host check, token, cross-site refusal, CSRF cookie, security headers.

    The CSRF *token* in a form body is checked by the app (``check_csrf``), which reads the form;
    here the request is refused early when it is plainly cross-site, and every response gets the headers.
    """

    def __init__(self, app, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        host = headers.get(b"host", b"").decode("latin-1")
        jar = cookies_of(scope.get("headers", []))
        extra: list[tuple[bytes, bytes]] = []

        if not self.guard.host_ok(host):
            await _plain(send, 421, "Misdirected request: unknown Host header (DNS rebinding protection).")
            return

        if self.guard.token is not None:
            query = scope.get("query_string", b"").decode("latin-1")
            from_query = dict(parse_qsl(query)).get("token")
            auth = headers.get(b"authorization", b"").decode("latin-1")
            bearer = auth[7:] if auth.lower().startswith("bearer ") else None
            if from_query is not None and self.guard.token_ok(from_query) and scope["method"] == "GET":
                # Trade the token in the URL for a cookie, and drop it from the address bar and history.
                rest = strip_query_param(query, "token")
                location = quote(scope.get("path", "/")) + (f"?{rest}" if rest else "")
                await _redirect(send, location, [(b"set-cookie", cookie_header(TOKEN_COOKIE, self.guard.token))])
                return
            if not (self.guard.token_ok(jar.get(TOKEN_COOKIE)) or self.guard.token_ok(bearer)):
                await _plain(send, 401, "Access token required: open the URL printed by `anning serve`.")
                return

        if scope["method"] in UNSAFE_METHODS:
            site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
            origin = headers.get(b"origin", b"").decode("latin-1")
            if site == "cross-site" or (origin and not same_origin(origin, host)):
                await _plain(send, 403, "Cross-site request refused (CSRF protection).")
                return

        secret = jar.get(CSRF_COOKIE)
        if not secret or len(secret) < 32:
            secret = new_csrf_secret()
            extra.append((b"set-cookie", cookie_header(CSRF_COOKIE, secret)))
        scope.setdefault("state", {})["csrf_secret"] = secret

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                hdrs = list(message.get("headers", []))
                present = {k.lower() for k, _ in hdrs}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        hdrs.append((name.encode(), value.encode()))
                if b"cache-control" not in present:
                    hdrs.append((b"cache-control", NO_STORE.encode()))
                hdrs.extend(extra)
                message = {**message, "headers": hdrs}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    hdrs = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    hdrs += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str, extra: list[tuple[bytes, bytes]]) -> None:
    hdrs = [(b"location", location.encode("latin-1")), (b"content-length", b"0"), *extra]
    hdrs += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": 303, "headers": hdrs})
    await send({"type": "http.response.body", "body": b""})
