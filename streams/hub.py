"""The hub owns the camera pulls: one per camera URL, opened by the first viewer, closed after the last.

Viewers are counted here because MediaRelay never stops its source: without the count a camera
nobody watches would be pulled for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from streams.pool import WorkerPool
from streams.source import CameraSource, SourceConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CameraRef:
    """A camera as the gateway needs it: its URL is resolved (demo names mapped) and never leaves here."""

    id: int
    code: str
    url: str


class Hub:
    """Opens, shares and closes camera sources. Lives on one event loop."""

    def __init__(self, grace_s: float, config: SourceConfig, open_workers: int = 4) -> None:
        self.grace_s = grace_s
        self._config = config
        # Opening a camera blocks a thread ~1.4 s (and closing may wait for a read timeout):
        # a pool of their own keeps them from starving the loop's default executor.
        self._executor = WorkerPool(open_workers, "camera-open")
        self._sources: dict[str, CameraSource] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.opened_total = 0  # pulls started since start-up (tests and benches read it)

    def sources(self) -> list[CameraSource]:
        return list(self._sources.values())

    def source_for(self, url: str) -> CameraSource | None:
        return self._sources.get(url)

    def acquire(self, camera: CameraRef, viewer: bool = True) -> CameraSource:
        """Count one more user of ``camera``, opening its pull if it is the first.

        ``viewer=False`` is a hold (the motion watcher): it keeps the pull open like a viewer does,
        but the camera's health does not report it as someone watching.
        """
        timer = self._timers.pop(camera.url, None)
        if timer is not None:
            timer.cancel()
        source = self._sources.get(camera.url)
        if source is None:
            source = CameraSource(camera.code, camera.url, self._executor, self._config)
            self._sources[camera.url] = source
            self.opened_total += 1
            source.start()
            log.info("%s: first viewer, pulling the camera", camera.code)
        if viewer:
            source.viewers[camera.id] += 1
        else:
            source.holds += 1
        source.names[camera.id] = camera.code
        return source

    def release(self, camera: CameraRef, source: CameraSource, viewer: bool = True) -> None:
        """One user less; the pull is closed ``grace_s`` after the last one left."""
        if viewer:
            source.viewers[camera.id] -= 1
            if source.viewers[camera.id] <= 0:
                del source.viewers[camera.id]
        else:
            source.holds -= 1
        if not source.in_use and self._sources.get(camera.url) is source:
            loop = asyncio.get_running_loop()
            self._timers[camera.url] = loop.call_later(self.grace_s, self._close_idle, camera.url)

    @contextlib.asynccontextmanager
    async def lease(self, camera: CameraRef, viewer: bool = True) -> AsyncIterator[CameraSource]:
        """A source held for the length of a block (a snapshot, an MJPEG stream, a motion watch)."""
        source = self.acquire(camera, viewer)
        try:
            yield source
        finally:
            self.release(camera, source, viewer)

    def _close_idle(self, url: str) -> None:
        self._timers.pop(url, None)
        source = self._sources.get(url)
        if source is None or source.in_use:
            return
        del self._sources[url]
        log.info("%s: no viewer for %.0f s, closing the pull", source.code, self.grace_s)
        task = asyncio.create_task(source.stop())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def stop(self) -> None:
        """Close every pull now (shutdown): stopped tracks let the relays and senders end cleanly."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        sources, self._sources = list(self._sources.values()), {}
        try:
            await asyncio.gather(*(s.stop() for s in sources), *self._closing, return_exceptions=True)
        finally:  # even when the gateway's stop gives up waiting: no camera opens after this
            self._executor.shutdown(wait=False, cancel_futures=True)
