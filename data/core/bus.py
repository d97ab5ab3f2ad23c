"""The event bus: Redis pub/sub in production, an in-process fan-out in embedded mode.

Both carry small JSON messages on named topics (``reports``, ``alerts``, ``cameras``);
subscribers get a bounded queue and lose the oldest messages rather than block a publisher.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import redis

log = logging.getLogger(__name__)
QUEUE_SIZE = 1000


class Subscription(Protocol):
    def get(self, timeout: float) -> dict[str, Any] | None: ...

    def close(self) -> None: ...


class EventBus(Protocol):
    def publish(self, topic: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> Subscription: ...


class _LocalSubscription:
    def __init__(self, bus: LocalBus, topics: tuple[str, ...]) -> None:
        self.topics = topics
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(QUEUE_SIZE)
        self._bus = bus

    def put(self, message: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:  # a slow reader loses its oldest message, the publisher never waits
            self.queue.get_nowait()
            self.queue.put_nowait(message)

    def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)


class LocalBus:
    """In-process pub/sub for the embedded mode (one process runs web, streams and jobs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[_LocalSubscription] = []

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        payload = {"topic": topic, **message}
        with self._lock:
            targets = [s for s in self._subs if topic in s.topics]
        for sub in targets:
            sub.put(payload)

    def subscribe(self, *topics: str) -> _LocalSubscription:
        sub = _LocalSubscription(self, topics)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: _LocalSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)


class _RedisSubscription:
    def __init__(self, client: redis.Redis, prefix: str, topics: tuple[str, ...]) -> None:
        self._prefix = prefix
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(*(f"{prefix}:bus:{t}" for t in topics))

    def get(self, timeout: float) -> dict[str, Any] | None:
        raw = self._pubsub.get_message(timeout=timeout)
        if raw is None:
            return None
        message: dict[str, Any] = json.loads(raw["data"])
        return message

    def close(self) -> None:
        self._pubsub.close()


class RedisBus:
    """Pub/sub over Redis, so every web worker, gateway and job process hears every event."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._down = False

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Best effort: with Redis down the message is dropped (logged once per outage), never the
        committed write it announces; screens resync from the database when their feed returns."""
        payload = json.dumps({"topic": topic, **message}, default=str)
        try:
            self._client.publish(f"{self._prefix}:bus:{topic}", payload)
        except redis.RedisError as exc:
            if not self._down:
                log.warning("bus: Redis unreachable, messages are dropped until it answers: %s", exc)
            self._down = True
            return
        if self._down:
            self._down = False
            log.info("bus: Redis answers again")

    def subscribe(self, *topics: str) -> _RedisSubscription:
        return _RedisSubscription(self._client, self._prefix, topics)


def drain(sub: Subscription, timeout: float = 0.0) -> Iterator[dict[str, Any]]:
    """Yield every message waiting on ``sub`` (the first wait up to ``timeout`` seconds)."""
    message = sub.get(timeout)
    while message is not None:
        yield message
        message = sub.get(0.0)
