"""Glass-to-glass delay of a live tile: camera clock → picture on the browser's screen.

    .venv/bin/python bench/gateway_delay.py [--seconds 30]

How: the camera (``streams/rtsp_server.py``, mount ``clock:640x360@25``) writes the wall-clock time
in ms into every frame, as 48 black/white blocks along the top, just before x264 encodes it
(zerolatency, 1 s GOP). The frame goes the way a real camera's does: RTSP/TCP → ``python -m streams``
(passthrough, or the transcoding baseline) → WebRTC → headless Chromium playing the real tile
(``assets/camera_tile.js`` through ``dashboard/api/cameras.py``). In the page, for every frame the
compositor presents (``requestVideoFrameCallback``), the blocks are read back from the video and
the delay is ``performance.timeOrigin + metadata.expectedDisplayTime - stamp``: the moment the
frame is due on screen minus the moment the camera made it. One machine, one clock, no sync error.
It includes the camera's own encoding and Chromium's jitter buffer and decoding, as an operator
sees it; it excludes the display's scan-out (there is none in headless mode).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from flask_login import LoginManager, UserMixin, login_user
from playwright.sync_api import BrowserContext, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_cpu import TOKEN, free_port, gateway, rtsp_server  # noqa: E402

from dashboard.api.cameras import make_camera_blueprint  # noqa: E402
from data.core.settings import load_settings  # noqa: E402
from data.models import Camera, Role, User  # noqa: E402
from data.runtime import build_runtime  # noqa: E402

CHROMIUM = os.environ.get("IOC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body>
<div class="ioc-tile" data-camera-id="1" data-quality="main" style="width:640px;height:360px"></div>
<script src="/assets/camera_tile.js"></script></body></html>"""
# Reads the 48-bit stamp at the centre of each 12-pixel block of the top band, for every presented frame.
MEASURE = """() => {
  window.__delays = [];
  const video = document.querySelector('.ioc-tile video');
  const canvas = document.createElement('canvas');
  canvas.width = 576; canvas.height = 16;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const onFrame = (_now, meta) => {
    ctx.drawImage(video, 0, 0, 576, 16, 0, 0, 576, 16);
    const px = ctx.getImageData(0, 0, 576, 16).data;
    let stamp = 0;
    for (let i = 0; i < 48; i++) {
      stamp = stamp * 2 + (px[(8 * 576 + i * 12 + 6) * 4] > 128 ? 1 : 0);
    }
    const shown = performance.timeOrigin + meta.expectedDisplayTime;
    if (shown - stamp > 0 && shown - stamp < 10000) { window.__delays.push(shown - stamp); }  // else a misread stamp
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}"""


# In every page: when the tile's first frame is due on screen, in ms since the navigation started.
FIRST_FRAME = """new MutationObserver((_, observer) => {
  const video = document.querySelector('.ioc-tile video');
  if (video) {
    observer.disconnect();
    video.requestVideoFrameCallback((_now, meta) => { window.__firstFrameAt = meta.expectedDisplayTime; });
  }
}).observe(document, {childList: true, subtree: true});"""


class BenchUser(UserMixin):
    id = "1"


def web_app(database_url: str, streams_port: int) -> Flask:
    settings = load_settings(
        database_url=database_url, redis_url=None, demo=False, streams_port=streams_port, streams_internal_token=TOKEN
    )
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench-secret-key-0123456789")
    login = LoginManager(app)
    login.user_loader(lambda user_id: BenchUser())
    app.register_blueprint(make_camera_blueprint(build_runtime(settings)), url_prefix="/api/cameras")
    app.add_url_rule("/login", "login", lambda: (login_user(BenchUser()), "ok")[1])
    app.add_url_rule("/", "page", lambda: PAGE)
    app.add_url_rule("/assets/<path:name>", "assets", lambda name: send_from_directory(ROOT / "assets", name))
    return app


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def measure(url: str, seconds: float) -> tuple[list[float], list[float]]:
    """Delays of every presented frame over ``seconds``; then first-frame times of new tiles."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context()
        context.add_init_script(FIRST_FRAME)
        page = context.new_page()
        page.goto(f"{url}/login")
        page.goto(url)
        page.wait_for_function("() => window.iocTiles && window.iocTiles.stats(1).state === 'live'", timeout=30000)
        time.sleep(3)  # past the first keyframe and the jitter buffer's first estimate
        page.evaluate(MEASURE)
        time.sleep(seconds)
        delays: list[float] = page.evaluate("window.__delays")
        stats: dict[str, Any] = page.evaluate("window.iocTiles.stats(1)")
        firsts = [first_frame_ms(context, url) for _ in range(5)]  # the camera stays pulled by `page`
        browser.close()
    print(
        f"  tile: codec {stats['codec']}, transcoding {stats['transcoding']}, {stats['framesDecoded']} frames decoded"
    )
    return delays, firsts


def first_frame_ms(context: BrowserContext, url: str) -> float:
    """Navigation start to the first picture of a new tile on a camera already pulled."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.__firstFrameAt !== undefined", timeout=30000)
    value = float(page.evaluate("window.__firstFrameAt"))
    page.close()
    return value


def report(name: str, delays: list[float], seconds: float) -> None:
    if len(delays) < 10:
        print(f"{name:12} too few frames read ({len(delays)})")
        return
    q = statistics.quantiles(delays, n=100)
    print(
        f"{name:12} median {statistics.median(delays):6.1f} ms  p90 {q[89]:6.1f}  p99 {q[98]:6.1f}  "
        f"min {min(delays):6.1f}  max {max(delays):6.1f}  ({len(delays)} frames, {len(delays) / seconds:.1f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="measuring window of each mode")
    parser.add_argument("--size", default="640x360", help="camera picture size")
    parser.add_argument("--modes", default="passthrough,transcode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, rtsp_server({"clk": f"clock:{args.size}@25"}, None) as rtsp_port:
        database_url = f"sqlite:///{Path(tmp) / 'delay.sqlite3'}"
        runtime = build_runtime(load_settings(database_url=database_url, redis_url=None, demo=False))
        with runtime.session() as db:
            db.add(Camera(id=1, code="CLOCK", name="Clock", stream_url=f"rtsp://127.0.0.1:{rtsp_port}/clk"))
            db.add(User(id=1, username="bench", password_hash="x", role=Role.OPERATOR))  # BenchUser: watches all
        runtime.close()
        results: dict[str, tuple[list[float], list[float]]] = {}
        for mode in args.modes.split(","):
            with gateway(database_url, mode == "transcode", Path(tmp) / "gateway.log", None) as (base, _proc):
                port = int(base.rsplit(":", 1)[1])
                with serve(web_app(database_url, port)) as url:
                    print(f"{mode}: measuring {args.seconds:.0f} s...", flush=True)
                    results[mode] = measure(url, args.seconds)
        print(f"\ncamera clock -> Chromium presentation, {args.size} 25 fps, loopback:")
        for mode, (delays, _firsts) in results.items():
            report(mode, delays, args.seconds)
        print("\nfirst frame of a new tile on a camera already pulled (navigation start -> picture due):")
        for mode, (_delays, firsts) in results.items():
            print(f"{mode:12} median {statistics.median(firsts):6.0f} ms  ({', '.join(f'{f:.0f}' for f in firsts)})")


if __name__ == "__main__":
    main()
