"""Engines, sessions, migrations and bulk inserts of the shared database (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

import csv
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Engine, Table, create_engine, event, insert, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from data.core.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CONNECT_TIMEOUT_S = 5
# SQLite's own words for "cannot get at the file now" (its other OperationalErrors are bugs, not outages).
SQLITE_OUTAGES = ("database is locked", "unable to open database file", "disk i/o error")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so jobs and web can share it.

    ``hide_parameters``: a failed statement's message (which ends in logs) never carries its values, such
    as a reporter's name or phone.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"IOC_DATABASE_URL is not a database URL: {url!r}") from None
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server that does not answer fails a request within seconds (503), rather than hang it for minutes.
    engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, **kwargs)
    event.listen(engine, "handle_error", _nul_is_bad_input)
    return engine


def _nul_is_bad_input(context: ExceptionContext) -> None:
    """PostgreSQL cannot store a NUL character in text: that is the sender's mistake (400), not a crash.

    The doors refuse NUL by name first (Open311, the form, login, webhooks); this is the backstop for
    any other text that reaches the database.
    """
    error = str(context.original_exception)
    if "NUL (0x00)" in error or "\\u0000" in error:
        raise InvalidInput("Dữ liệu gửi lên chứa ký tự NUL (\\x00), không lưu được; hãy bỏ ký tự đó rồi gửi lại.")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def check_connection(engine: Engine) -> None:
    """Fail with one clear line when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe_url = engine.url.render_as_string(hide_password=True)
        raise ConfigError(f"Cannot reach the database {safe_url} (IOC_DATABASE_URL): {reason}") from None


def database_outage(exc: BaseException) -> bool:
    """True when ``exc`` says the database is unreachable, restarting or overloaded, not that the request
    is wrong: the caller should try again later (503), and nothing of the request was committed."""
    if isinstance(exc, PoolTimeout):  # every pooled connection busy for the pool's whole timeout
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        return str(orig).lower().startswith(SQLITE_OUTAGES)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a requirement
        return False
    # Refused or dropped connections, a server shutting down or starting up, cancelled statements and
    # serialization failures: all psycopg.OperationalError; a closed connection is an InterfaceError.
    return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


# Any fixed number: several processes starting at once (gunicorn workers, gateways, job workers)
# take turns to migrate and seed instead of racing each other.
STARTUP_LOCK_ID = 4_827_311


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for start-up work (SQLite serialises writers by itself)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": STARTUP_LOCK_ID})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": STARTUP_LOCK_ID})
            conn.commit()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; existing rows are kept (migrations only move forward)."""
    with startup_lock(engine):
        command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits at the end of the block, or rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def bulk_insert(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows of one table in the session's transaction: COPY on PostgreSQL, else executemany.

    Every row must have the same keys (the table's column names). No ids come back: find the rows by a
    natural key when you need them.
    """
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy_rows(session, model.__table__, rows)
        return
    # A Core INSERT on the table: one executemany, none of the ORM's per-row bookkeeping (which also
    # splits rows into small batches by their pattern of NULLs).
    session.execute(insert(model.__table__), rows)


def _copy_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    # COPY skips the parsing of huge multi-row INSERTs: 30,000 rows go in well under a second.
    from psycopg import sql
    from psycopg.types.json import Json

    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    driver = _copy_connection(session, table)
    cursor = driver.cursor()
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in json_columns and row[c] is not None else row[c] for c in columns])


def copy_frame(session: Session, model: type[Any], frame: pd.DataFrame) -> None:
    """COPY a DataFrame whose columns are ``model``'s into PostgreSQL, formatted by pandas in C.

    ``_copy_rows`` adapts every value in Python (≈ 30 µs a row of a report); CSV from ``to_csv`` is an
    order of magnitude cheaper, which is what a CSV import of 200,000 rows needs. JSON columns must
    already hold JSON text; integer columns that may be empty must be pandas ``Int64`` (not float).
    Every quoted ``\\N`` is NULL (FORCE_NULL), so no text value may be exactly ``\\N``.
    """
    from psycopg import sql

    if frame.empty:
        return
    table: Table = model.__table__
    columns = list(frame.columns)
    nullable = [c for c in columns if table.c[c].nullable]
    options: sql.Composable = sql.SQL("FORMAT csv, NULL '\\N'")
    if nullable:
        options = sql.SQL("{}, FORCE_NULL ({})").format(options, sql.SQL(", ").join(map(sql.Identifier, nullable)))
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH ({})").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)), options
    )
    payload = frame.to_csv(index=False, header=False, quoting=csv.QUOTE_NONNUMERIC, na_rep="\\N",
                           date_format="%Y-%m-%d %H:%M:%S.%f", lineterminator="\n")
    driver = _copy_connection(session, table)
    with driver.cursor().copy(statement) as copy:
        copy.write(payload.encode())


def _copy_connection(session: Session, table: Table) -> Any:
    """The driver's connection for a COPY, which SQLAlchemy never sees: the cached answers about
    reports (data/core/cache.py) learn of the write from the connection's flag instead."""
    from data.core.cache import WRITES_REPORTS_TABLES, WRITTEN

    connection = session.connection()
    if table.name in WRITES_REPORTS_TABLES:
        connection.info[WRITTEN] = True
    driver = connection.connection.driver_connection
    assert driver is not None, "a pooled connection always has its driver connection"
    return driver
