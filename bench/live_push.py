"""Push to screens: how long a new report takes to reach 20 connected screens, push (SSE) against polling.

    .venv/bin/python bench/live_push.py --db both --screens 20 --reports 60

PostgreSQL + Redis: gunicorn (``--workers`` × ``--threads`` gthread: each screen holds a thread) and the
bus on Redis pub/sub; SQLite: ``python app.py`` (embedded, in-process bus). 20 screens log in and keep
``/live/events`` open (tests/sse.py readers); reports are posted over Open311 one after another with a
pause; for each report and screen we record when the screen got the ``reports`` message, counted from
the moment the post was sent (the report is committed before its 2xx: the latency includes the commit).
The baseline in the same run is what the overview page did without push: each screen's timer (every
``--poll-s``) redraws the page body (the Dash callback, its queries included), and we record when the
report first shows in its "newest reports" table.
Prints to stdout; nothing here is a test.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from open311_post import embedded_command, form, gunicorn_command, seed, serve  # noqa: E402

from data.accounts.users import create_user  # noqa: E402
from data.core.settings import load_settings  # noqa: E402
from data.models import Role  # noqa: E402
from data.runtime import build_runtime  # noqa: E402
from tests.dbfixtures import fresh_pg_database  # noqa: E402
from tests.logins import session_login  # noqa: E402
from tests.sse import SseReader  # noqa: E402

PASSWORD = "mat-khau-man-hinh-01"
TRACKING_CODE = re.compile(r"HUE-\d{4}-[0-9A-Z]{7}")


def add_user(database_url: str) -> None:
    runtime = build_runtime(load_settings(database_url=database_url, redis_url=None, demo=False))
    try:
        with runtime.session() as s:
            create_user(s, "manhinh", PASSWORD, Role.OPERATOR)
    finally:
        runtime.close()


def login(url: str) -> requests.Session:
    session = requests.Session()
    response = session_login(session, url, "manhinh", PASSWORD)
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return session


def percentiles(values: list[float]) -> str:
    if not values:
        return "no data"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms"


def post_reports(url: str, key: str, n: int, gap_s: float, offset: int) -> dict[str, float]:
    """Post ``n`` reports one after another; the tracking code -> when its post was sent.

    Measured from the send, not from the 2xx: the message may reach a screen before the poster has read
    its answer, and the send is what a citizen would count from."""
    sent: dict[str, float] = {}
    with requests.Session() as session:
        for i in range(offset, offset + n):
            started = time.monotonic()
            response = session.post(f"{url}/open311/v2/requests.json", data=form(key, i), timeout=30)
            if response.status_code != 200:
                raise SystemExit(f"post failed: {response.status_code} {response.text[:300]}")
            sent[response.json()[0]["service_request_id"]] = started
            time.sleep(gap_s)
    return sent


def delivery(seen: list[dict[str, float]], sent: dict[str, float]) -> tuple[list[float], int]:
    """Per screen and report, ms from the post to the screen seeing it; and how many it never saw."""
    delays = [(mine[code] - at) * 1000 for mine in seen for code, at in sent.items() if code in mine]
    return delays, len(seen) * len(sent) - len(delays)


def push(url: str, key: str, opts: argparse.Namespace, label: str) -> None:
    screens = [SseReader(login(url), f"{url}/live/events").start() for _ in range(opts.screens)]
    try:
        for screen in screens:
            screen.wait_for(lambda e: e.event == "hello", timeout=10)
        committed = post_reports(url, key, opts.reports, opts.gap_s, 0)
        time.sleep(2.0)
        delays, missing = delivery([{e.data["tracking_code"]: e.at for e in screen.of("reports")
                                     if e.data.get("tracking_code")} for screen in screens], committed)
        print(f"{label:30} push (SSE)      {opts.screens} screens × {opts.reports} reports: "
              f"{percentiles(delays)}  missed {missing}", flush=True)
        print(f"{label:30} push (SSE)      requests while idle: 0/s (one open stream per screen; "
              f"a ping every 10 s)", flush=True)
    finally:
        for screen in screens:
            screen.close()


def overview_call(n: int) -> dict[str, object]:
    """What the overview page's timer sent before push: redraw the whole body (its queries included)."""
    return {"output": "overview-body.children", "outputs": {"id": "overview-body", "property": "children"},
            "inputs": [{"id": "overview-tick", "property": "n_intervals", "value": n},
                       {"id": "overview-live", "property": "data", "value": None}],
            "changedPropIds": ["overview-tick.n_intervals"], "state": []}


