"""Alembic environment: the engine comes from data.db (or IOC_DATABASE_URL when run by the alembic CLI)."""

from __future__ import annotations

from alembic import context

from data.models import Base

config = context.config


def _engine():  # type: ignore[no-untyped-def]
    engine = config.attributes.get("engine")
    if engine is None:
        from data.core.db import make_engine
        from data.core.settings import load_settings

        engine = make_engine(load_settings().database_url)
    return engine


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
