"""gunicorn's hooks for the IOC web app (gunicorn reads ./gunicorn.conf.py by itself; elsewhere pass
``-c /path/to/gunicorn.conf.py``). Workers, threads and the address stay on the command line (README).

On a graceful stop (SIGTERM: a deploy, ``systemctl restart``, ``kill -HUP`` of the master) a worker
waits up to ``graceful_timeout`` (30 s) for its open requests, and the screens' live streams never end
by themselves: the restart would wait the whole timeout. The hook below ends them as the stop begins;
the screens reconnect to the next process.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Chain the worker's SIGTERM handler: end the live streams, then gunicorn's own graceful stop."""
    graceful_stop = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        from dashboard.api.live import stop_streams

        # In a thread: a signal handler must not wait on a lock that the interrupted code may hold.
        threading.Thread(target=stop_streams, args=(worker.wsgi,), name="live-stop", daemon=True).start()
        if callable(graceful_stop):
            graceful_stop(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn set it: requests in progress are not disturbed
