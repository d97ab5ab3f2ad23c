"""Camera health: online / stale / offline from the last frame, written to the database, the bus
(topic ``cameras``) and a Redis hash, with a thumbnail refreshed every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.typing import EncodableT, FieldT
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.alerts.events import OPEN_STATUSES, published, raise_alert
from data.core.runtime import Runtime
from data.models import Alert, Camera, CameraState, CameraStatus, utcnow
from streams.hub import Hub
from streams.snapshot import PictureInput, encode_jpeg, picture_input
from streams.source import CameraSource

log = logging.getLogger(__name__)
TOPIC = "cameras"
THUMBNAIL_QUALITY = 70


def camera_state(age_s: float | None, connected: bool, stale_after_s: float, offline_after_s: float) -> CameraState:
    """A camera's state from the age of its last frame and whether its connection is up."""
    if age_s is not None and age_s <= stale_after_s:
        return CameraState.ONLINE
    if not connected:
        return CameraState.OFFLINE
    if age_s is None:
        return CameraState.UNKNOWN  # connected, first frame not here yet
    return CameraState.STALE if age_s <= offline_after_s else CameraState.OFFLINE


@dataclass(frozen=True)
class CameraHealth:
    """What the IOC may know of a camera's stream: no URL, no credentials."""

    camera_id: int
    code: str
    state: CameraState
    codec: str | None
    transcoding: bool
    fps: float
    bitrate_kbps: float
    width: int | None
    height: int | None
    last_frame_at: datetime | None
    last_keyframe_at: datetime | None
    last_frame_age_s: float | None
    reconnects: int
    viewers: int
    error: str | None

    def message(self) -> dict[str, Any]:
        """The JSON-able form published on the bus and served by the status API."""
        data = dataclasses.asdict(self)
        data["state"] = str(self.state)
        for key in ("last_frame_at", "last_keyframe_at"):
            value = data[key]
            data[key] = value.isoformat() + "Z" if value is not None else None
        return data


def health_of(
    source: CameraSource, camera_id: int, code: str, stale_after_s: float, offline_after_s: float
) -> CameraHealth:
    stats = source.stats
    now = time.monotonic()
    age = stats.last_frame_age(now)
    fps, bps = stats.meter.rates(now)
    return CameraHealth(
        camera_id=camera_id,
        code=code,
        state=camera_state(age, stats.connected, stale_after_s, offline_after_s),
        codec=stats.codec,
        transcoding=source.transcoding,
        fps=round(fps, 1),
        bitrate_kbps=round(bps / 1000, 1),
        width=stats.width,
        height=stats.height,
        last_frame_at=stats.last_frame_at,
        last_keyframe_at=stats.last_keyframe_at,
        last_frame_age_s=round(age, 2) if age is not None else None,
        reconnects=stats.reconnects,
        viewers=source.viewers.get(camera_id, 0),
        error=stats.error,
    )


def thumbnail_of(material: PictureInput, width: int) -> bytes | None:
    """A small JPEG of the latest keyframe (one picture decoded, not the whole GOP)."""
    frame = material.decode(keyframe_only=True)
    return encode_jpeg(frame, THUMBNAIL_QUALITY, width) if frame is not None else None


def write_health(runtime: Runtime, healths: list[CameraHealth], thumbnails: dict[int, bytes]) -> None:
    """Upsert camera_status rows, publish each camera's health, and mirror it into Redis."""
    now = utcnow()
    raised: list[Alert] = []
    with runtime.session() as session:
        for health in healths:
            row = session.get(CameraStatus, health.camera_id)
            if row is None:
                row = CameraStatus(camera_id=health.camera_id)
                session.add(row)
            if went_offline(row.state, health.state):
                alert = _offline_alert(session, health, now)
                if alert is not None:
                    raised.append(alert)
            _fill(row, health, now)
            thumbnail = thumbnails.get(health.camera_id)
            if thumbnail is not None:
                row.thumbnail_jpeg, row.thumbnail_at = thumbnail, now
    for health in healths:
        runtime.bus.publish(TOPIC, {"event": "health", **health.message()})
    for alert in raised:
        published(runtime, alert, "raised")
    if runtime.redis is not None:
        _mirror_to_redis(runtime, healths)


def went_offline(before: str | None, now: CameraState) -> bool:
    """Only a camera that was seen working raises an alert when it stops (not one never reached)."""
    return now == CameraState.OFFLINE and before in (CameraState.ONLINE, CameraState.STALE)


