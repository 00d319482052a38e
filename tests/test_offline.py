"""Nothing touches the network: a fresh interpreter with sockets disabled analyses messages whose URLs
load tldextract and whose sender numbers load phonenumbers."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r'''
import json
import socket
import sys

assert "anning" not in sys.modules and "tldextract" not in sys.modules and "phonenumbers" not in sys.modules

attempts = []
_real_socket = socket.socket


class NoNetworkSocket(_real_socket):
    def __init__(self, *args, **kwargs):
        caller = sys._getframe(1)
        where = f"{caller.f_code.co_filename}:{caller.f_code.co_name}"
        # urllib3 (imported by tldextract) probes IPv6 support at import by binding to ::1; that is no
        # traffic, so it is refused like every socket but not counted as a network attempt.
        if not where.endswith("urllib3/util/connection.py:_has_ipv6"):
            attempts.append(("socket", where, repr(args)))
        raise OSError("network disabled by test")


def _refuse(name):
    def refuse(*args, **kwargs):
        attempts.append((name, repr(args)))
        raise OSError(f"network disabled by test: {name}")
    return refuse


socket.socket = NoNetworkSocket
socket.create_connection = _refuse("create_connection")
socket.getaddrinfo = _refuse("getaddrinfo")
socket.gethostbyname = _refuse("gethostbyname")

from anning.engine import Engine
from anning.explain import verdict_to_dict

engine = Engine()
messages = [
    ("您的贷款逾期未还，点击 http://hk-repay.top/a 立即处理", "13812345678"),
    ("点 n.95508.com/x 即可办理账单分期，详见 https://www.icbc.com.cn/abc", "95588"),
    ("请访问 zxdk-huankuan.cn 还款，或联系 +63 917 123 4567", "+639171234567"),
    ("【招联金融】您的借款已逾期，请登录 www.mucfc.com 还款", "1069012345678"),
]
out = []
for text, sender in messages:
    d = verdict_to_dict(engine.analyze(text, sender, "2026-11-20T23:15"))
    out.append({"kind": d["kind"], "domains": [u["domain"] for u in d["entities"]["urls"]],
                "sender": d["entities"]["sender"]["type"], "carrier": d["entities"]["sender"].get("carrier")})
print(json.dumps({
    "results": out,
    "attempts": attempts,
    "loaded": {m: m in sys.modules for m in ("tldextract", "phonenumbers", "opencc")},
}, ensure_ascii=False))
'''


def test_analysis_never_touches_the_network():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, encoding="utf-8",
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["attempts"] == [], f"network access attempted: {report['attempts']}"
    assert report["loaded"] == {"tldextract": True, "phonenumbers": True, "opencc": True}
    results = report["results"]
    assert results[0]["domains"] == ["hk-repay.top"]
    assert results[1]["domains"] == ["95508.com", "icbc.com.cn"]
    assert results[2]["domains"] == ["zxdk-huankuan.cn"]
    assert results[3]["domains"] == ["mucfc.com"]
    assert [r["sender"] for r in results] == ["mobile", "service_95", "international", "sms_gateway_106"]
    assert results[0]["carrier"]  # phonenumbers' offline carrier data was used
