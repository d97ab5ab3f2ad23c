"""Demo cameras: ``demo:<name>`` stream URLs served by a loopback RTSP server, so that a demo camera
takes the same RTSP path as a real one.

The pictures are made here (free, nothing downloaded): synthetic clips drawn with OpenCV and encoded
the way a well-set camera sends (H.264 constrained-baseline, 1 s GOP, no B-frames), kept in
``var/``. Without GStreamer's RTSP server the gateway plays the clips' MPEG-TS copies directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import cv2
import numpy as np

from data.core.errors import NotFound

log = logging.getLogger(__name__)

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 25, 12
CLIP_VERSION = 1  # bump when the drawings change, so old clips are made again
SCHEME = "demo:"
RTSP_SERVER = Path(__file__).resolve().parent / "rtsp_server.py"
LIVE_MOUNT = "live:640x360@25"  # demo:clock, a live picture with the wall clock (GStreamer only)

Frame = np.ndarray


# --- pictures ---------------------------------------------------------------------------------


def _loop_x(t: float, speed_laps: int, offset: float, span: int) -> int:
    """x of a thing that crosses ``span`` pixels ``speed_laps`` times per clip: the clip loops seamlessly."""
    return int((offset + speed_laps * span * t) % span) - 120


def _street_background() -> Frame:
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for y in range(120):  # sky
        img[y, :] = (235 - y // 2, 200 - y // 3, 150)
    rng = np.random.default_rng(7)
    x = 0
    while x < WIDTH:  # buildings with lit windows
        w, h = int(rng.integers(60, 120)), int(rng.integers(50, 110))
        color = tuple(int(c) for c in rng.integers(70, 160, 3))
        cv2.rectangle(img, (x, 150 - h), (x + w - 4, 150), color, -1)
        for wy in range(150 - h + 8, 145, 16):
            for wx in range(x + 6, x + w - 12, 14):
                cv2.rectangle(img, (wx, wy), (wx + 6, wy + 8), (120, 220, 250), -1)
        x += w
    cv2.rectangle(img, (0, 150), (WIDTH, 180), (170, 170, 170), -1)  # far sidewalk
    cv2.rectangle(img, (0, 180), (WIDTH, 320), (70, 70, 70), -1)  # road
    cv2.rectangle(img, (0, 320), (WIDTH, HEIGHT), (160, 160, 160), -1)  # near sidewalk
    for lx in range(0, WIDTH, 60):
        cv2.rectangle(img, (lx, 248), (lx + 30, 252), (240, 240, 240), -1)
    return img


def _draw_vehicle(img: Frame, x: int, y: int, length: int, color: tuple[int, int, int], bike: bool) -> None:
    if bike:
        cv2.circle(img, (x, y + 14), 6, (20, 20, 20), -1)
        cv2.circle(img, (x + length, y + 14), 6, (20, 20, 20), -1)
        cv2.rectangle(img, (x, y + 2), (x + length, y + 10), color, -1)
        cv2.circle(img, (x + length // 2, y - 6), 6, (60, 90, 200), -1)  # rider's helmet
        return
    cv2.rectangle(img, (x, y), (x + length, y + 26), color, -1)
    cv2.rectangle(img, (x + 10, y - 14), (x + length - 14, y), color, -1)
    cv2.rectangle(img, (x + 14, y - 11), (x + length - 18, y - 2), (230, 210, 180), -1)
    for wx in (x + 12, x + length - 14):
        cv2.circle(img, (wx, y + 26), 8, (20, 20, 20), -1)


# (lane y, laps per clip, start offset, length, colour, motorbike, direction)
TRAFFIC = [
    (196, 1, 0, 90, (40, 40, 200), False, -1),
    (204, 2, 300, 36, (200, 120, 30), True, -1),
    (262, 1, 120, 100, (30, 160, 30), False, 1),
    (270, 3, 500, 36, (30, 30, 30), True, 1),
    (284, 2, 650, 36, (0, 200, 220), True, 1),
]


def draw_street(index: int) -> Frame:
    """One picture of a street: buildings, traffic both ways, pedestrians, and the clip's clock."""
    t = index / (FPS * SECONDS)
    img = _street_background()
    span = WIDTH + 240
    for lane_y, laps, offset, length, color, bike, direction in TRAFFIC:
        x = _loop_x(t, laps, offset, span)
        _draw_vehicle(img, x if direction > 0 else WIDTH - x, lane_y, length, color, bike)
    for k in range(4):  # pedestrians walking on the near sidewalk
        px = _loop_x(t, 1, k * 210, span)
        bob = int(3 * math.sin(2 * math.pi * (t * 40 + k)))
        cv2.circle(img, (px, 326 + bob), 7, (40, 60, 120), -1)
        cv2.line(img, (px, 333 + bob), (px, 352), (90, 40, 40), 4)
    _stamp(img, "DEMO street", index)
    return img


