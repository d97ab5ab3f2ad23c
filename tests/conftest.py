"""Shared fixtures: real PostgreSQL and Redis (never mocked, never skipped), SQLite in a tmp dir.

Database fixtures live in ``tests/dbfixtures.py``, browser ones in ``tests/browser.py``, the RTSP
server and gateway ones in ``tests/conftest_streams.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

pytest.register_assert_rewrite("tests.dbfixtures", "tests.browser", "tests.conftest_streams")

from tests.dbfixtures import fresh_pg_database, settings_for  # noqa: E402
from tests.leftovers import leftovers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# ../shared/data beside the project; IOC_TEST_SHARED_DATA points elsewhere (e.g. from a git worktree).
SHARED_DATA = Path(os.environ.get("IOC_TEST_SHARED_DATA", ROOT.parent / "shared" / "data"))
REDIS_URL = os.environ.get("IOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytest_plugins = ["tests.dbfixtures", "tests.browser", "tests.conftest_streams", "tests.load"]
LEFTOVER_GRACE_S = 15.0  # what was told to stop just before the end gets this long to go
LEFTOVERS = pytest.StashKey[list[str]]()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: each test that takes it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ioc.sqlite3'}"
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis (db 15), checked reachable; tests add their own key prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required and unreachable at {REDIS_URL}: {exc}", pytrace=False)
    finally:
        client.close()
    yield REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"ioc-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


# Fixtures of ours that every test gets (autouse): they start nothing for a test that is not a browser test.
AMBIENT_FIXTURES = {"busy_machine_for_browser_tests", "cpu_burners"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``integration`` every test that needs a service, a server or a browser: the fast lane
    (``make test-fast``: ``-m "not integration"``) is the rest, pure tests that run anywhere in seconds.

    A test needs them when it takes any fixture of ours (databases, Redis, RTSP, apps, browsers are all
    fixtures of ``tests/``) or is marked ``browser``/``integration`` itself; pytest's own (``tmp_path``,
    ``monkeypatch``) do not count. A test that reaches a service without a fixture fails in the fast
    lane, whose service addresses lead nowhere, and is then marked by hand."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("integration") or _takes_our_fixtures(item):
            item.add_marker(pytest.mark.integration)


def _takes_our_fixtures(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name in set(info.names_closure) - AMBIENT_FIXTURES:
        for definition in info.name2fixturedefs.get(name, ()):
            if getattr(definition.func, "__module__", "").startswith("tests"):
                return True
    return False


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when a thread or process it started is still alive: it would hold the run open."""
    found = leftovers(LEFTOVER_GRACE_S)
    if found:
        session.config.stash[LEFTOVERS] = found
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    found = terminalreporter.config.stash.get(LEFTOVERS, [])
    if found:
        terminalreporter.section("still running at the end of the run (the run fails)", red=True)
        for line in found:
            terminalreporter.write_line(line)


__all__ = ["ROOT", "SHARED_DATA", "settings_for"]
