"""The motion watch: cameras configured for motion detection are pulled and looked at a few times a second.

Watching keeps a pull of its own (a hold on the hub, not a viewer) for as long as the gateway runs,
even when nobody watches the camera: the point of motion detection is to bring a camera nobody is
looking at onto the wall. A pull in passthrough costs ~2 % of a core (DESIGN.md), and the hub shares
it with viewers, so a watched camera that someone opens costs nothing more. The cheaper choice,
watching only cameras already pulled, would only ever alarm on cameras someone is already looking at.

Viewers are not touched: they keep their H.264 passthrough. The watch decodes the pull's current GOP
(the access units the source keeps for snapshots) incrementally, in a worker thread, a few times a
second: every access unit is decoded once (a P-frame needs its predecessors), which for a 360p
sub-stream is ~0.5 % of a core, and pictures are handed to the detector at ``streams_motion_fps``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo

import av
from av.video.codeccontext import VideoCodecContext
from av.video.reformatter import VideoReformatter

from data.alerts.events import raise_alert
from data.core.runtime import Runtime
from data.models import Camera, CameraStatus, utcnow
from streams.hub import CameraRef, Hub
from streams.motion import MotionConfig, MotionDetector, MotionEvent
from streams.snapshot import PictureInput, encode_jpeg, picture_input, video_decoder
from streams.source import CameraSource

log = logging.getLogger(__name__)

TOPIC = "alerts"
ALL = "*"
REFRESH_S = 30.0  # how often the list of watched cameras is read again (cameras added, disabled)
SNAPSHOT_QUALITY = 75
CameraLister = Callable[[], Awaitable[list[CameraRef]]]


def motion_cameras(cameras: list[CameraRef], codes: list[str]) -> list[CameraRef]:
    """The cameras to watch: those named in ``codes`` (or all, with ``*``), one per stream URL.

    Two camera rows on one URL are one picture: it is analysed once and its alerts name the row
    with the lowest id.
    """
    wanted = set(codes)
    chosen: dict[str, CameraRef] = {}
    for camera in sorted(cameras, key=lambda c: c.id):
        if (ALL in wanted or camera.code in wanted) and camera.url not in chosen:
            chosen[camera.url] = camera
    return list(chosen.values())


class GopFollower:
    """Decodes a passthrough pull's pictures incrementally from the GOP its source keeps.

    Each call decodes only the access units added since the last call (from the keyframe when a new
    GOP has begun) and returns the newest picture, or None when nothing new has arrived.
    """

    def __init__(self) -> None:
        self._context: VideoCodecContext | None = None
        self._codec = ""
        self._keyframe: bytes | None = None  # held, so that an identity check is safe
        self._done = 0
        self._last_frame: av.VideoFrame | None = None

    def newest(self, material: PictureInput) -> av.VideoFrame | None:
        if material.frame is not None:  # transcoding: the source decodes already
            if material.frame is self._last_frame:
                return None
            self._last_frame = material.frame
            return material.frame
        gop = material.gop
        if not gop:
            return None
        if self._context is None or material.codec != self._codec:
            self._context, self._codec, self._keyframe = video_decoder(material.codec), material.codec, None
        if gop[0] is not self._keyframe:  # a new GOP: start at its keyframe (an IDR needs nothing before it)
            self._keyframe, self._done = gop[0], 0
        fresh, self._done = gop[self._done :], len(gop)
        return self._decode(fresh)

    def _decode(self, units: list[bytes]) -> av.VideoFrame | None:
        assert self._context is not None
        last: av.VideoFrame | None = None
        for data in units:
            try:
                for frame in self._context.decode(av.Packet(data)):
                    last = frame
            except av.FFmpegError:
                continue  # a damaged access unit: the next keyframe repairs the picture
        return last


class MotionAnalyser:
    """One camera's decoder and detector; called from a worker thread, one call at a time."""

    def __init__(self, config: MotionConfig, snapshot_width: int) -> None:
        self.detector = MotionDetector(config)
        self._follower = GopFollower()
        self._to_gray = VideoReformatter()  # a transcoded camera's frames are shared: never use theirs
        self._snapshot_width = snapshot_width
        self.pictures = 0  # pictures the detector has seen (tests read it)

    def analyse(self, material: PictureInput, now: float) -> tuple[MotionEvent, bytes] | None:
        """The event and its JPEG snapshot when an activity starts with the newest picture."""
        frame = self._follower.newest(material)
        if frame is None:
            return None
        self.pictures += 1
        event = self.detector.push(self._to_gray.reformat(frame, format="gray").to_ndarray(), now)
        if event is None:
            return None
        return event, encode_jpeg(frame, SNAPSHOT_QUALITY, self._snapshot_width)


def motion_message(event: MotionEvent, at: datetime, tz: tzinfo) -> str:
    """The alert's text (Vietnamese): how much of the picture moved, and when (``at`` naive UTC, shown in ``tz``)."""
    local = at.replace(tzinfo=UTC).astimezone(tz)
    return (
        f"Chuyển động trên {event.area:.0%} khung hình lúc {local:%H:%M:%S %d/%m/%Y}; "
        "ảnh lúc đó được lưu làm ảnh thu nhỏ của camera đến lần làm mới sau."
    )


