"""The admin's "test connection": open a stream URL once, take one picture, say its codec, size and rate.

It opens the URL the way the gateway's pulls do (``reader.open_args``: RTSP over TCP, video only)
and gives up within a bound, so a camera that does not answer is a clear message within seconds,
never a hung page. Blocking: call it from a worker thread. The URL (and its password) never appears
in what it answers, not even inside FFmpeg's error texts.
"""

from __future__ import annotations

import errno
import time
from dataclasses import dataclass

import av

from streams.reader import PASSTHROUGH, open_args
from streams.snapshot import encode_jpeg

MEASURE_S = 1.0  # how long the frame rate is measured over, once the first picture is in
MIN_PACKETS = 4


class ProbeFailed(Exception):
    """The stream could not be opened or gave no picture: ``message`` says why, for a person (no URL)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Probe:
    """What one look at a stream found."""

    codec: str
    width: int
    height: int
    fps: float | None
    jpeg: bytes
    passthrough: bool  # False: the gateway would have to transcode it for browsers

    def as_json(self) -> dict[str, object]:
        return {"codec": self.codec, "width": self.width, "height": self.height, "fps": self.fps,
                "passthrough": self.passthrough}


def _failure(exc: BaseException, url: str, timeout_s: float, timed_out: bool) -> ProbeFailed:
    """A person's reason for an FFmpeg (or socket) error, with the URL taken out of FFmpeg's text.

    ``timed_out``: the error came at the end of the bound (FFmpeg words a silent RTSP server as
    "invalid data", an HTTP one as a timeout).
    """
    code = getattr(exc, "errno", None)
    text = str(exc).replace(url, "<camera>")
    if code == errno.ECONNREFUSED or isinstance(exc, ConnectionRefusedError):
        return ProbeFailed("Camera không trả lời: kết nối bị từ chối (sai địa chỉ IP hoặc cổng, hoặc camera tắt).",
                           "refused")
    if timed_out or code in (errno.ETIMEDOUT, errno.EAGAIN) or isinstance(exc, TimeoutError | av.ExitError):
        return ProbeFailed(f"Camera không trả lời sau {timeout_s:.0f} giây (sai địa chỉ, camera tắt hoặc mạng chặn).",
                           "timeout")
    if "401" in text or "Unauthorized" in text:
        return ProbeFailed("Camera từ chối tên đăng nhập hoặc mật khẩu (401).", "unauthorized")
    if "404" in text or "Not Found" in text:
        return ProbeFailed("Camera trả lời nhưng không có luồng ở đường dẫn này (404): kiểm tra phần sau địa chỉ.",
                           "not_found")
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EIO):  # EIO: FFmpeg's word for a name not found
        return ProbeFailed("Không tới được máy camera (tên máy hoặc IP sai, hoặc không có đường mạng tới đó).",
                           "unreachable")
    reason = text.split(": '<camera>'")[0][:200]
    return ProbeFailed(f"Không mở được luồng của camera: {reason}.", "error")


def probe(url: str, timeout_s: float, jpeg_quality: int = 80) -> Probe:
    """Open ``url``, decode its first picture and measure its frame rate over ~1 s; ProbeFailed says why not."""
    started = time.monotonic()
    deadline = started + timeout_s
    try:
        container = av.open(url, mode="r", **open_args(url, timeout_s))
    except (av.FFmpegError, OSError) as exc:
        raise _failure(exc, url, timeout_s, time.monotonic() - started >= 0.9 * timeout_s) from None
    try:
        stream = next(iter(container.streams.video), None)
        if stream is None:
            raise ProbeFailed("Luồng này không có hình (không có kênh video).", "no_video")
        frame, times = _first_picture(container, stream, deadline)
        if frame is None:
            raise ProbeFailed(f"Camera đã kết nối nhưng không gửi hình nào trong {timeout_s:.0f} giây.", "no_picture")
        codec = stream.codec_context.name
        fps = _rate(times, stream.average_rate)
        return Probe(codec, frame.width, frame.height, fps, encode_jpeg(frame, jpeg_quality), codec in PASSTHROUGH)
    except (av.FFmpegError, OSError) as exc:
        raise _failure(exc, url, timeout_s, time.monotonic() - started >= 0.9 * timeout_s) from None
    finally:
        container.close()


def _first_picture(container: av.container.InputContainer, stream: av.VideoStream,
                   deadline: float) -> tuple[av.VideoFrame | None, list[float]]:
    """The first decoded picture, and the times of the packets read until ``MEASURE_S`` after it."""
    frame: av.VideoFrame | None = None
    times: list[float] = []
    measured_until: float | None = None
    for packet in container.demux(stream):
        now = time.monotonic()
        if now > deadline or (measured_until is not None and now > measured_until and len(times) >= MIN_PACKETS):
            break
        if packet.pts is None or packet.time_base is None or packet.size == 0:
            continue
        times.append(float(packet.pts * packet.time_base))
        if frame is None:
            try:
                frame = next((f for f in stream.codec_context.decode(packet) if isinstance(f, av.VideoFrame)), None)
            except av.FFmpegError:
                continue  # a packet before the first keyframe: wait for one
            if frame is not None:
                measured_until = now + MEASURE_S
    return frame, times


def _rate(times: list[float], declared: object) -> float | None:
    """Frames per second from the packets' own times (what the camera really sends), else what it declares."""
    ordered = sorted(set(times))
    if len(ordered) >= MIN_PACKETS and ordered[-1] > ordered[0]:
        return round((len(ordered) - 1) / (ordered[-1] - ordered[0]), 1)
    try:
        return round(float(declared), 1) if declared else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
