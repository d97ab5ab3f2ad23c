"""The track viewers subscribe to: it outlives every reconnect of the camera's reader, since aiortc ends a
track (and its sender, for good) when its source fails."""

from __future__ import annotations

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from streams.reader import DropQueue, Media

QUEUE_SIZE = 50  # ~2 s at 25 fps between the reader and the relay; overflow drops to the next keyframe


class LiveTrack(MediaStreamTrack):
    """The track viewers subscribe to (through a MediaRelay): it ends only when its source is closed."""

    kind = "video"

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        super().__init__()
        self._queue = DropQueue(maxsize)
        self._started = False

    def feed(self, item: Media) -> None:
        """Queue one packet or frame; nobody reads yet: drop it (the first one read is a keyframe)."""
        if self._started and self.readyState == "live":
            self._queue.put(item)

    async def recv(self) -> Media:
        if self.readyState != "live":
            raise MediaStreamError
        self._started = True
        item = await self._queue.get()
        if item is None:
            raise MediaStreamError
        return item

    def stop(self) -> None:
        if self.readyState == "live":
            self._queue.reset()
            self._queue.put(None)  # wakes the relay, which then ends every viewer's proxy
        super().stop()
