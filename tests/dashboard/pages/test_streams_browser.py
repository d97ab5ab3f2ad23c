"""Live tiles in a real headless Chromium: H.264 passed through, offline and back, one pull for many."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.conftest_streams import LIVE, RtspServer, StreamsEnv, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
# Deadlines of the states waited on: generous, since the machine may be loaded (CPU burners, CI).
PLAY_S = 60


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    with contextlib.ExitStack() as closing:  # every one closed (its peers with it), even if one fails
        for context in opened:
            closing.callback(context.close)


def open_tile(browser: Browser, contexts: list[BrowserContext], env: StreamsEnv, camera_id: int) -> Page:
    context = browser.new_context(viewport={"width": 800, "height": 600})
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{env.web.url}/test-login")
    page.goto(f"{env.web.url}/tile/{camera_id}")
    return page


def tile(page: Page, camera_id: int) -> dict[str, Any]:
    stats: dict[str, Any] = page.evaluate("id => window.iocTiles.stats(id)", camera_id)
    return stats


def wait_live(page: Page, camera_id: int, timeout_s: float) -> dict[str, Any]:
    def live() -> dict[str, Any] | None:
        stats = tile(page, camera_id)
        return stats if stats["state"] == "live" and stats["framesDecoded"] > 5 else None

    result: dict[str, Any] = wait_for(live, timeout_s, what=f"camera {camera_id} to play")
    return result


def overlay(page: Page) -> str:
    return page.inner_text(".ioc-tile-overlay")


def test_tile_plays_h264_passthrough(browser: Browser, contexts: list[BrowserContext], streams_env: StreamsEnv) -> None:
    camera_id = streams_env.cameras["CAM-01"]
    page = open_tile(browser, contexts, streams_env, camera_id)
    first = wait_live(page, camera_id, PLAY_S)
    assert first["codec"] == "video/H264"
    assert first["transcoding"] is False and first["mode"] == "webrtc"
    assert "TRỰC TIẾP" in overlay(page)
    assert "chuyển mã" not in overlay(page)
    wait_for(lambda: tile(page, camera_id)["framesDecoded"] >= first["framesDecoded"] + 20, PLAY_S,
             what="the tile to keep decoding frames")
    assert page.evaluate("document.querySelector('.ioc-tile video').videoWidth") == 640


def test_tile_shows_offline_and_plays_again_without_reload(
    browser: Browser, contexts: list[BrowserContext], streams_env: StreamsEnv
) -> None:
    camera = RtspServer({"cam": LIVE}).start()
    try:
        camera_id = streams_env.add_camera("CAM-KILL", camera.url("cam"))
        page = open_tile(browser, contexts, streams_env, camera_id)
        wait_live(page, camera_id, PLAY_S)
        page.evaluate("window.__sameDocument = true")

        camera.kill()
        killed = time.monotonic()
        wait_for(lambda: "mất tín hiệu" in overlay(page), PLAY_S, what="the tile to say the camera is offline")
        assert tile(page, camera_id)["state"] == "offline"
        assert "hình ảnh cũ" in overlay(page)  # and how old its last picture is
        offline_after = time.monotonic() - killed

        camera.start()  # the same port: the camera comes back where it was
        back = time.monotonic()
        frames = tile(page, camera_id)["framesDecoded"]
        wait_for(
            lambda: tile(page, camera_id)["state"] == "live" and tile(page, camera_id)["framesDecoded"] > frames + 10,
            PLAY_S,
            what="the tile to play again",
        )
        assert page.evaluate("window.__sameDocument") is True  # no reload
        print(f"offline shown {offline_after:.1f} s after the kill; playing {time.monotonic() - back:.1f} s after")
    finally:
        camera.kill()


def test_one_pull_for_two_viewers_closed_after_grace(
    browser: Browser, contexts: list[BrowserContext], streams_env: StreamsEnv
) -> None:
    camera_id = streams_env.add_camera("CAM-SHARED", streams_env.rtsp.url("cam2"))
    before = streams_env.status()["opened_total"]
    pages = [open_tile(browser, contexts, streams_env, camera_id) for _ in range(2)]
    for page in pages:
        wait_live(page, camera_id, PLAY_S)
    health = streams_env.camera_status(camera_id)
    assert health is not None and health["viewers"] == 2
    assert streams_env.status()["opened_total"] - before == 1

    for context in contexts:
        context.close()
    contexts.clear()
    closed = time.monotonic()
    wait_for(lambda: streams_env.camera_status(camera_id) is None, PLAY_S, what="the pull to close after the grace")
    grace = streams_env.runtime.settings.streams_idle_grace_s
    assert time.monotonic() - closed >= grace - 0.5


def test_mjpeg_fallback_without_webrtc(
    browser: Browser, contexts: list[BrowserContext], streams_env: StreamsEnv
) -> None:
    context = browser.new_context()
    contexts.append(context)
    context.add_init_script("delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;")
    page = context.new_page()
    page.goto(f"{streams_env.web.url}/test-login")
    camera_id = streams_env.cameras["CAM-01"]
    page.goto(f"{streams_env.web.url}/tile/{camera_id}")
    wait_for(lambda: tile(page, camera_id)["state"] == "live", PLAY_S, what="the MJPEG tile to play")
    assert tile(page, camera_id)["mode"] == "mjpeg"
    assert page.evaluate("document.querySelector('.ioc-tile img').naturalWidth") == 640


def test_hidden_tile_closes_its_peer(browser: Browser, contexts: list[BrowserContext], streams_env: StreamsEnv) -> None:
    camera_id = streams_env.add_camera("CAM-HIDE", streams_env.rtsp.url("cam"))
    page = open_tile(browser, contexts, streams_env, camera_id)
    wait_live(page, camera_id, PLAY_S)
    page.evaluate("document.querySelector('.ioc-tile').style.marginTop = '3000px'")  # scrolled out of view
    wait_for(lambda: tile(page, camera_id)["state"] == "paused", PLAY_S, what="the tile to pause")
    wait_for(lambda: (streams_env.camera_status(camera_id) or {}).get("viewers", 0) == 0, PLAY_S, what="no viewer")
    page.evaluate("document.querySelector('.ioc-tile').style.marginTop = '0px'")
    wait_live(page, camera_id, PLAY_S)


def test_transcoded_camera_says_so(browser: Browser, contexts: list[BrowserContext], streams_env: StreamsEnv) -> None:
    """An H.265 camera reaches the browser as VP8, and its tile shows the "chuyển mã" badge."""
    camera_id = streams_env.add_camera("CAM-H265", streams_env.rtsp.url("hevc"))
    page = open_tile(browser, contexts, streams_env, camera_id)
    stats = wait_live(page, camera_id, PLAY_S)
    assert stats["codec"] == "video/VP8" and stats["transcoding"] is True
    assert "chuyển mã" in overlay(page)
