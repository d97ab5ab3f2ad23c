"""Motion detection: the pure detector on drawn pictures, then the gateway's watch against a real RTSP server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
import requests
from sqlalchemy import select

from data.cameras.listing import camera_rows
from data.core.bus import Subscription, drain
from data.core.runtime import Runtime
from data.geo.proximity import CameraPoint, camera_to_pop
from data.models import Alert, Camera, CameraStatus
from data.reports.queries import incidents_after
from data.runtime import build_runtime
from streams.demo import clip_paths, draw_pattern, write_clip
from streams.gateway import GatewayThread
from streams.hub import CameraRef, Hub
from streams.motion import MotionConfig, MotionDetector, MotionEvent
from streams.motion_watch import GopFollower, MotionWatch, motion_cameras
from streams.snapshot import PictureInput
from streams.source import SourceConfig
from tests.conftest_streams import TOKEN, RtspServer, running_gateway, streams_settings, wait_for

pytestmark = pytest.mark.timeout(120)

H, W = 360, 640
STEP_S = 0.5  # pictures at 2 per second, the default rate


# --- the pure detector ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """A still, textured scene (flat grey would hide nothing from a detector)."""
    rng = np.random.default_rng(1)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (H, W, 3), dtype=np.uint8), (31, 31), 0)
    return (40 + texture.astype(np.float32) * 160 / max(1, int(texture.max()))).astype(np.uint8)


def with_noise(picture: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noisy = picture.astype(np.int16) + rng.normal(0, sigma, picture.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def with_block(picture: np.ndarray, x: int, size: int = 60) -> np.ndarray:
    out = picture.copy()
    cv2.rectangle(out, (x, 150), (x + size, 150 + size), (240, 240, 240), -1)
    return out


def feed(detector: MotionDetector, pictures: list[np.ndarray], start: float) -> list[MotionEvent]:
    events = [detector.push(p, start + i * STEP_S) for i, p in enumerate(pictures)]
    return [e for e in events if e is not None]


def test_a_still_scene_with_sensor_noise_raises_nothing(scene: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    detector = MotionDetector()
    assert feed(detector, [with_noise(scene, 4, rng) for _ in range(120)], 0.0) == []
    assert detector.warmed_up and detector.last_area < 0.001


def test_a_moving_block_raises_one_event_per_activity(scene: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    config = MotionConfig(cooldown_s=10.0)
    detector = MotionDetector(config)
    still = [with_noise(scene, 3, rng) for _ in range(config.warm_up_frames + 5)]
    assert feed(detector, still, 0.0) == []
    moving = [with_noise(with_block(scene, 20 + 10 * i), 3, rng) for i in range(40)]  # 20 s of activity
    events = feed(detector, moving, 100.0)
    assert len(events) == 1, "one activity, one event, however long it lasts"
    event = events[0]
    assert event.at == 100.0 + (config.min_active_frames - 1) * STEP_S  # the second active picture in a row
    assert config.min_area <= event.area < 0.1
    _, y, w, h = event.box
    assert 0.35 < y < 0.45 and w < 0.3 and h < 0.3
    assert detector.in_event
    # Still for less than the cool-down, then moving again: the same activity, no new event.
    last = moving[-1]
    assert feed(detector, [with_noise(last, 3, rng) for _ in range(8)], 200.0) == []
    assert feed(detector, [with_noise(with_block(scene, 500 - 10 * i), 3, rng) for i in range(6)], 204.0) == []
    # Still for longer than the cool-down: re-armed, and the next activity is a new event.
    settled = with_block(scene, 450)
    assert feed(detector, [with_noise(settled, 3, rng) for _ in range(30)], 300.0) == []
    assert not detector.in_event
    again = [with_noise(with_block(scene, 300 - 10 * i), 3, rng) for i in range(6)]
    assert len(feed(detector, again, 400.0)) == 1


def test_small_changes_and_single_flashes_are_not_activity(scene: np.ndarray) -> None:
    rng = np.random.default_rng(4)
    detector = MotionDetector()
    feed(detector, [with_noise(scene, 3, rng) for _ in range(20)], 0.0)

    def with_clock(i: int) -> np.ndarray:  # a camera's clock overlay: digits that change every picture
        out = scene.copy()
        cv2.putText(out, f"{i:02d}", (560, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        return with_noise(out, 3, rng)

    assert feed(detector, [with_clock(i) for i in range(40)], 10.0) == []
    # Something small moving about (a bird, leaves): seen, but below the smallest area that counts.
    areas = []
    for i in range(20):
        assert detector.push(with_noise(with_block(scene, 100 + 8 * i, size=16), 3, rng), 30.0 + i * STEP_S) is None
        areas.append(detector.last_area)
    assert 0 < max(areas) < MotionConfig().min_area
    # One odd picture (a flash, a glitch) between still ones: shorter than min_active_frames.
    flashes = [with_noise(with_block(scene, 300, 120) if i % 5 == 0 else scene, 3, rng) for i in range(30)]
    assert feed(detector, flashes, 50.0) == []


def test_a_change_of_light_over_the_whole_picture_is_not_activity(scene: np.ndarray) -> None:
    detector = MotionDetector()
    feed(detector, [scene] * 20, 0.0)
    brighter = cv2.convertScaleAbs(scene, alpha=1.0, beta=60)
    assert feed(detector, [brighter] * 3, 10.0) == []
    assert detector.last_area > MotionConfig().max_area or detector.last_area == 0.0


def test_nothing_during_warm_up_and_a_new_picture_size_warms_up_again(scene: np.ndarray) -> None:
    config = MotionConfig(warm_up_frames=10)
    detector = MotionDetector(config)
    moving = [with_block(scene, 20 + 15 * i) for i in range(config.warm_up_frames)]
    assert feed(detector, moving, 0.0) == []
    assert not detector.warmed_up
    other = cv2.resize(scene, (320, 240))  # another camera mode: 4:3
    feed(detector, [other] * 3, 10.0)
    assert not detector.warmed_up  # the size changed: the background was forgotten


def test_motion_cameras_by_code_or_all_one_per_url() -> None:
    cams = [CameraRef(3, "C3", "rtsp://a"), CameraRef(1, "C1", "rtsp://a"), CameraRef(2, "C2", "rtsp://b")]
    assert motion_cameras(cams, []) == []
    assert [c.id for c in motion_cameras(cams, ["C2"])] == [2]
    assert [c.id for c in motion_cameras(cams, ["C3", "C2"])] == [2, 3]
    assert [c.id for c in motion_cameras(cams, ["*"])] == [1, 2]  # the twin URL once, by its lowest id


def test_gop_follower_decodes_each_access_unit_once(tmp_path: Path) -> None:
    clip = clip_paths(tmp_path, "pattern")
    write_clip(clip, draw_pattern, frames=60)  # keyframes at 0, 25 and 50
    with av.open(str(clip.ts)) as container:
        units = [(bytes(p), bool(p.is_keyframe)) for p in container.demux(container.streams.video[0]) if p.size]
    follower, gop, decoded = GopFollower(), list[bytes](), 0
    for i, (data, keyframe) in enumerate(units):
        gop = [data] if keyframe else [*gop, data]
        if i % 12 == 11:  # the watch looks about twice a second
            frame = follower.newest(PictureInput("h264", list(gop), None))
            assert frame is not None and (frame.width, frame.height) == (W, H)
            decoded += 1
            assert follower.newest(PictureInput("h264", list(gop), None)) is None  # nothing new since
    assert decoded == 5


# --- the gateway's watch, against a real RTSP server ------------------------------------------

# A still scene with a camera's clock burnt in (the clock changes every second; nothing else moves).
STILL = (
    "videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=25/1 ! "
    'clockoverlay time-format="%H:%M:%S" ! '
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! video/x-h264,profile=constrained-baseline ! "
    "rtph264pay name=pay0 pt=96 config-interval=1"
)
MOVING = "live:320x240@25"  # the bouncing ball, with its clock
NGO_MON = (16.4668, 107.5789)


@pytest.fixture(scope="module")
def motion_rtsp() -> Iterator[RtspServer]:
    server = RtspServer({"moving": MOVING, "still": STILL}).start()
    try:
        yield server
    finally:
        server.kill()


@dataclass
class MotionEnv:
    runtime: Runtime
    gateway: GatewayThread
    cameras: dict[str, int]
    alerts: Subscription  # the bus topic "alerts", subscribed before the gateway started

    @property
    def watch(self) -> MotionWatch:
        return self.gateway.gateway.motion

    def status(self) -> dict[str, Any]:
        url = f"{self.runtime.settings.streams_base_url}/internal/status"
        response = requests.get(url, headers={"X-IOC-Token": TOKEN}, timeout=10)
        assert response.status_code == 200
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture(scope="module")
def motion_env(motion_rtsp: RtspServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotionEnv]:
    """SQLite runtime, three cameras placed in Huế (two watched for motion), and the gateway."""
    tmp = tmp_path_factory.mktemp("motion")
    settings = streams_settings(
        f"sqlite:///{tmp / 'ioc.sqlite3'}",
        streams_motion_cameras=["MOVE", "STILL"],
        streams_thumbnail_interval_s=3600,  # the event's snapshot must stay the thumbnail for the checks
    )
    with contextlib.ExitStack() as started:  # stopped however the tests (or this set-up) end
        runtime = build_runtime(settings)
        started.callback(runtime.close)
        cameras: dict[str, int] = {}
        with runtime.session() as session:
            for code, mount, (lat, lon) in (
                ("MOVE", "moving", NGO_MON),
                ("STILL", "still", (NGO_MON[0] + 0.0004, NGO_MON[1])),  # ~45 m north
                ("NEAR", "moving", (NGO_MON[0], NGO_MON[1] + 0.0002)),  # ~21 m east, not watched
            ):
                camera = Camera(code=code, name=f"Camera {code}", stream_url=motion_rtsp.url(mount), lat=lat, lon=lon)
                session.add(camera)
                session.flush()
                cameras[code] = camera.id
        alerts = runtime.bus.subscribe("alerts")
        started.callback(alerts.close)
        gateway = started.enter_context(running_gateway(runtime))
        yield MotionEnv(runtime, gateway, cameras, alerts)


def motion_alerts(runtime: Runtime) -> list[Alert]:
    with runtime.session() as session:
        alerts = list(session.scalars(select(Alert).where(Alert.kind == "motion").order_by(Alert.id)))
        session.expunge_all()
        return alerts


def test_a_moving_camera_raises_one_motion_alert_with_its_snapshot(motion_env: MotionEnv) -> None:
    runtime, move_id = motion_env.runtime, motion_env.cameras["MOVE"]
    alerts = wait_for(lambda: motion_alerts(runtime), 60, what="a motion alert")
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.kind, alert.severity, alert.source, alert.source_ref) == ("motion", "info", "camera", str(move_id))
    assert alert.title == "Phát hiện chuyển động: Camera MOVE"
    assert (alert.lat, alert.lon) == NGO_MON and alert.status == "new"
    assert alert.message is not None and "khung hình lúc" in alert.message
    with runtime.session() as session:
        status = session.get(CameraStatus, move_id)
        assert status is not None and status.thumbnail_jpeg is not None
        assert status.thumbnail_at == alert.created_at  # the snapshot of the event
        picture = cv2.imdecode(np.frombuffer(status.thumbnail_jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None and picture.shape[1] == 320
        # The alert keeps its own copy: later thumbnail refreshes do not lose what was seen.
        kept = session.get(Alert, alert.id)
        assert kept is not None and kept.snapshot_jpeg == status.thumbnail_jpeg
    messages = list(drain(motion_env.alerts, timeout=2))
    assert [(m["topic"], m["kind"], m["id"], m["camera_id"]) for m in messages] == [
        ("alerts", "motion", alert.id, move_id)
    ]
    # The ball keeps bouncing: still one activity, so still one alert, however many pictures later.
    analyser = motion_env.watch.analysers[move_id]
    seen = analyser.pictures
    wait_for(lambda: analyser.pictures >= seen + 6, 60, what="the detector to look at six more pictures")
    assert len(motion_alerts(runtime)) == 1


def test_a_still_camera_with_a_clock_raises_nothing(motion_env: MotionEnv) -> None:
    still_id = motion_env.cameras["STILL"]
    watch = motion_env.watch
    config = watch.config
    wait_for(lambda: (a := watch.analysers.get(still_id)) and a.pictures >= config.warm_up_frames + 10, 30,
             what="the still camera to be looked at past its warm-up")
    assert watch.errors == 0
    assert not any(a.source_ref == str(still_id) for a in motion_alerts(motion_env.runtime))


def test_watched_cameras_stay_pulled_without_counting_as_viewers(motion_env: MotionEnv) -> None:
    move_id, still_id, near_id = (motion_env.cameras[c] for c in ("MOVE", "STILL", "NEAR"))
    status = motion_env.status()
    assert status["motion"]["cameras"] == sorted([move_id, still_id])
    watched = {c["camera_id"]: c for c in status["cameras"]}
    assert {move_id, still_id} <= set(watched)
    assert near_id not in watched  # not configured for motion: not pulled by the watch
    assert all(watched[cid]["viewers"] == 0 and watched[cid]["state"] == "online" for cid in (move_id, still_id))
    assert watched[move_id]["codec"] == "h264" and watched[move_id]["transcoding"] is False  # still passthrough


def test_the_wall_pops_the_camera_that_saw_the_motion(motion_env: MotionEnv) -> None:
    runtime, move_id = motion_env.runtime, motion_env.cameras["MOVE"]
    wait_for(lambda: motion_alerts(runtime), 30, what="a motion alert")
    with runtime.session() as session:
        incidents = incidents_after(session, 0, 0)
        cameras = [CameraPoint(c["id"], c["lat"], c["lon"]) for c in camera_rows(session) if c["lat"] is not None]
    pop = camera_to_pop(incidents, cameras)
    assert pop is not None and pop.camera_id == move_id and pop.distance_m == 0


@pytest.mark.postgres
@pytest.mark.redis
def test_motion_alert_on_postgres_and_redis(motion_rtsp: RtspServer, pg_url: str, redis_url: str,
                                            redis_prefix: str) -> None:
    settings = streams_settings(pg_url, redis_url=redis_url, redis_prefix=redis_prefix,
                                streams_motion_cameras=["*"], streams_motion_fps=4.0)
    runtime = build_runtime(settings)
    try:
        with runtime.session() as db:
            camera = Camera(code="PG-MOVE", name="Cầu Trường Tiền", stream_url=motion_rtsp.url("moving"),
                            lat=16.4676, lon=107.5895)
            db.add(camera)
            db.flush()
            ref = CameraRef(camera.id, camera.code, camera.stream_url)
        subscription = runtime.bus.subscribe("alerts")
        try:
            events = asyncio.run(watch_until_event(runtime, ref, 30))
            assert events == 1
            alerts = motion_alerts(runtime)
            assert [(a.source_ref, a.title) for a in alerts] == [
                (str(ref.id), "Phát hiện chuyển động: Cầu Trường Tiền")
            ]
            message = wait_for(lambda: subscription.get(timeout=0.5), 30, interval_s=0, what="a message on the bus")
            assert message["kind"] == "motion" and message["camera_id"] == ref.id and message["id"] == alerts[0].id
        finally:
            subscription.close()
    finally:
        runtime.close()


async def watch_until_event(runtime: Runtime, camera: CameraRef, timeout_s: float) -> int:
    hub = Hub(0.0, SourceConfig(open_timeout_s=5.0))

    async def cameras() -> list[Any]:
        return [camera]

    watch = MotionWatch(runtime, hub, cameras)
    watch.start()
    try:
        deadline = time.monotonic() + timeout_s
        while watch.events == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return watch.events
    finally:
        await watch.stop()
        await hub.stop()