def poll(url: str, key: str, opts: argparse.Namespace, label: str) -> None:
    """The baseline: each screen redraws the overview every ``poll_s`` seconds."""
    stop = threading.Event()
    seen: list[dict[str, float]] = [{} for _ in range(opts.screens)]
    asked = [0] * opts.screens

    def screen(index: int) -> None:
        session = login(url)
        time.sleep(opts.poll_s * index / opts.screens)  # screens opened at different moments
        while not stop.is_set():
            asked[index] += 1
            try:
                response = session.post(f"{url}/_dash-update-component", json=overview_call(asked[index]), timeout=30)
            except requests.ConnectionError:  # a keep-alive connection the server closed: the next poll reconnects
                continue
            now = time.monotonic()
            for code in TRACKING_CODE.findall(response.text):
                seen[index].setdefault(code, now)
            stop.wait(opts.poll_s)

    threads = [threading.Thread(target=screen, args=(i,), daemon=True) for i in range(opts.screens)]
    for thread in threads:
        thread.start()
    time.sleep(opts.poll_s + 1)
    started = time.monotonic()
    committed = post_reports(url, key, opts.reports, opts.gap_s, 1_000_000)
    time.sleep(opts.poll_s + 1)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.monotonic() - started
    delays, missing = delivery(seen, committed)
    print(f"{label:30} poll every {opts.poll_s:g} s {opts.screens} screens × {opts.reports} reports: "
          f"{percentiles(delays)}  missed {missing}", flush=True)
    print(f"{label:30} poll every {opts.poll_s:g} s page redraws (each several queries): "
          f"{sum(asked) / elapsed:.1f}/s, busy or idle", flush=True)


def run(url: str, key: str, opts: argparse.Namespace, label: str) -> None:
    push(url, key, opts, label)
    poll(url, key, opts, label)


@contextmanager
def pg_server(opts: argparse.Namespace, tmp: Path) -> Iterator[tuple[str, str]]:
    prefix = f"ioc-bench-{uuid.uuid4().hex[:8]}"
    with fresh_pg_database() as database_url:
        key = seed(database_url)
        add_user(database_url)
        args, env, url = gunicorn_command(database_url, prefix, tmp, opts.workers, opts.threads)
        with serve(args, env, tmp / "gunicorn.log", url):
            yield url, key


@contextmanager
def sqlite_server(tmp: Path) -> Iterator[tuple[str, str]]:
    database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    key = seed(database_url)
    add_user(database_url)
    args, env, url = embedded_command(database_url, tmp)
    with serve(args, env, tmp / "app.log", url):
        yield url, key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--reports", type=int, default=60)
    parser.add_argument("--gap-s", type=float, default=0.5,
                        help="pause between two posted reports (the polled table shows the newest 10)")
    parser.add_argument("--poll-s", type=float, default=2.0, help="the polling baseline's interval")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if opts.db in ("pg", "both"):
            with pg_server(opts, Path(tmp)) as (url, key):
                run(url, key, opts, f"pg+redis gunicorn {opts.workers}x{opts.threads}")
        if opts.db in ("sqlite", "both"):
            with sqlite_server(Path(tmp)) as (url, key):
                run(url, key, opts, "sqlite embedded (app.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
