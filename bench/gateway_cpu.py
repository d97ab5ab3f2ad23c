"""Stream gateway CPU and memory: H.264 passthrough against the transcoding baseline, in one run.

    .venv/bin/python bench/gateway_cpu.py [--seconds 20] [--soak-seconds 600] [--soak-only]

What is measured: the CPU time (user + system, all threads) of the gateway process alone,
``python -m streams`` started fresh for each row, as % of one core, read with psutil over a window
after a warm-up. Nothing else counts:

* cameras: the GStreamer RTSP server (``streams/rtsp_server.py``) sends one pre-encoded 720p25 clip
  (H.264 constrained-baseline, 1 s GOP, ~2 Mbit/s with sensor-like noise) on 16 mounts, without
  re-encoding it; its cost is its own process's;
* receivers: aiortc peers in this bench process (not headless Chromium: 16 software H.264 decoders
  would starve the 2 cores the gateway runs on). They negotiate, receive SRTP, depacketize and count
  every frame, but skip decoding (the receiver's decoder thread is replaced by a counter). They
  report the frame rate each viewer really got, so a gateway that falls behind shows.

Unless ``--no-pin``, the gateway runs on CPU 0 and everything else (cameras, receivers) on CPU 1, so
that the figures are the gateway's own and not the noise of three busy processes sharing two cores
(unpinned, the same 16-camera row spreads over about ±8 points from run to run).

Transcoding is the gateway's ``IOC_STREAMS_TRANSCODE_ALL=true``: every camera decoded and re-encoded
to VP8 for every viewer (aiortc's default ``decode=True`` path), as a non-H.264 camera would be.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import aiortc.rtcrtpreceiver
import cv2
import numpy as np
import psutil
import requests
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.core.settings import load_settings  # noqa: E402
from data.models import Camera, Role, User  # noqa: E402
from data.runtime import build_runtime  # noqa: E402
from streams.demo import clip_paths, draw_street, write_clip  # noqa: E402

TOKEN = "bench-internal-token-0123456789"
WIDTH, HEIGHT, FPS = 1280, 720, 25
CAMERAS = 16
GST_PYTHON = os.environ.get("IOC_STREAMS_GST_PYTHON", "/usr/bin/python3")


def counting_worker(loop: asyncio.AbstractEventLoop, input_q: Any, output_q: Any, _decode_error: Any) -> None:
    """Stands in for aiortc's decoder thread: passes each depacketized frame on, undecoded."""
    while True:
        task = input_q.get()
        asyncio.run_coroutine_threadsafe(output_q.put(None if task is None else task[1]), loop)
        if task is None:
            return


aiortc.rtcrtpreceiver.decoder_worker = counting_worker  # type: ignore[assignment]


