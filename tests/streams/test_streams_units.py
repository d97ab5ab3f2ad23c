"""The gateway's pure parts: backoff, timelines, states, redaction, SDP and H.264 helpers, the live track."""

from __future__ import annotations

import asyncio
import fractions
import threading
from pathlib import Path

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from data.models import CameraState
from streams.demo import clip_paths, draw_pattern, write_clip
from streams.h264 import nal_types, with_parameter_sets
from streams.health import camera_state
from streams.live_track import LiveTrack
from streams.peers import check_offer, first_codec
from streams.pool import PooledLoop, WorkerPool
from streams.reader import DropQueue, is_live_url, open_args
from streams.source import redact
from streams.timing import CLOCK_RATE, LagMeter, RateMeter, Timeline, backoff_delay

MS = fractions.Fraction(1, 1000)


def test_backoff_follows_go2rtc() -> None:
    delays = [backoff_delay(n) for n in range(25)]
    assert delays == [1.0] * 5 + [5.0] * 5 + [10.0] * 10 + [60.0] * 5


def test_timeline_continues_across_sessions_by_the_wall_clock() -> None:
    timeline = Timeline()
    assert timeline.place(0, MS, now=100.0) == 0
    assert timeline.place(40, MS, now=100.04) == 40 * CLOCK_RATE // 1000
    last = timeline.place(1000, MS, now=101.0)
    timeline.new_session()  # the camera reconnected 5 s later and starts again from 0
    first = timeline.place(0, MS, now=106.0)
    assert first - last == 5 * CLOCK_RATE
    assert timeline.place(40, MS, now=106.04) - first == 40 * CLOCK_RATE // 1000


def test_timeline_never_goes_back_when_a_clock_resets() -> None:
    timeline = Timeline()
    before = timeline.place(90_000, MS, now=10.0)
    after = timeline.place(0, MS, now=10.04)  # a file looped, or a camera reset its clock
    assert after > before


@pytest.mark.parametrize(
    ("age", "connected", "state"),
    [
        (0.5, True, CameraState.ONLINE),
        (0.5, False, CameraState.ONLINE),
        (5.0, True, CameraState.STALE),
        (5.0, False, CameraState.OFFLINE),
        (60.0, True, CameraState.OFFLINE),
        (None, True, CameraState.UNKNOWN),
        (None, False, CameraState.OFFLINE),
    ],
)
def test_camera_state(age: float | None, connected: bool, state: CameraState) -> None:
    assert camera_state(age, connected, stale_after_s=3, offline_after_s=20) == state


def test_redact_hides_credentials_only() -> None:
    assert redact("rtsp://admin:pw@10.0.0.5:554/Streaming/101") == "rtsp://***@10.0.0.5:554/Streaming/101"
    assert redact("rtsp://10.0.0.5/live") == "rtsp://10.0.0.5/live"


def test_open_args_for_rtsp_and_files() -> None:
    rtsp = open_args("rtsp://cam/live", 10)
    assert rtsp["format"] == "rtsp" and rtsp["options"]["rtsp_transport"] == "tcp"
    assert rtsp["options"]["allowed_media_types"] == "video"
    assert open_args("/var/clip.ts", 10) == {"timeout": 10}
    assert is_live_url("rtsp://cam/live") and not is_live_url("/var/clip.ts")


def test_rate_meter() -> None:
    meter = RateMeter(window_s=2.0)
    for i in range(50):
        meter.add(i * 0.04, 1000)
    fps, bps = meter.rates(2.0)
    assert fps == pytest.approx(25, abs=1)
    assert bps == pytest.approx(200_000, rel=0.05)


def test_first_codec_and_offer_checks() -> None:
    sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 99 101\r\na=rtpmap:101 H264/90000\r\na=rtpmap:99 VP8/90000\r\n"
    assert first_codec(sdp) == "VP8"
    with pytest.raises(Exception, match="offer"):
        check_offer(sdp, "answer")
    with pytest.raises(Exception, match="m=video"):
        check_offer("v=0\r\nm=audio 9 RTP 0\r\n", "offer")
    assert check_offer(sdp, "offer").type == "offer"


def test_keyframes_get_their_parameter_sets(tmp_path: Path) -> None:
    """A camera that sends SPS/PPS only in the SDP: its keyframes are given them back."""
    clip = clip_paths(tmp_path, "pattern")
    write_clip(clip, draw_pattern, frames=3)
    stream = clip.raw.read_bytes()
    cut = stream.index(b"\x00\x00\x01\x65")  # the first IDR slice (x264 puts SPS, PPS, SEI before it)
    parameter_sets, idr = stream[:cut], stream[cut:]
    assert 7 in nal_types(parameter_sets) and nal_types(idr[:200]) == {5}
    packet = av.Packet(idr)
    packet.pts, packet.time_base, packet.is_keyframe = 0, fractions.Fraction(1, 90000), True
    fixed = with_parameter_sets(packet, parameter_sets)
    assert {7, 8, 5} <= nal_types(bytes(fixed)) and fixed.is_keyframe
    assert with_parameter_sets(fixed, parameter_sets) is fixed  # already complete: unchanged