def draw_pattern(index: int) -> Frame:
    """Colour bars with a moving box and a frame counter: easy to see that the picture moves."""
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    bars = [(192, 192, 192), (0, 192, 192), (192, 192, 0), (0, 192, 0), (192, 0, 192), (0, 0, 192), (192, 0, 0)]
    step = WIDTH // len(bars)
    for i, color in enumerate(bars):
        cv2.rectangle(img, (i * step, 0), ((i + 1) * step, HEIGHT), color, -1)
    t = index / (FPS * SECONDS)
    cx = int(WIDTH / 2 + (WIDTH / 2 - 60) * math.sin(2 * math.pi * t * 2))
    cv2.rectangle(img, (cx - 40, 140), (cx + 40, 220), (255, 255, 255), -1)
    _stamp(img, "DEMO pattern", index)
    return img


def _stamp(img: Frame, label: str, index: int) -> None:
    seconds = index / FPS
    clock = f"{int(seconds // 60):02d}:{seconds % 60:05.2f}"
    cv2.rectangle(img, (0, 0), (WIDTH, 26), (0, 0, 0), -1)
    cv2.putText(img, label, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(img, clock, (WIDTH - 120, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)


CLIPS: dict[str, Callable[[int], Frame]] = {"street": draw_street, "pattern": draw_pattern}


# --- clips ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    raw: Path  # Annex B H.264, for the RTSP server (loops it without re-encoding)
    ts: Path  # the same frames in MPEG-TS, read directly when there is no RTSP server


def clip_paths(directory: Path, name: str) -> Clip:
    stem = directory / f"{name}_v{CLIP_VERSION}_{WIDTH}x{HEIGHT}_{FPS}"
    return Clip(stem.with_suffix(".h264"), stem.with_suffix(".ts"))


def write_clip(
    clip: Clip,
    draw: Callable[[int], Frame],
    frames: int = FPS * SECONDS,
    fps: int = FPS,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    bitrate: int | None = None,
) -> None:
    """Encode ``frames`` pictures once and keep them twice: raw H.264 and MPEG-TS.

    ``bitrate`` (bit/s) caps the stream as a camera's CBR setting does; None lets quality decide.
    """
    clip.raw.parent.mkdir(parents=True, exist_ok=True)
    raw_tmp, ts_tmp = clip.raw.with_suffix(".h264.tmp"), clip.ts.with_suffix(".ts.tmp")
    with raw_tmp.open("wb") as raw, av.open(str(ts_tmp), "w", format="mpegts") as ts:
        stream = ts.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        params = f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0"
        if bitrate is not None:
            kbps = bitrate // 1000
            params += f":bitrate={kbps}:vbv-maxrate={kbps}:vbv-bufsize={kbps}"
        stream.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "profile": "baseline",  # x264's baseline is constrained-baseline: no B-frames
            "x264-params": params,
        }
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(draw(index), format="bgr24")
            frame.pts = index
            _write_packets(stream.encode(frame), raw, ts)
        _write_packets(stream.encode(None), raw, ts)
    raw_tmp.replace(clip.raw)
    ts_tmp.replace(clip.ts)


def _write_packets(packets: list[av.Packet], raw: BinaryIO, ts: av.container.OutputContainer) -> None:
    for packet in packets:
        raw.write(bytes(packet))  # before mux, which takes the packet's data
        ts.mux(packet)


def ensure_clips(directory: Path) -> dict[str, Clip]:
    """Every demo clip, made now if missing (~1 s each)."""
    clips = {}
    for name, draw in CLIPS.items():
        clip = clip_paths(directory, name)
        if not (clip.raw.exists() and clip.ts.exists()):
            log.info("demo: making the %s clip in %s", name, directory)
            write_clip(clip, draw)
        clips[name] = clip
    return clips


def gstreamer_available(python: str) -> bool:
    """True when ``python`` can import GStreamer's RTSP server bindings."""
    probe = "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')"
    try:
        return subprocess.run([python, "-c", probe], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# --- the server -------------------------------------------------------------------------------


class RtspServerProcess:
    """``rtsp_server.py`` run by Debian's Python; restarted on the same port if it dies."""

    def __init__(self, python: str, mounts: dict[str, str], port: int = 0) -> None:
        self._python, self._mounts, self.port = python, mounts, port
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, timeout_s: float = 15.0) -> int:
        args = [str(RTSP_SERVER), "--port", str(self.port)]
        for name, value in self._mounts.items():
            args += ["--mount", f"{name}={value}"]
        self._proc = await asyncio.create_subprocess_exec(self._python, *args, stdout=asyncio.subprocess.PIPE)
        assert self._proc.stdout is not None
        async with asyncio.timeout(timeout_s):
            line = await self._proc.stdout.readline()
        if not line.startswith(b"READY "):
            await self.stop()
            raise RuntimeError(f"the demo RTSP server did not start: {line!r}")
        self.port = int(line.split()[1])  # the next start reuses it: open pulls keep their URLs
        return self.port

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            async with asyncio.timeout(5):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


class DemoCameras:
    """Resolves ``demo:<name>`` URLs; starts the clips and the RTSP server on first use."""

    def __init__(self, directory: Path, python: str, port: int = 0) -> None:
        self._directory, self._python, self._port = directory, python, port
        self._ready: asyncio.Task[dict[str, str]] | None = None
        self._server: RtspServerProcess | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @staticmethod
    def is_demo(url: str) -> bool:
        return url.startswith(SCHEME)

    def start(self) -> None:
        """Make the clips and start the server in the background, so the first viewer does not wait."""
        if self._ready is None:
            self._ready = asyncio.create_task(self._prepare(), name="demo-cameras")

    async def resolve(self, url: str) -> str:
        """The real URL behind ``url`` (unchanged when it is not a demo URL)."""
        if not self.is_demo(url):
            return url
        self.start()
        assert self._ready is not None
        urls = await asyncio.shield(self._ready)
        name = url[len(SCHEME) :]
        if name not in urls:
            raise NotFound(f"Không có camera demo '{name}' (có: {', '.join(sorted(urls))})")
        return urls[name]

    async def _prepare(self) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        clips = await loop.run_in_executor(None, ensure_clips, self._directory)
        if await loop.run_in_executor(None, gstreamer_available, self._python):
            try:
                return await self._start_server(clips)
            except (OSError, RuntimeError, TimeoutError) as exc:
                log.warning("demo: RTSP server failed (%s); playing the clips directly", exc)
        else:
            log.warning("demo: no GStreamer RTSP server for %s; playing the clips directly", self._python)
        urls = {name: str(clip.ts) for name, clip in clips.items()}
        urls["clock"] = urls["pattern"]
        return urls

    async def _start_server(self, clips: dict[str, Clip]) -> dict[str, str]:
        mounts = {name: str(clip.raw) for name, clip in clips.items()} | {"clock": LIVE_MOUNT}
        self._server = RtspServerProcess(self._python, mounts, self._port)
        port = await self._server.start()
        self._watchdog = asyncio.create_task(self._watch(self._server))
        log.info("demo: RTSP server on 127.0.0.1:%d (%s)", port, ", ".join(mounts))
        return {name: f"rtsp://127.0.0.1:{port}/{name}" for name in mounts}

    async def _watch(self, server: RtspServerProcess) -> None:
        while True:
            await asyncio.sleep(5)
            if not server.running:
                log.warning("demo: RTSP server died; restarting it on port %d", server.port)
                with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                    await server.start()

    async def stop(self) -> None:
        for task in (self._watchdog, self._ready):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._server is not None:
            await self._server.stop()
