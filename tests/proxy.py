"""A real reverse proxy for tests: Debian's nginx, run as the test's own process on a free port.

Configured as the README's production proxy: ``/live/`` unbuffered with a long read timeout, the
client's address and scheme in ``X-Forwarded-*``. When its upstream is down it answers 502, as a
proxy in front of a restarting web server does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.browser import free_port

NGINX = os.environ.get("IOC_TEST_NGINX", "/usr/sbin/nginx")

CONFIG = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 50m;
    upstream ioc {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        location / {{ proxy_pass http://ioc; }}
        location /live/ {{
            proxy_pass http://ioc;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


@dataclass
class Proxy:
    url: str
    process: subprocess.Popen[bytes]
    tmp: Path

    def log(self) -> str:
        return (self.tmp / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_nginx(tmp: Path, upstream_port: int) -> Proxy:
    """nginx in front of ``127.0.0.1:upstream_port``; returns once it answers (a 502 counts: it is up)."""
    if not Path(NGINX).exists() and shutil.which("nginx") is None:
        pytest.fail(f"nginx is required at {NGINX} (apt-get install nginx)", pytrace=False)
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # As root, nginx's workers would switch to "nobody", who cannot write the test's temp dirs.
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(CONFIG.format(tmp=tmp, user=user, port=port, upstream=upstream_port), encoding="utf-8")
    with (tmp / "stdout.log").open("wb") as out:
        process = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")],
                                   stdout=out, stderr=subprocess.STDOUT)
    proxy = Proxy(f"http://127.0.0.1:{port}", process, tmp)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited:\n{(tmp / 'stdout.log').read_text()}\n{proxy.log()}", pytrace=False)
        try:
            requests.get(f"{proxy.url}/healthz", timeout=2)
            return proxy
        except requests.RequestException:
            time.sleep(0.2)
    proxy.stop()
    pytest.fail(f"nginx did not answer in 60 s:\n{proxy.log()}", pytrace=False)
