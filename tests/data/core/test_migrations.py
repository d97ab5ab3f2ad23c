"""Migrations: the same schema on SQLite and PostgreSQL, and upgrades keep every row."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError

from data.alerts.events import raise_alert
from data.core.db import alembic_config, current_revision, make_engine, make_sessionmaker, migrate, session_scope
from data.models import AuditEntry, Base, Report, ReportEvent


def test_head_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_keeps_rows_and_fills_new_column(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO reports (tracking_code, channel, status, urgency, description, published, "
            "created_at, updated_at, is_demo) VALUES "
            "('T-1', 'web', 'received', 'normal', 'Đường Lê Lợi ngập nước', false, :t, :t, false),"
            "('T-2', 'app', 'resolved', 'normal', 'Rác thải ở chợ Đông Ba', true, :t, :t, false)"),
            {"t": datetime(2026, 1, 5, 8, 0)})
    migrate(engine)
    assert current_revision(engine) == "0018"
    assert "search_text" in {c["name"] for c in inspect(engine).get_columns("reports")}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Report.tracking_code, Report.search_text, Report.processed_at, Report.me_too_count,
                   Report.publish_consent).order_by(Report.id)
        ).all()
    engine.dispose()
    # Old reports count as processed (the intake sweep must not redo the history); new columns get defaults.
    processed = datetime(2026, 1, 5, 8, 0)
    assert [tuple(r) for r in rows] == [
        ("T-1", "duong le loi ngap nuoc", processed, 0, True),
        ("T-2", "rac thai o cho dong ba", processed, 0, True),
    ]


def test_histories_are_append_only_in_the_database(db_url: str) -> None:
    """Whoever sends it (a script, a console, a bug), an UPDATE or DELETE of a history is refused."""
    engine = make_engine(db_url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as s:  # one row in each: row triggers need a row
        report = Report(tracking_code="T-9", channel="web", description="Ngập", status="received")
        s.add_all([report, AuditEntry(at=datetime(2026, 12, 7, 8, 0), action="login", username="quantri")])
        s.flush()
        s.add(ReportEvent(report_id=report.id, action="received", to_status="received"))
        raise_alert(s, kind="flood", title="Ngập")
    for statement in ("UPDATE audit_log SET username = 'ai-do'", "DELETE FROM audit_log",
                      "UPDATE report_events SET note = 'x'", "DELETE FROM alert_events"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM audit_log")).scalars().all() == ["quantri"]
    # The triggers come off with a downgrade and back with the upgrade.
    command.downgrade(alembic_config(engine), "0010")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    migrate(engine)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM report_events"))
    engine.dispose()
