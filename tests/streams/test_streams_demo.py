"""Demo cameras: ``demo:<name>`` through the loopback RTSP server, or the clips played directly."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from data.core.runtime import Runtime
from data.models import Camera
from data.runtime import build_runtime
from streams.gateway import GatewayThread
from tests.conftest_streams import TOKEN, running_gateway, streams_settings, viewer_id, wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-clips")  # shared: the clips are made once (~2 s)


@contextlib.contextmanager
def started(tmp: Path, clip_dir: Path, **overrides: object) -> Iterator[tuple[Runtime, GatewayThread]]:
    """Three demo cameras and the gateway, both stopped however the block ends."""
    settings = streams_settings(f"sqlite:///{tmp / 'ioc.sqlite3'}", streams_demo_dir=clip_dir, **overrides)
    with contextlib.closing(build_runtime(settings)) as runtime:
        with runtime.session() as db:
            for name in ("street", "pattern", "clock"):
                db.add(Camera(code=f"DEMO-{name}", name=name, stream_url=f"demo:{name}", is_demo=True))
        with running_gateway(runtime) as gateway:
            yield runtime, gateway


@pytest.fixture
def demo_gateway(tmp_path: Path, clip_dir: Path) -> Iterator[tuple[Runtime, GatewayThread]]:
    with started(tmp_path, clip_dir, streams_idle_grace_s=30.0) as running:  # all three stay pulled
        yield running


def snapshot(runtime: Runtime, camera_id: int) -> np.ndarray:
    url = f"{runtime.settings.streams_base_url}/internal/cameras/{camera_id}/snapshot.jpg"
    response = requests.get(url, headers={"X-IOC-Token": TOKEN, "X-IOC-User": str(viewer_id(runtime))}, timeout=60)
    assert response.status_code == 200, response.text
    image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def pulled_urls(gateway: GatewayThread) -> list[str]:
    """The URLs the hub pulls, read on the gateway's own loop (the hub lives there)."""
    urls: list[str] = []
    done = threading.Event()

    def read() -> None:
        urls.extend(source.url for source in gateway.gateway.hub.sources())
        done.set()

    gateway.loop.call_soon_threadsafe(read)
    assert done.wait(30)
    return urls


def test_demo_cameras_go_through_the_rtsp_server(demo_gateway: tuple[Runtime, GatewayThread]) -> None:
    runtime, gateway = demo_gateway
    for camera_id in (1, 2, 3):
        assert snapshot(runtime, camera_id).shape == (360, 640, 3)
    urls = pulled_urls(gateway)
    assert len(urls) == 3 and all(url.startswith("rtsp://127.0.0.1:") for url in urls)


def test_demo_cameras_without_gstreamer_play_the_clips(tmp_path: Path, clip_dir: Path) -> None:
    with started(tmp_path, clip_dir, streams_gst_python=str(tmp_path / "no-python")) as (runtime, gateway):
        assert snapshot(runtime, 1).shape == (360, 640, 3)
        assert all(url.endswith(".ts") for url in wait_for(lambda: pulled_urls(gateway), 30))
        unknown = requests.get(
            f"{runtime.settings.streams_base_url}/internal/cameras/99/snapshot.jpg",
            headers={"X-IOC-Token": TOKEN, "X-IOC-User": str(viewer_id(runtime))},
            timeout=10,
        )
        assert unknown.status_code == 404
