"""A loopback RTSP server (GStreamer) that plays the part of IP cameras for the demo, tests and benches.

Runs with Debian's interpreter, which has ``gi``, not the venv's::

    /usr/bin/python3 streams/rtsp_server.py --port 8554 \\
        --mount cam1=live:640x360@25 --mount street=var/demo/street.h264

A mount value is one of:

* ``live[:WxH@FPS]``: a live test picture with a clock, encoded the way DESIGN.md measured
  (x264 zerolatency, 1 s GOP, constrained-baseline);
* ``clock[:WxH@FPS]``: a live picture whose top 16 rows carry the wall-clock time (Unix ms) as 48
  black or white blocks 12 pixels wide, most significant bit first, for measuring delay to a screen;
* a path to a raw H.264 (Annex B) file: sent as it is (no re-encoding) and looped for ever;
* anything else: a gst-launch description ending in ``rtph264pay name=pay0``.

Each mount is one shared media, so every client of a mount shares one pipeline (one encoder), as a
camera would. Prints ``READY <port>`` on stdout once it listens; stops on SIGTERM/SIGINT.
This file imports only the standard library and ``gi``: it must not import the rest of ``streams``.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time
from typing import Any

import gi  # type: ignore[import-not-found, unused-ignore]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found, unused-ignore]  # noqa: E402

ENCODE = (
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! "
    "video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 config-interval=1"
)
LIVE = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={fps}/1 ! "
    'clockoverlay time-format="%H:%M:%S" ! ' + ENCODE
)
CLOCK = (
    "appsrc name=clocksrc is-live=true format=time do-timestamp=true "
    "caps=video/x-raw,format=I420,width={w},height={h},framerate={fps}/1 ! " + ENCODE
)
# A raw byte stream has no timestamps: h264parse gives each frame a DTS at the stream's frame rate
# (PTS is copied from it by a probe: the clips have no B-frames), and multifilesrc's loop keeps one
# continuous stream, so the timestamps never jump back at the loop (a seek would make them).
FILE = (
    "multifilesrc location={path} loop=true "
    'caps="video/x-h264,stream-format=byte-stream,framerate={fps}/1" ! '
    "h264parse name=parse ! rtph264pay name=pay0 pt=96 config-interval=1"
)
SPEC = re.compile(r"^(live|clock)(?::(\d+)x(\d+)(?:@(\d+))?)?$")
CLOCK_BITS = 48
CLOCK_BIT_WIDTH = 12  # pixels per bit (48 bits fit a 640-pixel row); pure black or white survives x264
CLOCK_BAND = 16  # rows of the band


def pipeline_for(value: str, fps_for_files: int) -> tuple[str, str]:
    """The launch description of a mount value, and its kind: live, clock, file or launch."""
    match = SPEC.match(value)
    if match:
        kind, w, h, fps = match.group(1), match.group(2) or "640", match.group(3) or "360", match.group(4)
        rate = int(fps or 25)
        template = LIVE if kind == "live" else CLOCK
        return template.format(w=w, h=h, fps=rate, gop=rate), kind
    if os.path.isfile(value):
        return FILE.format(path=value, fps=fps_for_files), "file"
    return value, "launch"


class ClockFeeder:
    """Pushes I420 frames stamped with the wall-clock time (ms) into an appsrc at a steady rate."""

    def __init__(self, appsrc: Any, width: int, height: int, fps: int) -> None:
        self.appsrc, self.width, self.height, self.fps = appsrc, width, height, fps
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name="clock-feeder", daemon=True)

    def frame(self, stamp_ms: int) -> bytes:
        w, h = self.width, self.height
        bits = [(stamp_ms >> (CLOCK_BITS - 1 - i)) & 1 for i in range(CLOCK_BITS)]
        row = b"".join((b"\xeb" if bit else b"\x10") * CLOCK_BIT_WIDTH for bit in bits)
        row = row[:w].ljust(w, b"\x80")
        luma = row * CLOCK_BAND + b"\x80" * (w * (h - CLOCK_BAND))
        return luma + b"\x80" * (w * h // 2)

    def run(self) -> None:
        period = 1.0 / self.fps
        next_at = time.monotonic()
        while not self.stop.is_set():
            data = self.frame(int(time.time() * 1000))
            result = self.appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(data))
            if result != Gst.FlowReturn.OK:
                return
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))


def make_factory(value: str, fps_for_files: int) -> Any:
    launch, kind = pipeline_for(value, fps_for_files)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {launch} )")
    factory.set_shared(True)
    if kind == "clock":
        factory.connect("media-configure", _start_clock, value)
    elif kind == "file":
        factory.connect("media-configure", _stamp_pts)
    return factory


def _stamp_pts(_factory: Any, media: Any) -> None:
    pad = media.get_element().get_by_name("parse").get_static_pad("src")
    pad.add_probe(Gst.PadProbeType.BUFFER, _pts_from_dts)


def _pts_from_dts(_pad: Any, info: Any) -> Any:
    buffer = info.get_buffer()
    buffer.pts = buffer.dts
    return Gst.PadProbeReturn.OK


def _start_clock(_factory: Any, media: Any, value: str) -> None:
    match = SPEC.match(value)
    assert match is not None
    width, height = int(match.group(2) or 640), int(match.group(3) or 360)
    feeder = ClockFeeder(media.get_element().get_by_name("clocksrc"), width, height, int(match.group(4) or 25))
    media.connect("unprepared", lambda *_: feeder.stop.set())
    feeder.thread.start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="listen address (loopback by default)")
    parser.add_argument("--port", type=int, default=8554, help="0 picks a free port")
    parser.add_argument("--mount", action="append", default=[], metavar="NAME=VALUE", required=True)
    parser.add_argument("--file-fps", type=int, default=25, help="frame rate of raw H.264 files")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for spec in args.mount:
        name, _, value = spec.partition("=")
        mounts.add_factory(f"/{name}", make_factory(value, args.file_fps))
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