def draw_720p(index: int) -> np.ndarray:
    """The demo street, at 720p, with sensor-like noise so the encoder spends a camera's bit rate."""
    picture = cv2.resize(draw_street(index), (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    noise = np.random.default_rng(index).normal(0, 5, picture.shape)
    return np.clip(picture + noise, 0, 255).astype(np.uint8)


def make_clip(directory: Path) -> Path:
    clip = clip_paths(directory, "bench720")
    clip = type(clip)(clip.raw.with_name("bench_720p25_2mbps.h264"), clip.ts.with_name("bench_720p25_2mbps.ts"))
    if not clip.raw.exists():
        print("making the 720p25 clip (once)...", flush=True)
        write_clip(clip, draw_720p, frames=FPS * 10, fps=FPS, size=(WIDTH, HEIGHT), bitrate=2_000_000)
    return clip.raw


@contextmanager
def rtsp_server(mounts: dict[str, str], cpus: set[int] | None) -> Iterator[int]:
    """``streams/rtsp_server.py`` with ``mounts``; yields its port."""
    args = [GST_PYTHON, str(ROOT / "streams" / "rtsp_server.py"), "--port", "0"]
    for name, value in mounts.items():
        args += ["--mount", f"{name}={value}"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, preexec_fn=pin(cpus))
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    line = proc.stdout.readline() if ready else b""
    if not line.startswith(b"READY"):
        proc.kill()
        raise SystemExit(f"RTSP server did not start: {line!r}")
    try:
        yield int(line.split()[1])
    finally:
        proc.terminate()
        proc.wait(10)


def make_database(directory: Path, rtsp_port: int) -> str:
    url = f"sqlite:///{directory / 'bench.sqlite3'}"
    runtime = build_runtime(load_settings(database_url=url, redis_url=None, demo=False))
    with runtime.session() as db:
        db.add(User(id=1, username="bench", password_hash="x", role=Role.OPERATOR))
        for i in range(1, CAMERAS + 1):
            db.add(Camera(id=i, code=f"B{i:02d}", name=f"Bench {i}", stream_url=f"rtsp://127.0.0.1:{rtsp_port}/c{i}"))
    runtime.close()
    return url


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpus: set[int] | None) -> Callable[[], None] | None:
    """A preexec_fn that keeps a child process on ``cpus`` (None: no pinning)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@contextmanager
def gateway(
    database_url: str, transcode: bool, log: Path, cpus: set[int] | None
) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    env = {
        **os.environ,
        "IOC_DATABASE_URL": database_url,
        "IOC_REDIS_URL": "",
        "IOC_DEMO": "false",
        "IOC_STREAMS_PORT": str(port),
        "IOC_STREAMS_INTERNAL_TOKEN": TOKEN,
        "IOC_STREAMS_TRANSCODE_ALL": "true" if transcode else "false",
        "IOC_STREAMS_ANSWER_WAIT_S": "10",
        "IOC_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams"], cwd=ROOT, env=env, stdout=out, stderr=out, preexec_fn=pin(cpus)
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit(f"the gateway did not start; see {log}")
        time.sleep(0.2)
    try:
        yield base, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


class Receiver:
    """One viewer: an aiortc peer that counts the frames it receives."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.frames = 0
        self.task: asyncio.Task[None] | None = None
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.task = asyncio.ensure_future(self._count(track))

    async def _count(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames += 1

    async def connect(self, http: aiohttp.ClientSession, base: str, camera_id: int) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"sdp": self.pc.localDescription.sdp, "type": "offer", "quality": "main"}
        url = f"{base}/internal/cameras/{camera_id}/offer"
        # The gateway serves a camera only to a named user who may watch it: the bench's operator (id 1).
        async with http.post(url, json=offer, headers={"X-IOC-Token": TOKEN, "X-IOC-User": "1"}) as response:
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"offer refused: {answer}")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.pc.close()


@dataclass
class Row:
    mode: str
    cameras: int
    viewers: int
    cpu_pct: float
    fps_mean: float
    fps_min: float
    rss_mb: float
    bench_cpu_pct: float


