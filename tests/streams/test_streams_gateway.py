"""The stream gateway against a real RTSP server (GStreamer), through the real camera API (Flask)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import av
import cv2
import numpy as np
import pytest
import requests
from aiortc import RTCPeerConnection
from sqlalchemy import select

from data.core.bus import drain
from data.core.settings import load_settings
from data.models import Camera, CameraStatus
from data.runtime import build_runtime
from streams.health import HealthMonitor
from streams.hub import CameraRef, Hub
from streams.peers import first_codec
from streams.reader import CameraReader, DropQueue
from streams.source import SourceConfig
from tests.conftest_streams import SECRET, RtspServer, StreamsEnv, streams_settings, wait_for

pytestmark = pytest.mark.timeout(120)

INTERNAL_ROUTES = [
    ("POST", "/internal/cameras/1/offer"),
    ("GET", "/internal/cameras/1/snapshot.jpg"),
    ("GET", "/internal/cameras/1/mjpeg"),
    ("GET", "/internal/status"),
]
API_ROUTES = [
    ("POST", "/api/cameras/1/offer"),
    ("GET", "/api/cameras/1/snapshot.jpg"),
    ("GET", "/api/cameras/1/mjpeg"),
    ("GET", "/api/cameras/status"),
]


def decode_jpeg(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return image


def browser_like_offer() -> str:
    """A real recvonly video offer (aiortc plays the browser; the Chromium tests do the real one)."""

    async def make() -> str:
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    assert "rtsp://" not in text
    assert "viewer:" not in text and "admin:" not in text


def test_internal_api_rejects_requests_without_the_token(streams_env: StreamsEnv) -> None:
    base = streams_env.runtime.settings.streams_base_url
    for method, path in INTERNAL_ROUTES:
        for headers in ({}, {"X-IOC-Token": "wrong-token-wrong-token"}):
            response = requests.request(method, f"{base}{path}", headers=headers, timeout=5)
            assert response.status_code == 403, path
            assert response.json()["ok"] is False
    assert requests.get(f"{base}/healthz", timeout=5).json() == {"ok": True}


def test_gateway_binds_to_loopback_by_default() -> None:
    settings = load_settings(database_url="sqlite://", redis_url=None)
    assert settings.streams_host == "127.0.0.1"
    assert settings.streams_base_url.startswith("http://127.0.0.1:")


def test_camera_api_needs_a_login(streams_env: StreamsEnv) -> None:
    for method, path in API_ROUTES:
        response = requests.request(method, f"{streams_env.web.url}{path}", json={}, timeout=5)
        assert response.status_code == 401, path
        assert response.json() == {"ok": False, "error": "Cần đăng nhập"}


def test_snapshot_is_a_real_jpeg(streams_env: StreamsEnv) -> None:
    session = streams_env.web.login()
    camera_id = streams_env.cameras["CAM-01"]
    response = session.get(f"{streams_env.web.url}/api/cameras/{camera_id}/snapshot.jpg", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert decode_jpeg(response.content).shape == (360, 640, 3)


def test_mjpeg_streams_multipart_jpeg_frames(streams_env: StreamsEnv) -> None:
    session = streams_env.web.login()
    camera_id = streams_env.cameras["CAM-01"]
    url = f"{streams_env.web.url}/api/cameras/{camera_id}/mjpeg"
    with session.get(url, stream=True, timeout=30) as response:
        assert response.status_code == 200
        content_type = response.headers["Content-Type"]
        assert content_type.startswith("multipart/x-mixed-replace; boundary=")
        boundary = content_type.split("boundary=")[1].encode()
        frames = read_multipart_jpegs(response, boundary, count=3)
    assert len(frames) == 3
    for frame in frames:
        assert decode_jpeg(frame).shape == (360, 640, 3)


def read_multipart_jpegs(response: requests.Response, boundary: bytes, count: int) -> list[bytes]:
    buffer, frames = b"", []
    for chunk in response.iter_content(chunk_size=None):
        buffer += chunk
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0 or not buffer.startswith(b"--" + boundary):
                break
            headers = dict(line.split(": ", 1) for line in buffer[:head_end].decode().split("\r\n")[1:] if ": " in line)
            assert headers["Content-Type"] == "image/jpeg"
            size = int(headers["Content-Length"])
            if len(buffer) < head_end + 4 + size + 2:
                break
            frames.append(buffer[head_end + 4 : head_end + 4 + size])
            buffer = buffer[head_end + 4 + size + 2 :]
        if len(frames) >= count:
            return frames[:count]
    return frames


def test_health_is_written_to_camera_status_and_published(streams_env: StreamsEnv) -> None:
    runtime = streams_env.runtime
    camera_id = streams_env.cameras["CAM-01"]
    subscription = runtime.bus.subscribe("cameras")
    try:
        session = streams_env.web.login()
        assert session.get(f"{streams_env.web.url}/api/cameras/{camera_id}/snapshot.jpg", timeout=30).ok

        def online_row() -> CameraStatus | None:
            with runtime.session() as db:
                row = db.get(CameraStatus, camera_id)
                return row if row is not None and row.state == "online" and row.thumbnail_jpeg else None

        row = wait_for(online_row, 60, what="an online camera_status row with a thumbnail")
        assert row.codec == "h264" and row.transcoding is False
        assert (row.width, row.height) == (640, 360)
        assert row.fps is not None and row.fps > 0
        assert decode_jpeg(row.thumbnail_jpeg).shape[1] == runtime.settings.streams_thumbnail_width
        messages = [m for m in drain(subscription, timeout=2) if m.get("camera_id") == camera_id]
        assert any(m["state"] == "online" and m["topic"] == "cameras" for m in messages)
        assert_no_secret(json.dumps(messages))
        # After the last viewer and the grace, the pull closes and its cameras are reported unwatched.
        wait_for(lambda: streams_env.camera_status(camera_id) is None, 60, what="the pull to close")
        assert wait_for(lambda: streams_env.camera_status(camera_id) is None, 1)
        with runtime.session() as db:
            assert db.get(CameraStatus, camera_id).viewers == 0  # type: ignore[union-attr]
    finally:
        subscription.close()


def test_no_url_or_credentials_in_any_response(streams_env: StreamsEnv) -> None:
    web, session = streams_env.web.url, streams_env.web.login()
    live_id, dead_id = streams_env.cameras["CAM-01"], streams_env.cameras["CAM-DEAD"]
    texts: list[str] = []

    offer = {"sdp": browser_like_offer(), "type": "offer", "quality": "sub"}
    answer = session.post(f"{web}/api/cameras/{live_id}/offer", json=offer, timeout=30)
    assert answer.status_code == 200
    assert set(answer.json()) == {"sdp", "type", "transcoding"}
    assert "H264" in answer.json()["sdp"]
    texts.append(answer.text)

    dead = session.get(f"{web}/api/cameras/{dead_id}/snapshot.jpg", timeout=30)  # the camera refuses
    assert dead.status_code == 503 and dead.json()["ok"] is False
    texts.append(dead.text)
    texts.append(session.get(f"{web}/api/cameras/999/snapshot.jpg", timeout=30).text)
    bad = session.post(f"{web}/api/cameras/{live_id}/offer", json={"sdp": "v=0", "type": "offer"}, timeout=30)
    assert bad.status_code == 400
    texts.append(bad.text)

    status = session.get(f"{web}/api/cameras/status", timeout=10)
    assert status.status_code == 200
    rows = {row["id"]: row for row in status.json()}
    assert set(rows[live_id]) == {"id", "code", "name", "state", "fps", "last_frame_age_s", "transcoding", "viewers"}
    texts.append(status.text)

    # The gateway itself knows why the dead camera fails, without saying where it is.
    dead_health = wait_for(lambda: (s := streams_env.camera_status(dead_id)) and s["error"] and s, 60)
    assert dead_health["state"] == "offline"
    texts.append(json.dumps(streams_env.status()))
    with streams_env.runtime.session() as db:
        errors = db.scalars(select(CameraStatus.error)).all()
    texts.append(json.dumps(errors))
    for text in texts:
        assert_no_secret(text)


@pytest.mark.parametrize("mount", ["hevc", "bframes"])
def test_a_camera_a_browser_cannot_take_is_transcoded(streams_env: StreamsEnv, mount: str) -> None:
    """Not H.264, or H.264 with B-frames: decoded and re-encoded to VP8, and the answer says so."""
    camera_id = streams_env.add_camera(f"CAM-{mount.upper()}", streams_env.rtsp.url(mount))
    session = streams_env.web.login()
    url = f"{streams_env.web.url}/api/cameras/{camera_id}/offer"
    session.post(url, json={"sdp": browser_like_offer(), "type": "offer"}, timeout=30)  # opens the pull
    wait_for(
        lambda: (h := streams_env.camera_status(camera_id)) and h["transcoding"] and h["codec"] == "decoded",
        60,
        what=f"the {mount} camera to be transcoded",
    )
    answer = session.post(url, json={"sdp": browser_like_offer(), "type": "offer"}, timeout=30).json()
    assert answer["transcoding"] is True
    assert first_codec(answer["sdp"]) == "VP8"


def test_one_pull_per_camera_url(streams_env: StreamsEnv) -> None:
    """Two camera rows on one URL (e.g. demo cameras) share one pull."""
    url = streams_env.rtsp.url("cam2")
    with streams_env.runtime.session() as db:
        first = db.scalar(select(Camera.id).where(Camera.stream_url == url))
    twin = streams_env.add_camera("CAM-02-TWIN", url)
    before = streams_env.status()["opened_total"]
    session = streams_env.web.login()
    for camera_id in (first, twin):
        assert session.get(f"{streams_env.web.url}/api/cameras/{camera_id}/snapshot.jpg", timeout=30).ok
    status = streams_env.status()
    assert status["opened_total"] - before == 1
    assert {c["camera_id"] for c in status["cameras"]} >= {first, twin}


@pytest.mark.postgres
@pytest.mark.redis
def test_health_on_postgres_and_redis(rtsp_server: RtspServer, pg_url: str, redis_url: str, redis_prefix: str) -> None:
    runtime = build_runtime(streams_settings(pg_url, redis_url=redis_url, redis_prefix=redis_prefix))
    try:
        with runtime.session() as db:
            camera = Camera(code="PG-CAM", name="PG camera", stream_url=rtsp_server.url("cam"))
            db.add(camera)
            db.flush()
            camera_id = camera.id
        subscription = runtime.bus.subscribe("cameras")
        healths = asyncio.run(one_health_pass(runtime, CameraRef(camera_id, "PG-CAM", rtsp_server.url("cam"))))
        assert [h.state for h in healths] == ["online"]
        with runtime.session() as db:
            row = db.get(CameraStatus, camera_id)
            assert row is not None and row.state == "online" and row.thumbnail_jpeg is not None
        assert runtime.redis is not None
        stored = runtime.redis.hgetall(runtime.key("camera", str(camera_id), "health"))
        assert stored[b"state"] == b"online" and stored[b"code"] == b"PG-CAM"
        message = wait_for(lambda: subscription.get(timeout=0.5), 30, interval_s=0, what="a message on the bus")
        assert message["camera_id"] == camera_id and message["state"] == "online"
        subscription.close()
    finally:
        runtime.close()


async def one_health_pass(runtime: Any, camera: CameraRef) -> list[Any]:
    hub = Hub(0.0, SourceConfig(open_timeout_s=5.0))
    monitor = HealthMonitor(runtime, hub)
    try:
        async with hub.lease(camera) as source:
            deadline = time.monotonic() + 15
            while source.stats.keyframes < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            return await monitor.run_once()
    finally:
        await hub.stop()


def test_a_transcoded_camera_hands_over_yuv420p_frames(rtsp_server: RtspServer) -> None:
    """The H.265 test camera decodes to yuv444p12le. Every viewer's VP8 encoder reads the same frames in
    a worker thread, and aiortc converts any frame that is not yuv420p with the frame's own converter:
    three viewers converting one frame at once crashed the gateway (tests/failing_gateway_probe.py)."""
    formats = asyncio.run(frame_formats(rtsp_server.url("hevc"), 5))
    assert formats == ["yuv420p"] * 5


async def frame_formats(url: str, count: int) -> list[str]:
    loop = asyncio.get_running_loop()
    reader = await loop.run_in_executor(None, CameraReader.open, url, 10.0, False, DropQueue(50))
    assert reader.decoding
    reader.start(loop)
    try:
        formats = []
        async with asyncio.timeout(60):
            while len(formats) < count:
                frame = await reader.recv()
                assert isinstance(frame, av.VideoFrame)
                formats.append(frame.format.name)
        return formats
    finally:
        await loop.run_in_executor(None, reader.close, 11.0)
