"""Shared fixtures: real PostgreSQL and Redis (never mocked, never skipped), SQLite in a tmp dir."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data.runtime import Runtime, build_runtime
from data.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("IOC_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("IOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytest_plugins = ["tests.browser"]


def _fresh_pg_database() -> str:
    """Create an empty database for this test run; its URL is returned."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"ioc_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is required and unreachable at {PG_ADMIN_URL}: {exc}", pytrace=False)
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    url = _fresh_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ioc.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes it runs twice: on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ioc.sqlite3'}"
        return
    url = _fresh_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis (db 15), checked reachable; the test's keys use its own prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required and unreachable at {REDIS_URL}: {exc}", pytrace=False)
    finally:
        client.close()
    yield REDIS_URL


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": database_url, "redis_url": None, "demo": False,
                                 "secret_key": "test-secret-key-0123456789", "run_streams": False,
                                 "run_workers": False, "upload_dir": ROOT / "var" / "test-uploads"}
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    """A migrated, empty database (SQLite and PostgreSQL) with in-process bus and jobs."""
    rt = build_runtime(make_settings(db_url))
    yield rt
    rt.close()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"ioc-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
