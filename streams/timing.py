"""Time on the wire: one 90 kHz clock across reconnects, how far a session lags behind the camera, rates
over a sliding window, and how long to wait before reconnecting."""

from __future__ import annotations

import collections
import fractions

import av

CLOCK_RATE = 90_000  # RTP video clock: every timestamp we emit is in 1/90000 s
TIME_BASE = fractions.Fraction(1, CLOCK_RATE)
RATE_WINDOW_S = 5.0


def backoff_delay(attempt: int) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0-based): go2rtc's 1 s ×5, 5 s ×5, 10 s ×10, 60 s."""
    if attempt < 5:
        return 1.0
    if attempt < 10:
        return 5.0
    if attempt < 20:
        return 10.0
    return 60.0


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