def _offline_alert(session: Session, health: CameraHealth, now: datetime) -> Alert | None:
    """One open alert per camera: a camera flapping on and off does not flood the wall."""
    ref = str(health.camera_id)
    if session.scalar(select(Alert.id).where(Alert.kind == "camera_offline", Alert.source_ref == ref,
                                             Alert.status.in_(OPEN_STATUSES))) is not None:
        return None
    camera = session.get(Camera, health.camera_id)
    if camera is None:
        return None
    return raise_alert(session, kind="camera_offline", severity="warning", source="camera", source_ref=ref,
                       title=f"Camera mất tín hiệu: {camera.name}", message=health.error, lat=camera.lat,
                       lon=camera.lon, now=now, is_demo=camera.is_demo)


def _fill(row: CameraStatus, health: CameraHealth, now: datetime) -> None:
    row.state = str(health.state)
    row.codec = health.codec
    row.transcoding = health.transcoding
    row.fps, row.bitrate_kbps = health.fps, health.bitrate_kbps
    row.width, row.height = health.width, health.height
    row.last_frame_at, row.last_keyframe_at = health.last_frame_at, health.last_keyframe_at
    row.reconnects, row.viewers = health.reconnects, health.viewers
    row.error = health.error[:500] if health.error else None
    row.updated_at = now


def _mirror_to_redis(runtime: Runtime, healths: list[CameraHealth]) -> None:
    assert runtime.redis is not None
    pipe = runtime.redis.pipeline(transaction=False)
    for health in healths:
        key = runtime.key("camera", str(health.camera_id), "health")
        fields: dict[FieldT, EncodableT] = {k: "" if v is None else str(v) for k, v in health.message().items()}
        pipe.hset(key, mapping=fields)
        pipe.expire(key, 3600)
    pipe.execute()


class HealthMonitor:
    """Every ``interval`` seconds: the health of every camera being pulled, and its thumbnail now and then."""

    def __init__(self, runtime: Runtime, hub: Hub) -> None:
        self._runtime, self._hub = runtime, hub
        settings = runtime.settings
        self._interval = settings.streams_health_interval_s
        self._thumb_every = settings.streams_thumbnail_interval_s
        self._thumb_width = settings.streams_thumbnail_width
        self._stale, self._offline = settings.streams_stale_after_s, settings.streams_offline_after_s
        self._last: dict[int, CameraHealth] = {}
        self._thumb_at: dict[int, float] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="camera-health")

    async def stop(self) -> None:
        """Stop the loop after a last pass, which records that nobody watches any more."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self._pass()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._stop.wait()
        await self._pass()  # the last one: nothing is pulled any more

    async def _pass(self) -> None:
        try:
            await self.run_once()
        except Exception:  # one bad pass (database down) must not end the loop
            log.exception("cameras: health pass failed")

    async def run_once(self) -> list[CameraHealth]:
        """One pass: measure, then write in a worker thread (the database and Redis calls block)."""
        healths = self._measure()
        thumbnails = self._due_thumbnails()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._write, healths, thumbnails)
        self.passes += 1
        return healths

    def _measure(self) -> list[CameraHealth]:
        current: dict[int, CameraHealth] = {}
        if not self._stop.is_set():
            for source in self._hub.sources():
                for camera_id, code in source.names.items():
                    current[camera_id] = health_of(source, camera_id, code, self._stale, self._offline)
        # Cameras no longer pulled: say once that nobody watches them, then leave their row alone.
        gone = [dataclasses.replace(h, viewers=0) for cid, h in self._last.items() if cid not in current]
        self._last = current
        return [*current.values(), *gone]

    def _due_thumbnails(self) -> dict[int, tuple[PictureInput, str]]:
        now = time.monotonic()
        due: dict[int, tuple[PictureInput, str]] = {}
        for source in self._hub.sources():
            for camera_id, code in source.names.items():
                if now - self._thumb_at.get(camera_id, -1e9) < self._thumb_every:
                    continue
                material = picture_input(source)
                if material is not None:
                    due[camera_id] = (material, code)
                    self._thumb_at[camera_id] = now
        return due

    def _write(self, healths: list[CameraHealth], due: dict[int, tuple[PictureInput, str]]) -> None:
        thumbnails: dict[int, bytes] = {}
        for camera_id, (material, code) in due.items():
            try:
                jpeg = thumbnail_of(material, self._thumb_width)
            except Exception as exc:  # noqa: BLE001 - a bad picture costs this camera its thumbnail, nothing more
                log.warning("%s: thumbnail failed: %s", code, exc)
                continue
            if jpeg is not None:
                thumbnails[camera_id] = jpeg
        write_health(self._runtime, healths, thumbnails)
