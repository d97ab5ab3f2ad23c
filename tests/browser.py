"""Browser fixtures: a real headless Debian Chromium (Playwright) and the app running as `python app.py`."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("IOC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
]
ADMIN = ("quantri", "mat-khau-quan-tri-01")
# How long ``expect`` waits for a state (Playwright's default is 5 s). A deadline, never a pace: a
# passing check returns as soon as its state is there, and a loaded machine (the run's own CPU
# burners, a busy CI) can take many seconds to render a Dash page.
EXPECT_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread, and the
    # gateway tests of later modules need the thread free for their own asyncio.run().
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield b
    finally:
        b.close()


@dataclass
class LiveApp:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def scalars(self, statement: Any) -> list[Any]:
        """What a query answers on the app's database, read beside the app (its own engine, disposed)."""
        from data.core.db import make_engine, make_sessionmaker

        engine = make_engine(self.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return list(session.scalars(statement))
        finally:
            engine.dispose()


def start_app(tmp: Path, **env: str) -> LiveApp:
    """Run `python app.py` as a user would, on its own SQLite file and free ports; wait until it serves."""
    port = free_port()
    database_url = env.pop("IOC_DATABASE_URL", f"sqlite:///{tmp / 'live.sqlite3'}")
    full = {
        **os.environ,
        "IOC_DATABASE_URL": database_url,
        "IOC_PORT": str(port),
        "IOC_STREAMS_PORT": str(free_port()),
        "IOC_ADMIN_USERNAME": ADMIN[0],
        "IOC_ADMIN_PASSWORD": ADMIN[1],
        "IOC_MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png",
        "IOC_SECRET_KEY": "browser-test-secret-key-123",
        "IOC_UPLOAD_DIR": str(tmp / "uploads"),
        **env,
    }
    log_path = tmp / "app.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=full, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    app = LiveApp(url, database_url, process, log_path, full)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited early:\n{app.log()}", pytrace=False)
        try:
            if requests.get(f"{url}/healthz", timeout=5).ok:
                return app
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(0.3)
    stop_app(app)
    pytest.fail(f"app.py did not answer in 120 s:\n{app.log()}", pytrace=False)


def start_app_with_user(tmp: Path, username: str, password: str, role: str) -> LiveApp:
    """``start_app`` on an empty SQLite database (no demo data) with one more user of ``role``."""
    from data.accounts.users import create_user
    from tests.dbfixtures import open_runtime

    url = f"sqlite:///{tmp / 'live.sqlite3'}"
    app = start_app(tmp, IOC_DATABASE_URL=url, IOC_DEMO="false")
    with stopped_at_end(app, only_on_error=True), open_runtime(url) as runtime, runtime.session() as session:
        create_user(session, username, password, role)
    return app


def stop_app(app: LiveApp) -> None:
    """SIGTERM (the app stops its gateway and its demo RTSP server), SIGKILL if it is still there after
    30 s; then whatever it started and left behind is killed too, so that nothing outlives the test."""
    try:
        started = psutil.Process(app.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    app.process.terminate()
    try:
        app.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        app.process.kill()
        app.process.wait()
    for process in started:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(started, timeout=30)


@contextlib.contextmanager
def stopped_at_end(app: LiveApp, only_on_error: bool = False) -> Iterator[LiveApp]:
    """The app, stopped however the block ends (a failing seed, set-up or test included).

    ``only_on_error``: stopped only when the block fails (the caller keeps a working app).
    """
    try:
        yield app
    except BaseException:
        stop_app(app)
        raise
    if not only_on_error:
        stop_app(app)


@dataclass
class WatchedPage:
    """A page that records the browser console's errors and the page's uncaught exceptions."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {message.location.get('url', '')}")


def watch(page: Page) -> WatchedPage:
    watched = WatchedPage(page)
    page.on("console", watched.on_console)
    page.on("pageerror", lambda exc: watched.errors.append(f"pageerror: {exc}"))
    return watched


def login(page: Page, base_url: str, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(f"{base_url}/")
