"""The admin's "test connection" against the real GStreamer RTSP server: one picture with its codec, size and
frame rate; a camera that does not answer is a clear message within seconds, never the URL or its password."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from streams.probe import ProbeFailed, probe
from tests.browser import free_port
from tests.conftest_streams import SECRET, TOKEN, RtspServer, StreamsEnv
from tests.streams.test_streams_gateway import assert_no_secret, decode_jpeg

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word (a camera hung mid-boot)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, name="silent-camera", daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def test_probe_shows_codec_size_rate_and_a_picture(rtsp_server: RtspServer) -> None:
    found = probe(rtsp_server.url("cam"), timeout_s=10)
    assert (found.codec, found.width, found.height, found.passthrough) == ("h264", 640, 360, True)
    assert found.fps is not None and 22 <= found.fps <= 28  # the test camera sends 25 fps
    assert decode_jpeg(found.jpeg).shape == (360, 640, 3)


def test_probe_says_when_the_gateway_would_transcode(rtsp_server: RtspServer) -> None:
    found = probe(rtsp_server.url("hevc"), timeout_s=10)
    assert (found.codec, found.width, found.height, found.passthrough) == ("hevc", 320, 240, False)
    assert decode_jpeg(found.jpeg).shape == (240, 320, 3)


def _failure(url: str, timeout_s: float) -> tuple[ProbeFailed, float]:
    started = time.monotonic()
    with pytest.raises(ProbeFailed) as failed:
        probe(url, timeout_s=timeout_s)
    elapsed = time.monotonic() - started
    assert SECRET not in failed.value.message and "rtsp://" not in failed.value.message
    return failed.value, elapsed


def test_a_dead_port_is_a_clear_message_at_once() -> None:
    failed, elapsed = _failure(f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/stream1", 5)
    assert failed.reason == "refused" and "từ chối" in failed.message
    assert elapsed < 2, elapsed


def test_a_camera_that_never_answers_is_given_up_within_the_bound(silent_port: int) -> None:
    failed, elapsed = _failure(f"rtsp://admin:{SECRET}@127.0.0.1:{silent_port}/stream1", 3)
    assert failed.reason == "timeout" and "3 giây" in failed.message
    assert elapsed < 3 + 2, elapsed
    failed, elapsed = _failure(f"http://admin:{SECRET}@127.0.0.1:{silent_port}/video.mjpg", 3)
    assert failed.reason == "timeout" and elapsed < 3 + 2, elapsed


def test_a_wrong_path_is_named(rtsp_server: RtspServer) -> None:
    failed, _ = _failure(rtsp_server.url("no-such-stream"), 5)
    assert failed.reason == "not_found" and "404" in failed.message


def _probe_route(env: StreamsEnv, url: object, token: str = TOKEN) -> requests.Response:
    return requests.post(f"{env.runtime.settings.streams_base_url}/internal/probe", json={"url": url},
                         headers={"X-IOC-Token": token}, timeout=30)


def test_the_gateway_probes_for_the_web_app(streams_env: StreamsEnv) -> None:
    answer = _probe_route(streams_env, streams_env.rtsp.url("cam2"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["codec"], body["width"], body["height"]) == ("h264", 320, 240)
    assert decode_jpeg(base64.b64decode(body["jpeg"])).shape == (240, 320, 3)
    assert_no_secret(answer.text)
    dead = _probe_route(streams_env, f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/x")
    assert dead.status_code == 422 and "từ chối" in dead.json()["error"]
    assert_no_secret(dead.text)
    for wrong in ("file:///etc/passwd", "ftp://10.0.0.5/x", "", 5):
        refused = _probe_route(streams_env, wrong)
        assert refused.status_code == 400 and refused.json()["ok"] is False, wrong
    assert _probe_route(streams_env, streams_env.rtsp.url("cam2"), token="wrong-token-wrong-token").status_code == 403
