"""The patrol: cameras nobody is watching are visited in turn, so their state and thumbnail stay true.

A camera's health is measured from its pull (see ``health``); without viewers there is no pull, and
the overview, the map and the wall would only know what was true when someone last looked. The
patrol holds a short lease on each idle camera (its sub-stream): long enough for the health loop to
see frames (online) or none (offline) and to take a thumbnail. Passthrough pulls cost ~2 % of a core
each, so a few at a time are cheap; the hub closes each pull after its usual grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from streams.hub import CameraRef, Hub

log = logging.getLogger(__name__)

CameraLister = Callable[[], Awaitable[list[CameraRef]]]


def due_for_visit(cameras: list[CameraRef], pulled: set[str], visited: dict[int, float], now: float,
                  every_s: float) -> list[CameraRef]:
    """Idle cameras whose last visit is older than ``every_s``, longest-unvisited first (pure)."""
    idle = [c for c in cameras if c.url not in pulled and now - visited.get(c.id, -1e18) >= every_s]
    return sorted(idle, key=lambda c: visited.get(c.id, -1e18))


class Patrol:
    """Visits idle cameras, ``concurrency`` at a time, each held for ``hold_s`` seconds."""

    def __init__(self, hub: Hub, list_cameras: CameraLister, every_s: float, hold_s: float,
                 concurrency: int) -> None:
        self._hub, self._list = hub, list_cameras
        self._every, self._hold = every_s, hold_s
        self._slots = asyncio.Semaphore(concurrency)
        self._visited: dict[int, float] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.visits = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="camera-patrol")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.round()
            except Exception:  # the database may be down for a moment: try again next round
                log.exception("cameras: patrol round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self._every, 30.0)):
                    await self._stop.wait()

    async def round(self) -> int:
        """Visit every camera that is due; returns how many were visited."""
        pulled = {s.url for s in self._hub.sources()}
        due = due_for_visit(await self._list(), pulled, self._visited, time.monotonic(), self._every)
        await asyncio.gather(*(self._visit(c) for c in due))
        return len(due)

    async def _visit(self, camera: CameraRef) -> None:
        async with self._slots:
            if self._stop.is_set():
                return
            self._visited[camera.id] = time.monotonic()
            async with self._hub.lease(camera) as source:
                await source.wait_opened(self._hold)
                await asyncio.sleep(self._hold)
            self.visits += 1
            log.debug("%s: patrol visit done", camera.code)
