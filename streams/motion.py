"""Motion detection: background subtraction (OpenCV MOG2) on small grey pictures, turned into events.

Pure: pictures (numpy arrays) and the time they were taken go in, a ``MotionEvent`` comes out when
an activity starts. One activity gives one event: while the scene keeps moving no new event is
raised, and the detector re-arms only after the scene has been still for ``cooldown_s``. A scene that
never stops moving (a busy road) therefore raises one event and then none until it calms down:
motion detection is meant for places that should be still (a closed park, a dyke at night).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Picture = np.ndarray


@dataclass(frozen=True)
class MotionConfig:
    """The knobs of the detector, each with the reason it exists."""

    # Analysing 320 pixels wide instead of 1280 costs 1/16 of the work, and averaging pixels
    # together smooths away sensor noise and compression blocks that would look like motion.
    width: int = 320
    # A Gaussian blur (odd kernel size, 0 = none) for the same reason: x264's small ringing and the
    # grain of a night picture move from frame to frame; people and vehicles are much larger.
    blur: int = 5
    # MOG2 knows nothing at first and calls everything foreground: the first samples only teach it
    # the background and never count as activity.
    warm_up_frames: int = 10
    # How many samples MOG2 remembers: at 2 samples/s, ~50 s. Slow changes (the sun moving, clouds,
    # a car that parks) melt into the background within that time instead of alarming for ever.
    history: int = 100
    # MOG2's squared distance for a pixel to be foreground: 25 (5 sigma) stays above the noise that
    # re-encoding leaves on a still picture; OpenCV's default 16 reacts to it.
    var_threshold: float = 25.0
    # Smallest share of the picture that must change: leaves, rain, a blinking LED or a camera's own
    # clock overlay (measured: ≤ 0.02 % once blurred and opened) are not activity. A person walking
    # 7 m from a 90° camera covers ~0.8 % of the picture, at 15 m ~0.2 %: 0.5 % means "near".
    min_area: float = 0.005
    # Largest share: when nearly the whole picture changes at once it is the light (auto exposure,
    # a lamp switched on, IR mode) or the camera itself that moved, not something in the scene.
    max_area: float = 0.9
    # Consecutive active samples before an event: one odd picture (a flash, a decoding glitch just
    # after a reconnect, an exposure step) is not an activity.
    min_active_frames: int = 2
    # Seconds the scene must be still before the next activity raises a new event: one person walking
    # about for a minute is one event, not a hundred.
    cooldown_s: float = 60.0


@dataclass(frozen=True)
class MotionEvent:
    """An activity that has just started."""

    at: float  # the time given with the picture that started it (the caller's clock)
    area: float  # share of the picture that changed, 0..1
    box: tuple[float, float, float, float]  # where it changed: x, y, width, height as shares of the picture


class MotionDetector:
    """Background subtraction over a camera's pictures; ``push`` each sample, in time order."""

    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.reset()

    def reset(self) -> None:
        """Forget the background (a new camera, a new picture size): warm up again."""
        self._subtractor = cv2.createBackgroundSubtractorMOG2(
            history=self.config.history, varThreshold=self.config.var_threshold, detectShadows=False
        )
        self._shape: tuple[int, ...] | None = None
        self._seen = 0
        self._streak = 0
        self._last_active_at: float | None = None
        self._in_event = False
        self.last_area = 0.0

    @property
    def warmed_up(self) -> bool:
        return self._seen > self.config.warm_up_frames

    @property
    def in_event(self) -> bool:
        """True from an event until the scene has been still for ``cooldown_s``."""
        return self._in_event

    def push(self, picture: Picture, now: float) -> MotionEvent | None:
        """Learn from one picture taken at ``now``; an event when an activity starts with it."""
        small = self.prepare(picture)
        if small.shape != self._shape:
            self.reset()
            self._shape = small.shape
        mask = self._subtractor.apply(small)
        self._seen += 1
        if not self.warmed_up:
            return None
        # Opening removes isolated foreground pixels (noise) before anything is counted.
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        self.last_area = float(np.count_nonzero(mask)) / mask.size
        active = self.config.min_area <= self.last_area <= self.config.max_area
        return self._step(active, now, mask)

    def prepare(self, picture: Picture) -> Picture:
        """The picture as the subtractor sees it: grey, ``width`` pixels wide, blurred."""
        grey = picture if picture.ndim == 2 else cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
        height, width = grey.shape
        if width > self.config.width:
            size = (self.config.width, max(2, round(height * self.config.width / width)))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if self.config.blur > 1:
            grey = cv2.GaussianBlur(grey, (self.config.blur, self.config.blur), 0)
        return grey

    def _step(self, active: bool, now: float, mask: Picture) -> MotionEvent | None:
        if active:
            self._streak += 1
            self._last_active_at = now
        else:
            self._streak = 0
        if self._in_event:
            quiet_since = self._last_active_at if self._last_active_at is not None else now
            if not active and now - quiet_since >= self.config.cooldown_s:
                self._in_event = False
            return None
        if self._streak < self.config.min_active_frames:
            return None
        self._in_event = True
        return MotionEvent(at=now, area=self.last_area, box=_box(mask))


def _box(mask: Picture) -> tuple[float, float, float, float]:
    x, y, w, h = cv2.boundingRect(mask)
    rows, cols = mask.shape
    return x / cols, y / rows, w / cols, h / rows
