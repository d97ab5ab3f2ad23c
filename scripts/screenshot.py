"""Take the README's screenshot: the demo app's overview, signed in as the demo operator.

    .venv/bin/python scripts/screenshot.py [--page /] [--out docs/assets/screenshot.png]

Starts ``app.py`` on a fresh SQLite demo database in a temporary directory (no stream gateway, the
built-in tile grid instead of OpenStreetMap, so it needs no network), reads the demo operator's
password from the app's console, signs in with Debian's Chromium through Playwright and saves the
page. The app is stopped however the script ends.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
USER = "vanhanh"  # the demo operator: the overview shows every count to this role
START_TIMEOUT_S = 240  # seeding the demo's year of reports takes a while on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_app(workdir: Path, port: int, console: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IOC_DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}", "IOC_PORT": str(port),
           "IOC_UPLOAD_DIR": str(workdir / "uploads"), "IOC_RUN_STREAMS": "false",
           "IOC_MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png", "IOC_DEMO": "true"}
    # The console goes to a file, not a pipe: a pipe nobody drains would block the app once full.
    with console.open("wb") as out:
        return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def demo_password(app: subprocess.Popen[bytes], console: Path) -> str:
    """The operator's password, from the console lines the app prints once on a new demo database."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and app.poll() is None:
        found = re.search(rf"^\s+{USER}\s+(\S+)$", console.read_text(encoding="utf-8"), re.MULTILINE)
        if found:
            return found.group(1)
        time.sleep(1)
    raise RuntimeError(f"no demo accounts on the app's console:\n{console.read_text(encoding='utf-8')[-2000:]}")


def wait_until_up(base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{base_url} did not answer within {START_TIMEOUT_S} s")


def shoot(base_url: str, password: str, page_path: str, out: Path) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 960}, device_scale_factor=1)
            page.goto(f"{base_url}/login")
            page.fill("#username", USER)
            page.fill("#password", password)
            page.click("#login-submit")
            page.wait_for_url(f"{base_url}/")
            page.goto(f"{base_url}{page_path}")
            page.wait_for_load_state("networkidle")
            page.wait_for_selector(".js-plotly-plot, .leaflet-container", timeout=60_000)
            page.wait_for_timeout(3000)  # charts and map tiles finish drawing after the network is idle
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="/", help="path of the page to capture (default: the overview)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets" / "screenshot.png")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ioc-screenshot-") as tmp:
        console = Path(tmp) / "console.log"
        app = start_app(Path(tmp), port, console)
        try:
            password = demo_password(app, console)
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(base_url)
            shoot(base_url, password, args.page, args.out)
        finally:
            os.killpg(app.pid, signal.SIGTERM)
            try:
                app.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
