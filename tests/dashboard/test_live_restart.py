"""The live feed across a web restart, in the production shape: gunicorn (gthread) on PostgreSQL and
Redis, behind a real nginx that the test runs.

A graceful stop (SIGTERM, as a deploy or ``systemctl restart`` sends) ends the open SSE streams at
once, so the restart does not wait for gunicorn's graceful timeout; while the web is down the proxy
answers 502, which closes the browser's ``EventSource`` for good (readyState 2); when the web is back,
the screen reconnects by itself and its badge turns live again, without a reload.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.browser import ADMIN, free_port, login, watch
from tests.conftest import ROOT
from tests.dbfixtures import fresh_pg_database
from tests.logins import session_login
from tests.proxy import Proxy, start_nginx
from tests.sse import SseReader

GRACEFUL_S = 300  # gunicorn's wait for open requests on a stop: a stream that never ends holds it this long


@pytest.fixture
def env(redis_url: str, redis_prefix: str) -> Iterator[dict[str, str]]:
    with fresh_pg_database() as url:
        yield {**os.environ, "IOC_DATABASE_URL": url, "IOC_REDIS_URL": redis_url, "IOC_REDIS_PREFIX": redis_prefix,
               "IOC_SECRET_KEY": "restart-test-secret-0123", "IOC_DEMO": "false", "IOC_RUN_STREAMS": "false",
               "IOC_RUN_WORKERS": "false", "IOC_TRUSTED_PROXIES": "1",
               "IOC_ADMIN_USERNAME": ADMIN[0], "IOC_ADMIN_PASSWORD": ADMIN[1]}


class Web:
    """gunicorn as the README runs it for the live feed (gthread), started and stopped by the test."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log_path, self.port = env, log, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [gunicorn, "-k", "gthread", "--threads", "16", "-w", "1", "--graceful-timeout", str(GRACEFUL_S),
                 "-b", f"127.0.0.1:{self.port}", "app:server"], cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log()}", pytrace=False)
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        pytest.fail(f"gunicorn did not answer in 120 s:\n{self.log()}", pytrace=False)

    def stop(self, deadline_s: float) -> float:
        """SIGTERM (a graceful stop); how long gunicorn took to exit, or a failure after ``deadline_s``."""
        assert self.process is not None
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"gunicorn still stopping after {deadline_s:.0f} s: an open live stream held it",
                        pytrace=False)
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def stack(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Web, Proxy]]:
    web = Web(env, tmp_path / "gunicorn.log")
    web.start()
    proxy = start_nginx(tmp_path / "nginx", web.port)
    yield web, proxy
    proxy.stop()
    web.kill()


def test_a_graceful_stop_ends_the_open_streams_at_once(stack: tuple[Web, Proxy]) -> None:
    web, proxy = stack
    session = requests.Session()
    assert session_login(session, proxy.url, *ADMIN).status_code == 302
    screens = [SseReader(session, f"{proxy.url}/live/events").start(timeout=60) for _ in range(3)]
    for screen in screens:
        assert screen.status == 200
        screen.wait_for(lambda e: e.event == "hello", timeout=60)
    # Far less than the graceful timeout: the streams ended when the stop began, they did not hold it.
    took = web.stop(deadline_s=GRACEFUL_S / 3)
    assert web.process is not None and web.process.returncode == 0, web.log()
    assert "Traceback" not in web.log(), web.log()
    assert all(screen.ended.wait(60) for screen in screens)  # each stream was ended, not cut
    print(f"gunicorn stopped in {took:.1f} s with 3 open streams")


def _sent_502_to_the_feed(proxy: Proxy) -> bool:
    log = (proxy.tmp / "access.log").read_text(errors="replace")
    return any("/live/events" in line and '" 502 ' in line for line in log.splitlines())


@pytest.mark.browser
def test_screens_come_back_live_by_themselves_after_a_restart(stack: tuple[Web, Proxy], browser: Browser) -> None:
    web, proxy = stack
    context = browser.new_context()
    watched = watch(context.new_page())
    page = watched.page
    login(page, proxy.url)
    badge = page.locator("#live-indicator")
    expect(badge).to_have_attribute("data-state", "on", timeout=60_000)
    page.evaluate("window.iocNotReloaded = true")

    web.stop(deadline_s=GRACEFUL_S / 3)
    expect(badge).to_have_attribute("data-state", "off", timeout=60_000)
    deadline = time.monotonic() + 120  # the browser retries once by itself and meets the proxy's 502
    while not _sent_502_to_the_feed(proxy):
        assert time.monotonic() < deadline, "the proxy never answered the feed with a 502"
        time.sleep(0.2)
    page.wait_for_function("window.iocLive.state().closed > 0", timeout=60_000)  # readyState 2 seen

    web.start()
    expect(badge).to_have_attribute("data-state", "on", timeout=120_000)
    assert page.evaluate("window.iocNotReloaded") is True  # it reconnected; nobody reloaded the page
    assert not [e for e in watched.errors if e.startswith("pageerror")], watched.errors
    context.close()