def _data(item: object) -> bytes:
    assert isinstance(item, av.Packet)
    return bytes(item)


def _packet(data: bytes, keyframe: bool) -> av.Packet:
    packet = av.Packet(data)
    packet.is_keyframe = keyframe
    return packet


def test_live_track_drops_to_the_next_keyframe_and_ends_on_stop() -> None:
    async def scenario() -> list[bytes]:
        track = LiveTrack(maxsize=3)
        track.feed(_packet(b"unread", keyframe=True))  # nobody reads yet: dropped
        reader = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0)
        track.feed(_packet(b"p-frame", keyframe=False))  # a reader must start on a keyframe
        track.feed(_packet(b"key-1", keyframe=True))
        got = [_data(await reader)]
        for name in (b"p1", b"p2", b"p3", b"p4"):  # p4 overflows: the queue restarts at a keyframe
            track.feed(_packet(name, keyframe=False))
        track.feed(_packet(b"key-2", keyframe=True))
        got.append(_data(await track.recv()))
        track.stop()
        with pytest.raises(MediaStreamError):
            await track.recv()
        return got

    assert asyncio.run(scenario()) == [b"key-1", b"key-2"]


def test_lag_meter_sees_a_reader_fall_behind_the_camera() -> None:
    meter = LagMeter()
    packet = av.Packet(b"x")
    packet.time_base = fractions.Fraction(1, 90000)
    for second, wall in ((0, 100.0), (1, 101.0), (2, 102.1)):
        packet.pts = second * 90000
        lag = meter.behind(packet, wall)
    assert lag == pytest.approx(0.1)
    packet.pts = 3 * 90000
    assert meter.behind(packet, 107.0) == pytest.approx(4.0)  # the camera's 3rd second, read at 7 s


def test_drop_queue_keeps_only_the_newest_decoded_frames() -> None:
    async def scenario() -> list[int]:
        queue = DropQueue(packets=10, frames=2)
        for index in range(6):
            frame = av.VideoFrame(16, 16, "yuv420p")
            frame.pts = index
            queue.put(frame)
        queue.put(None)
        items = [await queue.get(), await queue.get(), await queue.get()]
        return [f.pts if isinstance(f, av.VideoFrame) and f.pts is not None else -1 for f in items]

    assert asyncio.run(scenario()) == [4, 5, -1]


def test_mdns_candidates_are_left_out_of_the_offer() -> None:
    sdp = (
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "a=candidate:1 1 udp 2113937151 eb8852d7-9e64-4931-b377-816d4c8f027e.local 58661 typ host\r\n"
        "a=candidate:2 1 udp 2113937151 192.168.1.20 58662 typ host\r\na=rtpmap:96 H264/90000\r\n"
    )
    kept = check_offer(sdp, "offer").sdp
    assert ".local" not in kept
    assert "192.168.1.20 58662" in kept and "a=rtpmap:96 H264/90000" in kept


def test_worker_pool_runs_jobs_and_hands_errors_back() -> None:
    pool = WorkerPool(2, "test-pool")
    try:
        assert pool.submit(sum, [1, 2, 3]).result(timeout=30) == 6
        with pytest.raises(ZeroDivisionError):
            pool.submit(divmod, 1, 0).result(timeout=30)
    finally:
        pool.shutdown()


def test_worker_pool_stop_cancels_queued_jobs_and_leaves_a_wedged_one_behind() -> None:
    """A job that never returns stands for a wedged encoder: a stop must not wait for it for ever, and
    its thread, a daemon, must not hold up the process's exit either."""
    pool = WorkerPool(1, "test-pool")
    running, release = threading.Event(), threading.Event()

    def wedged() -> str:
        running.set()
        release.wait()
        return "done"

    stuck = pool.submit(wedged)
    assert running.wait(30)
    queued = pool.submit(str, "never run")
    pool.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    assert pool.join(0.2) == ["test-pool_0"]
    assert all(t.daemon for t in threading.enumerate() if t.name == "test-pool_0")
    with pytest.raises(RuntimeError):
        pool.submit(str, "too late")
    release.set()
    assert stuck.result(timeout=30) == "done"
    assert pool.join(30) == []


def test_the_gateway_loop_runs_default_executor_jobs_on_its_pool() -> None:
    loop = PooledLoop(2, "test-loop")
    try:
        name = loop.run_until_complete(loop.run_in_executor(None, lambda: threading.current_thread().name))
        assert name.startswith("test-loop_")
    finally:
        loop.close()
    assert loop.pool.join(30) == []
