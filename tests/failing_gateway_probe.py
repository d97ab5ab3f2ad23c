"""Deliberately failing tests, run only by ``test_run_exit.py``, each in a pytest of its own (the file's
name keeps it out of the normal run): each fails while the gateway is busy, and that run must still end
soon after printing its summary."""

from __future__ import annotations

import threading

import pytest
import requests
from playwright.sync_api import Browser

from tests.conftest_streams import TOKEN, StreamsEnv, viewer_id, wait_for

VIEWERS = 3
FAILURE = "deliberate failure, the run must still end"


@pytest.mark.browser
def test_fails_while_viewers_watch_a_transcoded_camera(browser: Browser, streams_env: StreamsEnv) -> None:
    """Three Chromium tiles on an H.265 camera (one VP8 encoder each, all reading the same decoded
    frames in worker threads) and snapshots and thumbnails of it, when the test fails."""
    camera_id = streams_env.add_camera("CAM-H265", streams_env.rtsp.url("hevc"))
    context = browser.new_context()  # left open on purpose: the failure happens with the viewers on
    pages = []
    for _ in range(VIEWERS):
        page = context.new_page()
        page.goto(f"{streams_env.web.url}/test-login")
        page.goto(f"{streams_env.web.url}/tile/{camera_id}")
        pages.append(page)
    for page in pages:
        wait_for(lambda page=page: page.evaluate("id => window.iocTiles.stats(id)", camera_id)["framesDecoded"] > 5,
                 120, what="the tile to play")
    url = f"{streams_env.runtime.settings.streams_base_url}/internal/cameras/{camera_id}/snapshot.jpg"
    for _ in range(5):
        viewer = str(viewer_id(streams_env.runtime))
        assert requests.get(url, headers={"X-IOC-Token": TOKEN, "X-IOC-User": viewer}, timeout=60).ok
    raise AssertionError(FAILURE)


def test_fails_with_a_wedged_worker(streams_env: StreamsEnv) -> None:
    """A job that never returns, in the gateway's worker threads, stands for an encoder wedged there
    (nothing real wedges on demand); the test fails while it runs."""
    gateway = streams_env.gateway
    running = threading.Event()
    never = threading.Event()

    def wedged() -> None:
        running.set()
        never.wait()

    gateway.loop.call_soon_threadsafe(lambda: gateway.loop.run_in_executor(None, wedged))
    wait_for(running.is_set, 60, what="the wedged job to run")
    raise AssertionError(FAILURE)
