"""One camera pull: a reconnecting reader feeding a track of our own that never ends.

aiortc ends a track (and its sender, for good) when its source fails, so viewers never subscribe to
the camera's reader directly: they subscribe to a ``LiveTrack`` that outlives every reconnect. H.264
(or VP8) is passed through untouched; only a camera in another codec, or one sending B-frames, is
decoded, and then aiortc re-encodes it for every viewer (``transcoding``).

The parts that need no camera live beside it: ``live_track``, ``timing`` (the clock, lag, rates,
backoff) and ``h264``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fractions
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

from data.models import utcnow
from streams.h264 import with_parameter_sets
from streams.live_track import QUEUE_SIZE, LiveTrack
from streams.reader import CameraReader, DropQueue, is_live_url
from streams.timing import TIME_BASE, LagMeter, RateMeter, Timeline, backoff_delay

log = logging.getLogger(__name__)
GOP_LIMIT = 300  # packets kept since the last keyframe, for snapshots
REORDER_LIMIT_S = 1.0  # a pts step back shorter than this is B-frame reordering, longer is a clock reset
MAX_LAG_S = 3.0  # this far behind the camera's own clock, the backlog is dropped (the session restarts)
PASSTHROUGH_CODECS = {"h264": "video/H264", "vp8": "video/VP8"}


def redact(url: str) -> str:
    """The URL without its user and password, fit for logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class SourceStats:
    """Counters of one pull; read by the health loop and the status API."""

    frames: int = 0
    keyframes: int = 0
    bytes_total: int = 0
    reconnects: int = 0
    connected: bool = False
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None
    last_frame_mono: float | None = None
    last_frame_at: datetime | None = None
    last_keyframe_at: datetime | None = None
    meter: RateMeter = field(default_factory=RateMeter)

    def record(self, size: int, keyframe: bool) -> None:
        now = time.monotonic()
        self.frames += 1
        self.bytes_total += size
        self.last_frame_mono, self.last_frame_at = now, utcnow()
        self.meter.add(now, size)
        if keyframe:
            self.keyframes += 1
            self.last_keyframe_at = self.last_frame_at

    def last_frame_age(self, now: float | None = None) -> float | None:
        if self.last_frame_mono is None:
            return None
        return (now if now is not None else time.monotonic()) - self.last_frame_mono


class NeedsTranscoding(Exception):
    """The camera sends something a browser cannot take as it is (B-frames): decode it instead."""


@dataclass(frozen=True)
class SourceConfig:
    open_timeout_s: float = 10.0
    queue_size: int = QUEUE_SIZE
    transcode_all: bool = False  # comparisons only: decode and re-encode even H.264