async def measure(base: str, proc: psutil.Process, mode: str, cameras: int, per_camera: int, seconds: float) -> Row:
    receivers = [Receiver() for _ in range(cameras * per_camera)]
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(r.connect(http, base, 1 + i // per_camera) for i, r in enumerate(receivers)))
    await asyncio.sleep(6)  # warm-up: every camera open, every viewer past its first keyframe
    me = psutil.Process()
    cpu0, own0 = sum(proc.cpu_times()[:2]), sum(me.cpu_times()[:2])
    frames0, t0 = [r.frames for r in receivers], time.monotonic()
    await asyncio.sleep(seconds)
    wall = time.monotonic() - t0
    cpu = (sum(proc.cpu_times()[:2]) - cpu0) / wall * 100
    own = (sum(me.cpu_times()[:2]) - own0) / wall * 100
    fps = [(r.frames - f0) / wall for r, f0 in zip(receivers, frames0, strict=True)]
    rss = proc.memory_info().rss / 2**20
    await asyncio.gather(*(r.close() for r in receivers))
    return Row(mode, cameras, cameras * per_camera, cpu, statistics.mean(fps), min(fps), rss, own)


async def soak(base: str, proc: psutil.Process, seconds: float) -> None:
    receivers = [Receiver() for _ in range(CAMERAS)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*(r.connect(http, base, i + 1) for i, r in enumerate(receivers)))
    await asyncio.sleep(10)
    start_rss, cpu0, t0 = proc.memory_info().rss, sum(proc.cpu_times()[:2]), time.monotonic()
    peak = start_rss
    frames0 = sum(r.frames for r in receivers)
    samples: list[tuple[float, int]] = [(0.0, start_rss)]
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(min(10.0, max(0.1, seconds - (time.monotonic() - t0))))
        rss = proc.memory_info().rss
        samples.append((time.monotonic() - t0, rss))
        peak = max(peak, rss)
    wall = time.monotonic() - t0
    end_rss = proc.memory_info().rss
    cpu = (sum(proc.cpu_times()[:2]) - cpu0) / wall * 100
    fps = (sum(r.frames for r in receivers) - frames0) / wall / CAMERAS
    await asyncio.gather(*(r.close() for r in receivers))
    print(
        f"\nsoak: 16 x 720p25 passthrough for {wall:.0f} s: gateway RSS start {start_rss / 2**20:.1f} MB, "
        f"end {end_rss / 2**20:.1f} MB (peak {peak / 2**20:.1f} MB, growth {(end_rss - start_rss) / 2**20:+.1f} MB); "
        f"CPU {cpu:.1f} % of one core; {fps:.1f} fps per viewer"
    )
    # A leak grows steadily; warm-up (allocator pools, caches) flattens out. Compare the halves' slopes.
    half = len(samples) // 2
    for name, part in (("first half", samples[: half + 1]), ("second half", samples[half:])):
        if len(part) >= 2:
            slope = statistics.linear_regression([t for t, _ in part], [r / 2**20 for _, r in part]).slope
            print(f"  RSS trend, {name}: {slope * 60:+.2f} MB/min")
    print("  RSS every minute (MB): " + " ".join(f"{r / 2**20:.0f}" for t, r in samples if round(t) % 60 < 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="measuring window of each row")
    parser.add_argument("--soak-seconds", type=float, default=600, help="passthrough soak (memory); 0 skips it")
    parser.add_argument("--counts", default="1,4,16", help="numbers of cameras (one viewer each)")
    parser.add_argument("--no-pin", action="store_true", help="let the scheduler place every process")
    parser.add_argument("--soak-only", action="store_true", help="skip the CPU table, run only the soak")
    args = parser.parse_args()
    gateway_cpus, other_cpus = (None, None) if args.no_pin or len(os.sched_getaffinity(0)) < 2 else ({0}, {1})
    if other_cpus is not None:
        os.sched_setaffinity(0, other_cpus)  # the receivers run in this process
    print(f"gateway on CPUs {gateway_cpus or 'any'}, cameras and receivers on CPUs {other_cpus or 'any'}")
    counts = [int(n) for n in args.counts.split(",")]
    plan = [("passthrough", n, 1) for n in counts] + [("passthrough", 1, 16)] + [("transcode", n, 1) for n in counts]
    if args.soak_only:
        plan = []
    clip = make_clip(ROOT / "var" / "bench")
    with (
        tempfile.TemporaryDirectory() as tmp,
        rtsp_server({f"c{i}": str(clip) for i in range(1, CAMERAS + 1)}, other_cpus) as rtsp_port,
    ):
        database_url = make_database(Path(tmp), rtsp_port)
        log = Path(tmp) / "gateway.log"
        print(
            f"{'mode':12} {'cameras':>7} {'viewers':>7} {'gateway CPU %':>14} {'fps/viewer':>11} {'min fps':>8} "
            f"{'RSS MB':>7} {'receivers CPU %':>16}"
        )
        for mode, cameras, per_camera in plan:
            with gateway(database_url, mode == "transcode", log, gateway_cpus) as (base, proc):
                row = asyncio.run(measure(base, proc, mode, cameras, per_camera, args.seconds))
            print(
                f"{mode:12} {row.cameras:7d} {row.viewers:7d} {row.cpu_pct:14.1f} {row.fps_mean:11.1f} "
                f"{row.fps_min:8.1f} {row.rss_mb:7.1f} {row.bench_cpu_pct:16.1f}",
                flush=True,
            )
        if args.soak_seconds > 0:
            with gateway(database_url, False, log, gateway_cpus) as (base, proc):
                asyncio.run(soak(base, proc, args.soak_seconds))


if __name__ == "__main__":
    main()
