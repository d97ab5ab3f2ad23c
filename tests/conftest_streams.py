"""Fixtures of the stream gateway tests: a real GStreamer RTSP server, the gateway, and a small
logged-in Flask app that serves a tile page and the camera API. Nothing is mocked."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask, redirect, send_from_directory
from flask_login import LoginManager, UserMixin, login_user
from werkzeug.serving import BaseWSGIServer, make_server

from dashboard.api.cameras import make_camera_blueprint
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.models import Camera, Role, User
from data.runtime import build_runtime
from streams.gateway import GatewayThread, run_gateway_in_thread
from tests.browser import free_port

ROOT = Path(__file__).resolve().parents[1]
GST_PYTHON = os.environ.get("IOC_STREAMS_GST_PYTHON", "/usr/bin/python3")
RTSP_SERVER = ROOT / "streams" / "rtsp_server.py"
TOKEN = "test-internal-token-0123456789"
SECRET = "s3cret-pass"  # the camera password: it must never appear in a response
LIVE = "live:640x360@25"


def rtsp_answers(port: int, timeout_s: float = 2.0) -> bool:
    """True when an RTSP server on ``port`` answers OPTIONS with 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as conn:
            conn.sendall(f"OPTIONS rtsp://127.0.0.1:{port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
            return conn.recv(64).startswith(b"RTSP/1.0 200")
    except OSError:
        return False


@dataclass
class RtspServer:
    """``streams/rtsp_server.py`` in its own process: a camera that can be killed and brought back."""

    mounts: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> RtspServer:
        args = [GST_PYTHON, str(RTSP_SERVER), "--port", str(self.port)]
        for name, value in self.mounts.items():
            args += ["--mount", f"{name}={value}"]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout_s)
        line = self.process.stdout.readline() if ready else b""
        if not line.startswith(b"READY "):
            self.kill()
            pytest.fail(f"the RTSP server did not start ({GST_PYTHON} with gi + GstRtspServer needed): {line!r}")
        self.port = int(line.split()[1])
        deadline = time.monotonic() + timeout_s
        while not rtsp_answers(self.port):
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"the RTSP server on port {self.port} does not answer")
            time.sleep(0.1)
        return self

    def url(self, mount: str, user: str = "viewer", password: str = SECRET) -> str:
        return f"rtsp://{user}:{password}@127.0.0.1:{self.port}/{mount}"

    def kill(self) -> None:
        """SIGKILL: the camera vanishes without a goodbye, as a real one does when its power goes."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


# Cameras a browser cannot take as they are: H.264 with B-frames, and H.265 (many cameras' default).
B_FRAMES = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 ! "
    "x264enc speed-preset=ultrafast bframes=2 b-adapt=false key-int-max=25 ! video/x-h264,profile=main ! "
    "rtph264pay name=pay0 pt=96 config-interval=1"
)
HEVC = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 ! "
    "x265enc speed-preset=ultrafast tune=zerolatency key-int-max=25 ! video/x-h265 ! "
    "rtph265pay name=pay0 pt=96 config-interval=1"
)


@pytest.fixture(scope="module")
def rtsp_server() -> Iterator[RtspServer]:
    server = RtspServer({"cam": LIVE, "cam2": "live:320x240@25", "bframes": B_FRAMES, "hevc": HEVC}).start()
    try:
        yield server
    finally:
        server.kill()


@contextlib.contextmanager
def running_gateway(runtime: Runtime) -> Iterator[GatewayThread]:
    """The gateway in a thread, stopped however the block ends; a stop that does not finish fails the test."""
    gateway = run_gateway_in_thread(runtime)
    try:
        yield gateway
    finally:
        if not gateway.stop():
            pytest.fail("the stream gateway did not stop within its bounds (see the log)", pytrace=False)


VIEWER = "vanhanh-video"  # the operator the small web app signs in: operators watch every camera


class ViewerUser(UserMixin):
    """The signed-in viewer of the small web app: a real operator row (the camera API checks its access)."""

    def __init__(self, user_id: int) -> None:
        self.id = str(user_id)
        self.username = VIEWER


def viewer_id(runtime: Runtime) -> int:
    """The viewer's user id, the row made on first use."""
    with runtime.session() as session:
        found = session.scalar(sa.select(User.id).where(User.username == VIEWER))
        if found is None:
            user = User(username=VIEWER, password_hash="x", role=Role.OPERATOR)
            session.add(user)
            session.flush()
            found = user.id
        return found