def write_motion_alert(runtime: Runtime, camera_id: int, event: MotionEvent, jpeg: bytes) -> int | None:
    """Insert the motion alert, keep its snapshot as the camera's thumbnail, and announce it on the bus.

    The thumbnail and the alert carry the same time (``thumbnail_at`` == ``created_at``); the next
    thumbnail refresh replaces the picture. Returns the alert's id (None if the camera is gone).
    """
    now = utcnow()
    with runtime.session() as session:
        camera = session.get(Camera, camera_id)
        if camera is None or not camera.enabled:
            return None
        alert = raise_alert(
            session, kind="motion", severity="info", title=f"Phát hiện chuyển động: {camera.name}",
            message=motion_message(event, now, runtime.settings.tz), source="camera", source_ref=str(camera_id),
            lat=camera.lat, lon=camera.lon, now=now, is_demo=camera.is_demo, snapshot_jpeg=jpeg,
        )
        status = session.get(CameraStatus, camera_id)
        if status is None:
            status = CameraStatus(camera_id=camera_id)
            session.add(status)
        status.thumbnail_jpeg, status.thumbnail_at = jpeg, now
        session.flush()
        alert_id, message = alert.id, {
            "kind": "motion", "id": alert.id, "action": "raised", "status": alert.status,
            "camera_id": camera_id, "severity": alert.severity,
            "title": alert.title, "lat": camera.lat, "lon": camera.lon, "area": round(event.area, 3),
            "at": now.isoformat() + "Z",
        }
    runtime.bus.publish(TOPIC, message)
    return alert_id


class MotionWatch:
    """Holds a pull on each camera configured for motion and looks at it ``streams_motion_fps`` times a second."""

    def __init__(self, runtime: Runtime, hub: Hub, list_cameras: CameraLister, refresh_s: float = REFRESH_S) -> None:
        settings = runtime.settings
        self._runtime, self._hub, self._list = runtime, hub, list_cameras
        self._codes = list(settings.streams_motion_cameras)
        self._period = 1.0 / settings.streams_motion_fps
        self._refresh = refresh_s
        self._snapshot_width = settings.streams_thumbnail_width
        self.config = MotionConfig(min_area=settings.streams_motion_min_area,
                                   cooldown_s=settings.streams_motion_cooldown_s)
        self._watches: dict[str, tuple[CameraRef, asyncio.Task[None]]] = {}  # by stream URL
        self.analysers: dict[int, MotionAnalyser] = {}  # by camera id (tests and the status API read them)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.events = 0
        self.errors = 0

    @property
    def enabled(self) -> bool:
        return bool(self._codes)

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._run(), name="motion-watch")

    async def stop(self) -> None:
        """Stop every watch; their holds are released and the hub closes idle pulls as usual."""
        self._stop.set()
        tasks = [task for _, task in self._watches.values()]
        if self._task is not None:
            tasks.append(self._task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watches.clear()

    def status(self) -> dict[str, object]:
        """What the status API says about motion watching."""
        return {
            "cameras": sorted(camera.id for camera, _ in self._watches.values()),
            "pictures": sum(a.pictures for a in self.analysers.values()),
            "events": self.events,
            "errors": self.errors,
        }

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.sync()
            except Exception:  # the database may be down for a moment: try again at the next refresh
                log.exception("cameras: motion watch refresh failed")
            if await self._stopped_within(self._refresh):
                return

    async def sync(self) -> None:
        """Start watching newly configured cameras, stop watching those no longer configured."""
        wanted = {c.url: c for c in motion_cameras(await self._list(), self._codes)}
        for url, (camera, task) in list(self._watches.items()):
            if wanted.get(url) != camera or task.done():
                task.cancel()
                del self._watches[url]
        for url, camera in wanted.items():
            if url not in self._watches:
                task = asyncio.create_task(self._watch(camera), name=f"motion-{camera.code}")
                self._watches[url] = (camera, task)

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()
        return self._stop.is_set()

    async def _watch(self, camera: CameraRef) -> None:
        analyser = MotionAnalyser(self.config, self._snapshot_width)
        self.analysers[camera.id] = analyser
        async with self._hub.lease(camera, viewer=False) as source:
            log.info("%s: watching for motion", camera.code)
            while not await self._stopped_within(self._period):
                try:
                    await self._look(camera, source, analyser)
                except Exception:  # one bad picture or a database hiccup must not end the watch
                    self.errors += 1
                    log.exception("%s: motion check failed", camera.code)

    async def _look(self, camera: CameraRef, source: CameraSource, analyser: MotionAnalyser) -> None:
        material = picture_input(source)
        if material is None:
            return
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, analyser.analyse, material, time.monotonic())
        if found is None:
            return
        event, jpeg = found
        self.events += 1
        alert_id = await loop.run_in_executor(None, write_motion_alert, self._runtime, camera.id, event, jpeg)
        log.info("%s: motion on %.0f%% of the picture (alert %s)", camera.code, event.area * 100, alert_id)
