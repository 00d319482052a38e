"""`anning serve`: run the local web app with uvicorn (imported only when the command runs)."""

from __future__ import annotations

import secrets
import socket
import sys
import threading
import webbrowser
from pathlib import Path

import click

from anning.web.security import is_loopback


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def url_for(host: str, port: int, token: str | None) -> str:
    shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；不是本机地址时必须用访问令牌 / address to bind (loopback by default)")
@click.option("--port", type=int, default=0, help="端口，0 表示自动选一个空闲端口 / port (0 = a free one)")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="证据库文件 / evidence database file")
@click.option("--token", help="访问令牌（绑定非本机地址时默认自动生成）/ access token (auto when not loopback)")
@click.option("--no-token", is_flag=True, help="非本机地址也不要令牌（危险）/ no token even when exposed (unsafe)")
@click.option("--allow-host", "allow_hosts", multiple=True, help="额外允许的 Host 名 / extra Host header names")
@click.option("--open", "open_browser", is_flag=True, help="启动后打开浏览器 / open the browser")
@click.option("--upload-mb", type=click.IntRange(1, 2048), default=64, show_default=True,
              help="上传文件大小上限 / upload size limit in MB")
@click.option("--no-model", is_flag=True, help="只用规则 / rules only")
@click.option("--no-personal", is_flag=True, help="不用你自己的规则和模型 / ignore personal rules")
def serve(host: str, port: int, db_path: Path | None, token: str | None, no_token: bool, allow_hosts: tuple[str, ...],
          open_browser: bool, upload_mb: int, no_model: bool, no_personal: bool) -> None:
    """本机网页版（默认只在 127.0.0.1 上）。 Run the local web app."""
    try:
        import uvicorn

        from anning.web.app import create_app
    except ImportError:
        click.echo("anning: the web app needs the web extra: pip install 'anning[web]'", err=True)
        sys.exit(2)
    loopback = is_loopback(host)
    if not loopback:
        if token is None and not no_token:
            token = secrets.token_urlsafe(24)
        bar = "!" * 72
        click.secho(f"{bar}\n警告 WARNING: 正在监听 {host}，不只是本机：同一网络里的其他设备可以访问你的证据。\n"
                    f"Listening on {host}, not loopback: other devices on the network can reach your evidence.\n"
                    + ("访问需要令牌 / a token is required (in the URL below).\n" if token else
                       "而且没有访问令牌！ AND THERE IS NO ACCESS TOKEN!\n") + bar, fg="red", bold=True, err=True)
    port = port or free_port(host)
    app = create_app(db_path, token, host=host, allowed_hosts=allow_hosts, personal=not no_personal,
                     model=None if no_model else "auto", upload_mb=upload_mb)
    url = url_for(host, port, token)
    click.echo(f"安宁 anning: {url}  (Ctrl+C 停止 / to stop)")
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, date_header=False,
                proxy_headers=False)
