"""Reading one camera with PyAV in a thread of its own, handing packets (or decoded frames) to the loop.

Why not aiortc's ``MediaPlayer``, which DESIGN.md's first recipe used: measured here (PyAV 18), its
reader calls ``next(container.demux(...))`` for every packet, and each new demux generator leaks a
little: 16 RTSP cameras grew the process by ~0.3–0.7 MB/s (a soak of 16 × 720p went from 221 to
433 MB in 300 s), while one generator per session stays flat (237 MB for 5 min). Its queues are
also unbounded (a CPU-starved transcoding gateway reached 2 GB in 30 s) and it reads audio nobody
asked for. This reader keeps MediaPlayer's good parts: it opens in a worker thread (``open`` blocks
~1.4 s and must never run on the event loop), passes H.264/VP8 through untouched or decodes, paces
local files in real time; and it hands items over through a bounded queue that drops rather than
blocks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

log = logging.getLogger(__name__)

PASSTHROUGH = ("h264", "vp8")  # what a browser takes as it is (and aiortc can packetize)
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "srt://", "udp://")
END = None  # put on the queue when the reader stops

Media = av.Packet | av.VideoFrame


def is_live_url(url: str) -> bool:
    """True for a network stream, False for a local file (played in real time, again at its end)."""
    return url.lower().startswith(STREAM_SCHEMES)


def open_args(url: str, timeout_s: float) -> dict[str, Any]:
    """Arguments of ``av.open`` for ``url``: RTSP over TCP, no input buffering, video only."""
    args: dict[str, Any] = {"timeout": timeout_s}
    if url.lower().startswith(("rtsp://", "rtsps://")):
        args["format"] = "rtsp"
        # allowed_media_types: never SETUP the audio track; nobody here would read it.
        args["options"] = {"rtsp_transport": "tcp", "fflags": "nobuffer", "allowed_media_types": "video"}
    return args


class DropQueue:
    """A bounded hand-over from a reader to its consumer that never blocks the reader.

    Packets: on overflow everything queued is dropped and the queue restarts at the next keyframe
    (a P-frame without its references would smear the picture). Decoded frames: only the newest
    few are kept, since any of them can be shown on its own.
    """

    def __init__(self, packets: int, frames: int = 2) -> None:
        self._queue: collections.deque[Media | None] = collections.deque()
        self._limits = (packets, frames)
        self._need_keyframe = True
        self._ready = asyncio.Event()
        self.dropped = 0

    def reset(self) -> None:
        """Forget what is queued; the next packet given must be a keyframe."""
        self.dropped += len(self._queue)
        self._queue.clear()
        self._need_keyframe = True

    def put(self, item: Media | None) -> None:
        if item is None:
            self._queue.append(END)
        elif isinstance(item, av.VideoFrame):
            while len(self._queue) >= self._limits[1]:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(item)
        elif not self._put_packet(item):
            return
        self._ready.set()

    def _put_packet(self, packet: av.Packet) -> bool:
        keyframe = bool(packet.is_keyframe)
        if len(self._queue) >= self._limits[0]:
            self.reset()
        if self._need_keyframe and not keyframe:
            self.dropped += 1
            return False
        self._need_keyframe = False
        self._queue.append(packet)
        return True

    async def get(self) -> Media | None:
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()


@dataclass(frozen=True)
class Opened:
    """What was learnt when the camera was opened."""

    codec: str
    width: int
    height: int
    decoding: bool


class CameraReader:
    """One session with one camera: opened, read by a thread until it fails or is closed."""

    def __init__(self, url: str, container: Any, stream: VideoStream, decode: bool, queue: DropQueue) -> None:
        self.url = url
        self._container = container
        self._stream = stream
        self.decoding = decode
        self.queue = queue
        self.error: str | None = None
        self.last_packet_at = time.monotonic()  # written by the thread: the camera still sends
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._to_yuv420 = VideoReformatter()  # this thread's own converter (see ``_yuv420``)

    @classmethod
    def open(cls, url: str, timeout_s: float, transcode: bool, queue: DropQueue) -> CameraReader:
        """Connect and probe (blocks ~1.4 s for RTSP: call it from a worker thread)."""
        container = av.open(url, mode="r", **open_args(url, timeout_s))
        try:
            stream = next(s for s in container.streams.video)
        except StopIteration:
            container.close()
            raise ValueError("no video stream") from None
        # Decoding keeps FFmpeg's default threading: frame threads would add a frame of delay each.
        decode = transcode or stream.codec_context.name not in PASSTHROUGH
        return cls(url, container, stream, decode, queue)

    @property
    def opened(self) -> Opened:
        context = self._stream.codec_context
        return Opened(context.name, context.width, context.height, self.decoding)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.Thread(target=self._read, name=f"camera-reader:{id(self):x}", daemon=True)
        self._thread.start()

    def idle_s(self) -> float:
        """Seconds since the camera last sent anything (a decoder may wait a whole GOP for a picture)."""
        return time.monotonic() - self.last_packet_at

    async def recv(self) -> Media:
        """The next packet (or frame); MediaStreamError once the session is over."""
        item = await self.queue.get()
        if item is None:
            raise MediaStreamError
        return item

    def close(self, timeout_s: float) -> None:
        """Stop the thread (a read returns within the open timeout) and close the camera. Blocks."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("%s: reader thread still blocked; leaving it to its read timeout", self.url)
                return  # closing the container under a running read would crash the process
        self._container.close()

    def _read(self) -> None:
        pacer = None if is_live_url(self.url) else Pacer()
        try:
            for packet in self._container.demux(self._stream):  # one generator for the whole session
                if self._stop.is_set():
                    return
                self.last_packet_at = time.monotonic()
                if packet.size == 0 or packet.pts is None:
                    continue  # the flush packets at a file's end, or no timestamp to place it by
                for item in self._items(packet):
                    if pacer is not None:
                        pacer.wait(item, self._stop)
                    self._hand_over(item)
        except (av.FFmpegError, OSError, ValueError) as exc:
            self.error = str(exc)
        finally:
            self._hand_over(None)

    def _items(self, packet: av.Packet) -> list[Media]:
        if not self.decoding:
            return [packet]
        try:
            frames = [f for f in self._stream.codec_context.decode(packet) if isinstance(f, av.VideoFrame)]
        except av.FFmpegError:
            return []  # a damaged packet: the decoder picks up again at the next one
        return [self._yuv420(frame) for frame in frames]

    def _yuv420(self, frame: av.VideoFrame) -> av.VideoFrame:
        """The frame in yuv420p, converted here, once.

        Every viewer's VP8 encoder reads the same frame in a worker thread, and aiortc converts a frame
        that is not yuv420p (H.265 cameras often send 4:2:2, 4:4:4 or full range) with the frame's own
        converter: two encoders converting one frame at once share one SwsContext, which crashed the
        process or wedged both threads for good. Converted once, it is only ever read.
        """
        if frame.format.name == "yuv420p":
            return frame
        return self._to_yuv420.reformat(frame, format="yuv420p")

    def _hand_over(self, item: Media | None) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is listening
                loop.call_soon_threadsafe(self.queue.put, item)


class Pacer:
    """Holds a file's frames back to their presentation time, as a camera would send them."""

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None

    def wait(self, item: Media, stop: threading.Event) -> None:
        if item.pts is None or item.time_base is None:
            return
        media = float(item.pts * item.time_base)
        now = time.monotonic()
        if self._origin is None:
            self._origin = (media, now)
        delay = self._origin[1] + (media - self._origin[0]) - now
        if delay > 0:
            stop.wait(delay)
