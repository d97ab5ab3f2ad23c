"""The patrol keeps the state and thumbnail of cameras nobody watches true (real RTSP server)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from data.cameras.listing import camera_rows
from data.models import Camera, CameraStatus
from data.runtime import build_runtime
from streams.hub import CameraRef
from streams.patrol import due_for_visit
from tests.conftest_streams import RtspServer, free_port, running_gateway, streams_settings


def test_due_for_visit_picks_idle_cameras_longest_unvisited_first() -> None:
    cams = [CameraRef(1, "A", "rtsp://a"), CameraRef(2, "B", "rtsp://b"), CameraRef(3, "C", "rtsp://c")]
    visited = {1: 100.0, 2: 10.0}
    due = due_for_visit(cams, pulled={"rtsp://c"}, visited=visited, now=200.0, every_s=120.0)
    assert [c.id for c in due] == [2]  # 1 was seen 100 s ago, 3 is being watched anyway
    assert [c.id for c in due_for_visit(cams, set(), {}, 0.0, 120.0)] == [1, 2, 3]


def test_patrol_marks_idle_cameras_online_or_offline(rtsp_server: RtspServer, tmp_path: Path) -> None:
    settings = streams_settings(f"sqlite:///{tmp_path / 'p.sqlite3'}", streams_patrol_every_s=60,
                                streams_patrol_hold_s=2, streams_idle_grace_s=1)
    runtime = build_runtime(settings)
    with runtime.session() as s:
        s.add_all([Camera(code="LIVE", name="Live", stream_url=rtsp_server.url("cam")),
                   Camera(code="DEAD", name="Dead", stream_url=f"rtsp://127.0.0.1:{free_port()}/none")])
    # nobody watches: only the patrol pulls
    with contextlib.closing(runtime), running_gateway(runtime) as gateway:
        deadline = time.monotonic() + 40
        states: dict[str, str] = {}
        while time.monotonic() < deadline and states != {"LIVE": "online", "DEAD": "offline"}:
            time.sleep(0.5)
            with runtime.session() as s:
                states = {r["code"]: r["state"] for r in camera_rows(s)}
        assert states == {"LIVE": "online", "DEAD": "offline"}
        deadline = time.monotonic() + 20
        thumb = None
        while time.monotonic() < deadline and thumb is None:
            time.sleep(0.5)
            with runtime.session() as s:
                thumb = s.scalar(select(CameraStatus.thumbnail_jpeg).join(Camera).where(Camera.code == "LIVE"))
        assert thumb is not None
        picture = cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None and picture.shape[1] == settings.streams_thumbnail_width
        assert gateway.gateway.patrol.visits >= 1
