"""Open311 ``POST requests`` throughput against the real app, on PostgreSQL + Redis and on embedded SQLite.

    .venv/bin/python bench/open311_post.py --db both --requests 3000 --clients 16

PostgreSQL: gunicorn (``--workers`` × ``--threads`` gthread workers) with jobs queued on Redis over RQ (no worker
runs: each report's ``reports.process`` job is queued and counted, not run). SQLite: ``python app.py``
as the embedded mode runs it (one process, threads, jobs in-process). Clients are threads, each with
its own keep-alive session, firing form-encoded posts with an api_key as the spec says. The figure
is reports committed per second (rows counted in the database afterwards, over the wall time), with
p50/p95 latency, and the naive baseline in the same run: one post at a time on a new connection each.
Prints to stdout; nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import redis
import requests
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cpu import cpu_seconds, postgres_pids  # noqa: E402

from data.accounts.apikeys import create_api_key  # noqa: E402
from data.core.settings import load_settings  # noqa: E402
from data.models import AdminUnit, Category, Report  # noqa: E402
from data.runtime import build_runtime  # noqa: E402
from tests.dbfixtures import fresh_pg_database  # noqa: E402

REDIS_URL = os.environ.get("IOC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
WARD = {"type": "Polygon", "coordinates": [[[107.50, 16.38], [107.70, 16.38], [107.70, 16.55],
                                            [107.50, 16.55], [107.50, 16.38]]]}
CODES = ("rac-thai", "den-duong", "o-ga", "cay-xanh")


@dataclass
class Run:
    sent: int
    ok: int
    seconds: float
    latencies_ms: list[float]

    def line(self, label: str, committed: int) -> str:
        lat = sorted(self.latencies_ms) or [0.0]
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        return (f"{label:34} {committed / self.seconds:8.1f} reports/s committed  "
                f"({self.ok}/{self.sent} answered 200 in {self.seconds:.2f} s)  "
                f"p50 {statistics.median(lat):6.1f} ms  p95 {p95:6.1f} ms")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(database_url: str) -> str:
    """Migrate, add the categories and one ward, and create an API key (returned)."""
    runtime = build_runtime(load_settings(database_url=database_url, redis_url=None, demo=False))
    try:
        with runtime.session() as s:
            s.add_all([Category(code=c, name=c, name_en=c) for c in CODES])
            s.add(AdminUnit(level="ward", code="W1", name="Phường", boundary=WARD, bbox=[107.50, 16.38, 107.70, 16.55]))
            _, key = create_api_key(s, "bench")
        return key
    finally:
        runtime.close()


def count_reports(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Report.__table__)).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def serve(args: list[str], env: dict[str, str], log: Path, url: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"server exited:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise SystemExit(f"server did not start:\n{log.read_text()[-3000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def form(key: str, i: int) -> dict[str, str]:
    return {"api_key": key, "service_code": CODES[i % len(CODES)], "lat": f"{16.40 + (i % 100) / 1000:.4f}",
            "long": f"{107.55 + (i % 97) / 1000:.4f}", "address_string": f"Số {i} đường Lê Lợi",
            "description": f"Phản ánh thử số {i}: rác ứ đọng, đèn đường hỏng, ổ gà trên mặt đường.",
            "attribute[urgency]": "normal"}


def concurrent_posts(url: str, key: str, n: int, clients: int, offset: int) -> Run:
    """``n`` posts from ``clients`` concurrent keep-alive connections (aiohttp: light on the client's CPU)."""
    return asyncio.run(_concurrent(url, key, n, clients, offset))


async def _concurrent(url: str, key: str, n: int, clients: int, offset: int) -> Run:
    target = f"{url}/open311/v2/requests.json"
    latencies: list[float] = []
    ok = 0
    todo = iter(range(offset, offset + n))

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal ok
        for i in todo:  # the shared iterator hands each index to exactly one client
            started = time.perf_counter()
            async with session.post(target, data=form(key, i)) as response:
                await response.read()
                ok += response.status == 200
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=clients, keepalive_timeout=30)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return Run(n, ok, time.perf_counter() - started, latencies)


def naive_posts(url: str, key: str, n: int, offset: int) -> Run:
    """The baseline: one post at a time, a new connection for each."""
    lat, ok = [], 0
    started = time.perf_counter()
    for i in range(offset, offset + n):
        t = time.perf_counter()
        response = requests.post(f"{url}/open311/v2/requests.json", data=form(key, i), timeout=60,
                                 headers={"Connection": "close"})
        lat.append((time.perf_counter() - t) * 1000)
        ok += response.status_code == 200
    return Run(n, ok, time.perf_counter() - started, lat)