class CameraSource:
    """Pulls one camera URL for as long as it is open; viewers subscribe with ``subscribe()``."""

    def __init__(self, code: str, url: str, executor: Executor, config: SourceConfig | None = None) -> None:
        self.code, self.url = code, url
        self.config = config or SourceConfig()
        self.stats = SourceStats()
        self.track = LiveTrack(self.config.queue_size)
        self.relay = MediaRelay()
        self.transcoding = self.config.transcode_all
        self.viewers: collections.Counter[int] = collections.Counter()
        self.holds = 0  # users that are not viewers (the motion watcher): they keep the pull open too
        self.names: dict[int, str] = {}  # every camera (id -> code) served by this pull while it is open
        self.last_frame: av.VideoFrame | None = None  # transcoding only: the latest decoded picture
        self._gop: list[bytes] = []
        self._executor = executor
        self._timeline = Timeline()
        self._opened = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_pts: int | None = None

    @property
    def mime_type(self) -> str:
        """The codec viewers must negotiate: the camera's own, or VP8 when we transcode."""
        if self.transcoding:
            return "video/VP8"
        return PASSTHROUGH_CODECS.get(self.stats.codec or "h264", "video/H264")

    @property
    def viewer_count(self) -> int:
        return sum(self.viewers.values())

    @property
    def in_use(self) -> bool:
        """Someone still needs this pull: a viewer or a hold."""
        return self.viewer_count > 0 or self.holds > 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"camera-{self.code}")

    async def stop(self) -> None:
        """Stop pulling and end every viewer's track (MediaRelay would otherwise read for ever)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.track.stop()
        self.stats.connected = False

    def subscribe(self) -> MediaStreamTrack:
        """A new viewer's track.

        Passthrough: buffered, since a dropped packet corrupts pictures up to the next keyframe (and
        packing is cheap, so the queue stays short). Transcoding: unbuffered, so a viewer whose encoder
        lags gets the latest picture instead of an unbounded queue of raw frames.
        """
        return self.relay.subscribe(self.track, buffered=not self.transcoding)

    async def wait_opened(self, timeout: float) -> bool:
        """Wait for the first open attempt to end (so the codec is known); False on timeout."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._opened.wait()
        return self._opened.is_set()

    def gop(self) -> list[bytes]:
        """The H.264 access units since the latest keyframe (keyframe first), for a snapshot."""
        return list(self._gop)

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            delivered = await self._session()
            self._opened.set()
            if self._stopping:
                return
            if delivered and not is_live_url(self.url):
                attempt = 0
                continue  # a file at its end: play it again at once
            attempt = 0 if delivered else attempt
            delay = backoff_delay(attempt)
            attempt += 1
            log.info("%s: reconnecting in %.0f s", self.code, delay)
            await asyncio.sleep(delay)
            self.stats.reconnects += 1

    async def _session(self) -> int:
        """Open the camera, pump it until it fails, close it; returns how many frames it gave."""
        reader = await self._open()
        if reader is None:
            return 0
        self._opened.set()
        reader.start(asyncio.get_running_loop())
        try:
            return await self._pump(reader)
        except NeedsTranscoding:
            log.warning("%s: the camera sends B-frames; transcoding it (set the camera to no B-frames)", self.code)
            self.transcoding = True
            return 0
        finally:
            self.stats.connected = False
            if reader.error:
                self.stats.error = self._scrub(reader.error)
            loop = asyncio.get_running_loop()
            # Joining the reader waits for its current read: never on the event loop.
            await loop.run_in_executor(self._executor, reader.close, self.config.open_timeout_s + 1)

    async def _open(self) -> CameraReader | None:
        loop = asyncio.get_running_loop()
        queue = DropQueue(self.config.queue_size)
        try:
            # Connecting and probing blocks ~1.4 s: never on the event loop.
            reader = await loop.run_in_executor(
                self._executor, CameraReader.open, self.url, self.config.open_timeout_s, self.transcoding, queue
            )
        except Exception as exc:  # noqa: BLE001 - av errors, OSError, timeouts: all mean "try again later"
            self.stats.error = self._scrub(str(exc))
            log.warning("%s: cannot open %s: %s", self.code, redact(self.url), self.stats.error)
            return None
        if reader.decoding and not self.transcoding:
            log.warning("%s: the camera sends %s, not H.264; transcoding it", self.code, reader.opened.codec)
        self.transcoding = reader.decoding
        mode = "transcoding" if self.transcoding else "passthrough"
        log.info("%s: opened %s (%s, %s)", self.code, redact(self.url), reader.opened.codec, mode)
        return reader

    def _scrub(self, message: str) -> str:
        """FFmpeg's messages quote the URL, credentials included: keep only the reason."""
        return message.replace(f": '{self.url}'", "").replace(self.url, "<camera>")[:500]

    async def _pump(self, reader: CameraReader) -> int:
        self._timeline.new_session()
        self._last_pts = None
        lag = LagMeter()
        delivered = 0
        while not self._stopping:
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation that
                # lands just as a frame arrives, and the pull would then outlive its stop().
                async with asyncio.timeout(self.config.open_timeout_s):
                    item = await reader.recv()
            except MediaStreamError:
                if is_live_url(self.url):  # a file's end is no news: it is played again
                    log.warning("%s: stream ended", self.code)
                return delivered
            except TimeoutError:
                if reader.idle_s() < self.config.open_timeout_s:
                    continue  # packets flow, pictures not yet: a decoder waiting for its first keyframe
                log.warning("%s: nothing from the camera for %.0f s", self.code, self.config.open_timeout_s)
                return delivered
            if delivered == 0:
                self.stats.connected, self.stats.error = True, None
            if lag.behind(item, time.monotonic()) > MAX_LAG_S:
                # When this process falls behind (CPU starved, usually by transcoding), start
                # afresh rather than show ever older pictures.
                log.warning("%s: %.0f s behind the camera, dropping the backlog", self.code, MAX_LAG_S)
                return delivered
            self._accept(item)
            delivered += 1
        return delivered

    def _accept(self, item: Any) -> None:
        if isinstance(item, av.Packet):
            self._accept_packet(item)
        elif isinstance(item, av.VideoFrame):
            self._accept_frame(item)

    def _accept_packet(self, packet: av.Packet) -> None:
        pts, time_base = packet.pts, packet.time_base
        if pts is None or time_base is None:
            return
        self._check_order(pts, time_base)
        context = packet.stream.codec_context
        self.stats.codec, self.stats.width, self.stats.height = context.name, context.width, context.height
        keyframe = bool(packet.is_keyframe)
        if keyframe and context.name == "h264":
            packet = with_parameter_sets(packet, bytes(context.extradata or b""))
        packet.pts = packet.dts = self._timeline.place(pts, time_base, time.monotonic())
        packet.time_base = TIME_BASE
        self._keep_for_snapshot(bytes(packet), keyframe)
        self.stats.record(packet.size, keyframe)
        self.track.feed(packet)

    def _check_order(self, pts: int, time_base: fractions.Fraction) -> None:
        last, self._last_pts = self._last_pts, pts
        if last is not None and pts < last and (last - pts) * time_base < REORDER_LIMIT_S:
            raise NeedsTranscoding

    def _accept_frame(self, frame: av.VideoFrame) -> None:
        if frame.pts is None or frame.time_base is None:
            return
        frame.pts = self._timeline.place(frame.pts, frame.time_base, time.monotonic())
        frame.time_base = TIME_BASE
        self.stats.codec, self.stats.width, self.stats.height = "decoded", frame.width, frame.height
        self.last_frame = frame
        self.stats.record(0, bool(frame.key_frame))
        self.track.feed(frame)

    def _keep_for_snapshot(self, data: bytes, keyframe: bool) -> None:
        if keyframe:
            self._gop = [data]
        elif self._gop and len(self._gop) < GOP_LIMIT:
            self._gop.append(data)
