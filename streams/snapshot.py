"""JPEG snapshots and MJPEG: pictures decoded only when someone asks for them.

Passthrough never decodes, so a snapshot decodes the access units since the latest keyframe (at most
one GOP, ~1 s), and an MJPEG client decodes the stream for as long as it watches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import av
import cv2
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame
from av.video.codeccontext import VideoCodecContext
from av.video.reformatter import VideoReformatter

from streams.source import CameraSource

MULTIPART_BOUNDARY = "ioc-frame"


def video_decoder(codec: str) -> VideoCodecContext:
    context = av.CodecContext.create(codec, "r")
    if not isinstance(context, VideoCodecContext):
        raise ValueError(f"{codec} is not a video codec")
    return context


def decode_gop(gop: list[bytes], codec: str) -> av.VideoFrame | None:
    """The last picture of a GOP (keyframe first), decoded from scratch."""
    if not gop:
        return None
    context = video_decoder(codec)
    last: av.VideoFrame | None = None
    for data in [*gop, None]:  # None flushes the decoder's delayed frame
        packet = av.Packet(data) if data is not None else None
        try:
            for frame in context.decode(packet):
                last = frame
        except av.FFmpegError:
            continue  # a damaged access unit: keep the last good picture
    return last


def encode_jpeg(frame: av.VideoFrame, quality: int, width: int | None = None) -> bytes:
    """JPEG bytes of a picture, scaled down to ``width`` (keeping its aspect) when it is wider.

    A transcoded camera's frame is shared with every viewer's encoder, each in its own thread: it is
    converted with a converter of this call's own, never the frame's (see ``CameraReader._yuv420``).
    """
    size = (frame.width, frame.height)
    if width is not None and frame.width > width:
        size = (width, max(2, round(frame.height * width / frame.width)))
    image = VideoReformatter().reformat(frame, width=size[0], height=size[1], format="bgr24").to_ndarray()
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buffer.tobytes())


@dataclass(frozen=True)
class PictureInput:
    """What a picture is decoded from, copied on the event loop (the source mutates it there)."""

    codec: str
    gop: list[bytes]
    frame: av.VideoFrame | None

    def decode(self, keyframe_only: bool = False) -> av.VideoFrame | None:
        if self.frame is not None:
            return self.frame
        return decode_gop(self.gop[:1] if keyframe_only else self.gop, self.codec)


def picture_input(source: CameraSource) -> PictureInput | None:
    """The source's newest picture material: its decoded frame when transcoding, else its GOP."""
    if source.transcoding:
        frame = source.last_frame
        return PictureInput("decoded", [], frame) if frame is not None else None
    gop = source.gop()
    return PictureInput(source.stats.codec or "h264", gop, None) if gop else None


async def snapshot_jpeg(source: CameraSource, quality: int, timeout_s: float, width: int | None = None) -> bytes | None:
    """A JPEG of the source's newest picture, waiting up to ``timeout_s`` for a first keyframe."""
    deadline = time.monotonic() + timeout_s
    material = picture_input(source)
    while material is None:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.1)
        material = picture_input(source)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _jpeg_of, material, quality, width)


def _jpeg_of(material: PictureInput, quality: int, width: int | None) -> bytes | None:
    frame = material.decode()
    return encode_jpeg(frame, quality, width) if frame is not None else None


class MjpegDecoder:
    """Turns a viewer's packets (or frames) into JPEGs at most ``fps`` times a second."""

    def __init__(self, fps: float, quality: int, codec: str = "h264") -> None:
        self._codec = codec
        self._period = 1.0 / fps
        self._quality = quality
        self._context: VideoCodecContext | None = None
        self._next_at = 0.0

    def push(self, item: Frame | av.Packet) -> bytes | None:
        """Decode one item (every packet must be decoded); a JPEG when one is due."""
        if isinstance(item, av.Packet):
            frames = self._decode(item)
        else:
            frames = [item] if isinstance(item, av.VideoFrame) else []
        now = time.monotonic()
        if not frames or now < self._next_at:
            return None
        self._next_at = now + self._period
        return encode_jpeg(frames[-1], self._quality)

    def _decode(self, packet: av.Packet) -> list[av.VideoFrame]:
        if self._context is None:
            if not packet.is_keyframe:
                return []  # nothing decodes before the first keyframe
            self._context = video_decoder(self._codec)
        try:
            return [f for f in self._context.decode(av.Packet(bytes(packet))) if isinstance(f, av.VideoFrame)]
        except av.FFmpegError:
            return []


async def mjpeg_jpegs(
    track: MediaStreamTrack, fps: float, quality: int, codec: str, idle_s: float
) -> AsyncIterator[bytes | None]:
    """JPEGs of a viewer track until it ends, decoded in a worker thread one item at a time.

    Yields None after ``idle_s`` without a picture, so the caller can see whether its client left.
    """
    decoder = MjpegDecoder(fps, quality, codec)
    loop = asyncio.get_running_loop()
    while True:
        try:
            async with asyncio.timeout(idle_s):
                item = await track.recv()
        except TimeoutError:
            yield None
            continue
        except MediaStreamError:
            return
        jpeg = await loop.run_in_executor(None, decoder.push, item)
        if jpeg is not None:
            yield jpeg


def multipart_part(jpeg: bytes) -> bytes:
    """One part of a ``multipart/x-mixed-replace`` MJPEG stream."""
    head = f"--{MULTIPART_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode() + jpeg + b"\r\n"
