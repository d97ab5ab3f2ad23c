"""Worker threads for the gateway's blocking work (opening cameras, aiortc's VP8 encoding, JPEGs),
and the event loop that hands them its ``run_in_executor(None, ...)`` calls.

Why not ``ThreadPoolExecutor``: Python joins its threads at interpreter exit, however long their
current job runs. A wedged encoder (seen under load, see ``CameraReader._yuv420``) held a stopping
gateway, and a finished test run, for ever. These threads are daemons: a stop cancels the jobs that
have not started, waits a bounded time for those that have, and leaves the rest to the exit.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar, TypeVarTuple

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def default_workers() -> int:
    """As many threads as asyncio's own default executor would have."""
    return min(32, (os.cpu_count() or 1) + 4)


class WorkerPool(Executor):
    """At most ``max_workers`` daemon threads, started as jobs need them."""

    def __init__(self, max_workers: int, name: str) -> None:
        self._max, self._name = max_workers, name
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # released by a thread each time it waits for a job
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._shut = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._shut:
                raise RuntimeError(f"{self._name}: cannot take new work after shutdown")
            self._jobs.put((future, fn, args, kwargs))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                self._start_thread()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new jobs; queued ones cancelled when ``cancel_futures``; ``wait`` joins without a bound."""
        with self._lock:
            self._shut = True
            if cancel_futures:
                self._cancel_queued()
            for _ in self._threads:
                self._jobs.put(None)
        if wait:
            for thread in list(self._threads):
                thread.join()

    def join(self, timeout_s: float) -> list[str]:
        """Wait up to ``timeout_s`` for the threads to end (after a shutdown); the names of those still busy."""
        deadline = time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread.name for thread in self._threads if thread.is_alive()]

    def _cancel_queued(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job[0].cancel()

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn, args, kwargs = job
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller through its future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del job, future, fn, args, kwargs  # drop the references before waiting for the next job
            self._idle.release()


class PooledLoop(asyncio.SelectorEventLoop):
    """An event loop whose default executor is a ``WorkerPool``: aiortc encodes (and aiohttp resolves
    names) through ``run_in_executor(None, ...)``, which asyncio would hand to a ThreadPoolExecutor."""

    def __init__(self, workers: int | None = None, name: str = "gateway-worker") -> None:
        super().__init__()
        self.pool = WorkerPool(workers or default_workers(), name)

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        return super().run_in_executor(executor if executor is not None else self.pool, func, *args)

    def close(self) -> None:
        """Close the loop; jobs not started are cancelled, running ones are left to their daemon threads."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        super().close()
