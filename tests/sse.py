"""A minimal Server-Sent Events reader for tests and the bench: a thread that records each event as it arrives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Received:
    at: float  # time.monotonic() when the event's last line arrived
    event: str
    data: dict[str, Any]
    event_id: str | None


@dataclass
class SseReader:
    session: requests.Session
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Received] = field(default_factory=list)
    status: int | None = None
    _response: requests.Response | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)  # the server closed the stream (or we did)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, timeout: float = 10.0) -> SseReader:
        threading.Thread(target=self._read_until_end, daemon=True).start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"no answer from {self.url}")
        return self

    def _read_until_end(self) -> None:
        try:
            self._read()
        finally:
            self.ended.set()

    def _read(self) -> None:
        try:
            response = self.session.get(self.url, stream=True, timeout=(5, 60), headers=self.headers)
        finally:
            self._ready.set()
        self._response = response
        self.status = response.status_code
        if response.status_code != 200:
            return
        event, data, event_id = "message", "", None
        try:
            for raw in response.iter_lines(chunk_size=1, decode_unicode=True):
                line = raw or ""
                if not line:
                    if data:
                        with self._lock:
                            self.events.append(Received(time.monotonic(), event, json.loads(data), event_id))
                    event, data, event_id = "message", "", None
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif line.startswith("id: "):
                    event_id = line[4:]
        except (requests.RequestException, AttributeError, ValueError):
            return  # closed by close() or by the server

    def wait_for(self, match: Callable[[Received], bool], timeout: float = 30.0) -> Received:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = next((e for e in self.events if match(e)), None)
            if found is not None:
                return found
            time.sleep(0.01)
        raise AssertionError(f"no matching event within {timeout} s; got {[(e.event, e.data) for e in self.events]}")

    def of(self, event: str) -> list[Received]:
        with self._lock:
            return [e for e in self.events if e.event == event]

    def close(self) -> None:
        """Hang up now (as a closed browser tab does): shut the socket, so the reading thread returns at once."""
        if self._response is None:
            return
        self._response.raw.shutdown()  # urllib3 ≥ 2.3: unblocks a read in progress in another thread
        self._response.close()