@dataclass
class WebApp:
    """The small Flask app in a thread: camera API, a tile page, and a login for tests."""

    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def login(self) -> requests.Session:
        session = requests.Session()
        assert session.get(f"{self.url}/test-login", timeout=5).ok
        return session


TILE_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>tile</title></head>
<body><div class="ioc-tile" data-camera-id="{camera_id}" data-quality="sub" style="width:640px;height:360px"></div>
<script src="/assets/camera_tile.js"></script></body></html>"""


def make_web_app(runtime: Runtime) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="streams-test-secret-key")
    login = LoginManager(app)
    viewer = viewer_id(runtime)
    login.user_loader(lambda user_id: ViewerUser(viewer) if user_id == str(viewer) else None)
    app.register_blueprint(make_camera_blueprint(runtime), url_prefix="/api/cameras")

    @app.get("/test-login")
    def _login() -> Any:
        login_user(ViewerUser(viewer))
        return "ok"

    @app.get("/tile/<int:camera_id>")
    def _tile(camera_id: int) -> Any:
        return TILE_PAGE.format(camera_id=camera_id, lang="vi")

    @app.get("/assets/<path:name>")
    def _assets(name: str) -> Any:
        return send_from_directory(ROOT / "assets", name, max_age=0)

    @app.get("/")
    def _home() -> Any:
        return redirect("/tile/1")

    return app


@dataclass
class StreamsEnv:
    runtime: Runtime
    gateway: GatewayThread
    web: WebApp
    rtsp: RtspServer
    cameras: dict[str, int] = field(default_factory=dict)

    def internal(self, path: str, **kwargs: Any) -> requests.Response:
        """A call to the gateway's internal API, with the token."""
        headers = {"X-IOC-Token": TOKEN, **kwargs.pop("headers", {})}
        return requests.get(f"{self.runtime.settings.streams_base_url}{path}", headers=headers, timeout=30, **kwargs)

    def status(self) -> dict[str, Any]:
        response = self.internal("/internal/status")
        assert response.status_code == 200
        data: dict[str, Any] = response.json()
        return data

    def camera_status(self, camera_id: int) -> dict[str, Any] | None:
        return next((c for c in self.status()["cameras"] if c["camera_id"] == camera_id), None)

    def add_camera(self, code: str, url: str) -> int:
        with self.runtime.session() as session:
            camera = Camera(code=code, name=f"Camera {code}", stream_url=url)
            session.add(camera)
            session.flush()
            self.cameras[code] = camera.id
            return camera.id


def streams_settings(database_url: str, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": None,
        "demo": False,
        "streams_port": free_port(),
        "streams_internal_token": TOKEN,
        "streams_idle_grace_s": 2.0,
        "streams_health_interval_s": 0.5,
        "streams_thumbnail_interval_s": 1.0,
        "streams_open_timeout_s": 5.0,
        "secret_key": "streams-test-secret-key",
        "streams_patrol_every_s": 0,  # tests that count pulls must not see patrol visits
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="module")
def streams_env(rtsp_server: RtspServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamsEnv]:
    """SQLite runtime with cameras, the gateway in a thread, and the web app in another."""
    tmp = tmp_path_factory.mktemp("streams")
    # Whatever fails, in the test or half-way through this set-up, everything started is stopped
    # (last started, first stopped): a gateway left running holds the test run open at its exit.
    with contextlib.ExitStack() as started:
        runtime = build_runtime(streams_settings(f"sqlite:///{tmp / 'ioc.sqlite3'}"))
        started.callback(runtime.close)
        gateway = started.enter_context(running_gateway(runtime))
        web = started.enter_context(serving(make_web_app(runtime)))
        env = StreamsEnv(runtime, gateway, web, rtsp_server)
        env.add_camera("CAM-01", rtsp_server.url("cam"))
        env.add_camera("CAM-02", rtsp_server.url("cam2"))
        env.add_camera("CAM-DEAD", f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/nothing")
        yield env


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[WebApp]:
    """A Flask app on a free loopback port, in a thread, until the block ends."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-web", daemon=True)
    thread.start()
    try:
        yield WebApp(f"http://127.0.0.1:{server.server_port}", server, thread)
    finally:
        server.shutdown()
        server.server_close()


def wait_for(predicate: Any, timeout_s: float, interval_s: float = 0.2, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)
