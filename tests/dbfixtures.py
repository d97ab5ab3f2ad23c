"""Database fixtures (a pytest plugin): a fresh SQLite file or a fresh PostgreSQL database per test.

Enable with ``pytest_plugins = ["tests.dbfixtures"]`` in ``tests/conftest.py``. PostgreSQL is never
skipped: when it cannot be reached the test fails, naming the URL. ``IOC_TEST_POSTGRES_URL``
points at another server (an existing database used only to create and drop the test ones).

For a database shared by several tests, use the context managers in a wider-scoped fixture::

    @pytest.fixture(scope="module")
    def seeded() -> Iterator[Runtime]:
        with fresh_pg_database() as url, open_runtime(url) as rt:
            yield rt
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data.core.runtime import Runtime
from data.core.settings import PROJECT_ROOT, Settings, load_settings
from data.runtime import build_runtime

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    """The server (and a database on it) where test databases are created; read when needed."""
    return os.environ.get("IOC_TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)


def _admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database with a random name; dropped (even if still in use) afterwards."""
    admin_url = pg_admin_url()
    name = f"ioc_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(admin_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        safe = make_url(admin_url).render_as_string(hide_password=True)
        pytest.fail(f"PostgreSQL is required and unreachable at {safe}: {exc}", pytrace=False)
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def settings_for(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: this database, no Redis, no demo data, no side processes."""
    values: dict[str, object] = {
        "database_url": database_url,
        "redis_url": None,
        "demo": False,
        "run_streams": False,
        "run_workers": False,
        "secret_key": "test-secret-key-0123456789",
        "upload_dir": PROJECT_ROOT / "var" / "test-uploads",
    }
    return load_settings(**(values | overrides))


@contextmanager
def open_runtime(database_url: str, **overrides: object) -> Iterator[Runtime]:
    """A migrated database with an in-process bus and jobs, closed afterwards."""
    runtime = build_runtime(settings_for(database_url, **overrides))
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'ioc.sqlite3'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_runtime(sqlite_url: str) -> Iterator[Runtime]:
    """A Runtime on a fresh, migrated SQLite file."""
    with open_runtime(sqlite_url) as runtime:
        yield runtime


@pytest.fixture
def pg_runtime(pg_url: str) -> Iterator[Runtime]:
    """A Runtime on a fresh, migrated PostgreSQL database."""
    with open_runtime(pg_url) as runtime:
        yield runtime


@pytest.fixture(params=["sqlite", "postgres"])
def runtime(request: pytest.FixtureRequest) -> Runtime:
    """Each test that takes it runs twice: on SQLite and on the real PostgreSQL."""
    fixture = "sqlite_runtime" if request.param == "sqlite" else "pg_runtime"
    result: Runtime = request.getfixturevalue(fixture)
    return result
