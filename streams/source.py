"""One camera pull: a reconnecting reader feeding a track of our own that never ends.

aiortc ends a track (and its sender, for good) when its source fails, so viewers never subscribe to
the camera's reader directly: they subscribe to a ``LiveTrack`` that outlives every reconnect. H.264
(or VP8) is passed through untouched; only a camera in another codec, or one sending B-frames, is
decoded, and then aiortc re-encodes it for every viewer (``transcoding``).
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
from streams.reader import CameraReader, DropQueue, Media, is_live_url

log = logging.getLogger(__name__)

CLOCK_RATE = 90_000  # RTP video clock: every timestamp we emit is in 1/90000 s
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
QUEUE_SIZE = 50  # ~2 s at 25 fps between the reader and the relay; overflow drops to the next keyframe
GOP_LIMIT = 300  # packets kept since the last keyframe, for snapshots
RATE_WINDOW_S = 5.0
REORDER_LIMIT_S = 1.0  # a pts step back shorter than this is B-frame reordering, longer is a clock reset
MAX_LAG_S = 3.0  # this far behind the camera's own clock, the backlog is dropped (the session restarts)
PASSTHROUGH_CODECS = {"h264": "video/H264", "vp8": "video/VP8"}


def backoff_delay(attempt: int) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0-based): go2rtc's 1 s ×5, 5 s ×5, 10 s ×10, 60 s."""
    if attempt < 5:
        return 1.0
    if attempt < 10:
        return 5.0
    if attempt < 20:
        return 10.0
    return 60.0


def redact(url: str) -> str:
    """The URL without its user and password, fit for logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def nal_types(data: bytes) -> set[int]:
    """The NAL unit types in an Annex B H.264 access unit."""
    types: set[int] = set()
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.add(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types


class RateMeter:
    """Events and bytes per second over a sliding window."""

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self._window = window_s
        self._events: collections.deque[tuple[float, int]] = collections.deque()

    def add(self, now: float, size: int) -> None:
        self._events.append((now, size))
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._events and self._events[0][0] < now - self._window:
            self._events.popleft()

    def rates(self, now: float) -> tuple[float, float]:
        """(events per second, bits per second) over the window ending at ``now``."""
        self._trim(now)
        count = len(self._events)
        return count / self._window, sum(size for _, size in self._events) * 8 / self._window


class Timeline:
    """Maps each session's timestamps onto one 90 kHz clock that never goes back.

    After a reconnect (or a file loop, or a camera clock reset) the next timestamp continues from
    the last one by the wall-clock gap, so a browser's jitter buffer sees time pass as it did.
    """

    MIN_STEP = CLOCK_RATE // 50

    def __init__(self) -> None:
        self._offset: int | None = None
        self._last_out: int | None = None
        self._last_wall = 0.0

    def new_session(self) -> None:
        self._offset = None

    def place(self, pts: int, time_base: fractions.Fraction, now: float) -> int:
        ticks = int(pts * time_base * CLOCK_RATE)
        if self._offset is None or (self._last_out is not None and ticks + self._offset <= self._last_out):
            self._offset = self._anchor(ticks, now)
        out = ticks + self._offset
        self._last_out, self._last_wall = out, now
        return out

    def _anchor(self, ticks: int, now: float) -> int:
        if self._last_out is None:
            return -ticks
        gap = max(self.MIN_STEP, int((now - self._last_wall) * CLOCK_RATE))
        return self._last_out + gap - ticks


class LagMeter:
    """How far behind the camera's own clock this session's reading has fallen, in seconds."""

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None  # (media time, wall time) of the first item

    def behind(self, item: object, now: float) -> float:
        media_time = _media_time(item)
        if media_time is None:
            return 0.0
        if self._origin is None:
            self._origin = (media_time, now)
        return (now - self._origin[1]) - (media_time - self._origin[0])


def _media_time(item: object) -> float | None:
    if isinstance(item, (av.Packet, av.VideoFrame)) and item.pts is not None and item.time_base is not None:
        return float(item.pts * item.time_base)
    return None


class LiveTrack(MediaStreamTrack):
    """The track viewers subscribe to (through a MediaRelay): it ends only when its source is closed."""

    kind = "video"

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        super().__init__()
        self._queue = DropQueue(maxsize)
        self._started = False

    def feed(self, item: Media) -> None:
        """Queue one packet or frame; nobody reads yet: drop it (the first one read is a keyframe)."""
        if self._started and self.readyState == "live":
            self._queue.put(item)

    async def recv(self) -> Media:
        if self.readyState != "live":
            raise MediaStreamError
        self._started = True
        item = await self._queue.get()
        if item is None:
            raise MediaStreamError
        return item

    def stop(self) -> None:
        if self.readyState == "live":
            self._queue.reset()
            self._queue.put(None)  # wakes the relay, which then ends every viewer's proxy
        super().stop()


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


def with_parameter_sets(packet: av.Packet, extradata: bytes) -> av.Packet:
    """A keyframe that carries its SPS/PPS: cameras that send them only in the SDP leave them out,
    and a browser cannot decode an IDR picture without them."""
    data = bytes(packet)
    if not extradata.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")) or 7 in nal_types(data):
        return packet
    fixed = av.Packet(extradata + data)
    fixed.pts, fixed.dts, fixed.time_base = packet.pts, packet.dts, packet.time_base
    fixed.is_keyframe = True
    return fixed