def measure(label: str, url: str, database_url: str, key: str, opts: argparse.Namespace, server_pid: int) -> None:
    concurrent_posts(url, key, min(200, opts.requests), opts.clients, 10_000_000)  # warm-up: every worker
    before = count_reports(database_url)
    base = naive_posts(url, key, opts.baseline, 20_000_000)
    base_committed = count_reports(database_url) - before
    print(base.line(f"{label} naive (1 at a time, new conn)", base_committed), flush=True)
    before = count_reports(database_url)
    pg = postgres_pids() if database_url.startswith("postgresql") else []
    cpu_app, cpu_pg, cpu_client = cpu_seconds([server_pid]), cpu_seconds(pg), time.process_time()
    run = concurrent_posts(url, key, opts.requests, opts.clients, 0)
    cpu_app, cpu_pg = cpu_seconds([server_pid]) - cpu_app, cpu_seconds(pg) - cpu_pg
    cpu_client = time.process_time() - cpu_client
    committed = count_reports(database_url) - before
    print(run.line(f"{label} {opts.clients} keep-alive clients", committed), flush=True)
    per = 1000 / max(committed, 1)
    print(f"{label:34} CPU per report: app {cpu_app * per:.2f} ms, PostgreSQL {cpu_pg * per:.2f} ms (all "
          f"databases on the server), this client {cpu_client * per:.2f} ms; without the client, "
          f"{os.cpu_count()} cores would take {(os.cpu_count() or 1) * 1000 / max((cpu_app + cpu_pg) * per, 0.001):.0f}"
          " reports/s", flush=True)
    ratio = (committed / run.seconds) / (base_committed / base.seconds) if base_committed else float("nan")
    print(f"{label:34} ratio concurrent / naive: {ratio:.1f}x; target >= 500 reports/s: "
          f"{'met' if committed / run.seconds >= 500 else 'MISSED'}", flush=True)


def gunicorn_command(database_url: str, prefix: str, tmp: Path, workers: int,
                     threads: int) -> tuple[list[str], dict[str, str], str]:
    """gunicorn on PostgreSQL + Redis as production runs the web (no jobs, no gateway): argv, env and URL."""
    port = free_port()
    env = {**os.environ, "IOC_DATABASE_URL": database_url, "IOC_REDIS_URL": REDIS_URL, "IOC_REDIS_PREFIX": prefix,
           "IOC_SECRET_KEY": "bench-secret-key-0123456789", "IOC_DEMO": "false", "IOC_RUN_STREAMS": "false",
           "IOC_RUN_WORKERS": "false", "IOC_UPLOAD_DIR": str(tmp / "pg-uploads"), "IOC_LOG_LEVEL": "WARNING"}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = [gunicorn, "-w", str(workers), "-k", "gthread", "--threads", str(threads),
            "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:server"]
    return args, env, f"http://127.0.0.1:{port}"


def embedded_command(database_url: str, tmp: Path) -> tuple[list[str], dict[str, str], str]:
    """``python app.py`` on SQLite as the embedded mode runs it (jobs in-process, no gateway): argv, env and URL."""
    port = free_port()
    env = {**os.environ, "IOC_DATABASE_URL": database_url, "IOC_PORT": str(port), "IOC_STREAMS_PORT": str(free_port()),
           "IOC_SECRET_KEY": "bench-secret-key-0123456789", "IOC_DEMO": "false", "IOC_RUN_STREAMS": "false",
           "IOC_UPLOAD_DIR": str(tmp / "sqlite-uploads"), "IOC_LOG_LEVEL": "WARNING"}
    env.pop("IOC_REDIS_URL", None)
    return [sys.executable, "app.py"], env, f"http://127.0.0.1:{port}"


def bench_pg(opts: argparse.Namespace, tmp: Path) -> None:
    prefix = f"ioc-bench-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_pg_database())
        key = seed(database_url)
        args, env, url = gunicorn_command(database_url, prefix, tmp, opts.workers, opts.threads)
        web = stack.enter_context(serve(args, env, tmp / "gunicorn.log", url))
        client = redis.Redis.from_url(REDIS_URL)
        try:
            label = f"pg+redis gunicorn {opts.workers}x{opts.threads}"
            measure(label, url, database_url, key, opts, web.pid)
            from rq import Queue

            queued = Queue(f"{prefix}-jobs", connection=client).count
            print(f"{label:34} reports.process jobs queued on RQ (no worker running): {queued}", flush=True)
        finally:
            for k in client.scan_iter(f"{prefix}*"):
                client.delete(k)
            for k in client.scan_iter(f"rq:*{prefix}*"):
                client.delete(k)
            client.close()


def bench_sqlite(opts: argparse.Namespace, tmp: Path) -> None:
    database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    key = seed(database_url)
    args, env, url = embedded_command(database_url, tmp)
    with serve(args, env, tmp / "app.log", url) as app:
        measure("sqlite embedded (python app.py)", url, database_url, key, opts, app.pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--baseline", type=int, default=200)
    # 3 × 2 was the fastest of 2×2, 2×4, 3×2, 3×3, 4×2, 4×4, 2×8 on 2 cores (README, Benchmarks).
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    opts = parser.parse_args()
    print(f"cpus: {os.cpu_count()}  load: {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp:
        if opts.db in ("pg", "both"):
            bench_pg(opts, Path(tmp))
        if opts.db in ("sqlite", "both"):
            bench_sqlite(opts, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
