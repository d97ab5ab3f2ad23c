"""reports.change_stamp: which write last changed a report's map columns

The map's in-process copy of the reports (data/report_mirror.py) re-reads only the rows written
since it last looked. The database stamps them itself, so no writer (ORM, Core, COPY, a console)
can forget to: on PostgreSQL with the writing transaction's id (a copy that re-reads every stamp
from its last snapshot's xmin on misses nothing, even a transaction that commits late), on SQLite
with max + 1, which grows in commit order because SQLite runs one writer at a time. Updates stamp
only when a copied column changes, so the other updates stay HOT on PostgreSQL.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# The columns the copy holds (data.report_mirror.MIRRORED, id aside); a change to any of them stamps.
COPIED = ("created_at", "category_id", "status", "channel", "agency_id", "admin_unit_id", "expected_at",
          "lat", "lon", "rating")
XID = "pg_current_xact_id()::text::bigint"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE reports ADD COLUMN change_stamp bigint NOT NULL DEFAULT ({XID})")
        op.create_index(op.f('ix_reports_change_stamp'), 'reports', ['change_stamp'], unique=False)
        op.execute(f"""
            CREATE FUNCTION ioc_report_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.change_stamp := {XID};
                RETURN NEW;
            END $$""")
        old = ", ".join(f"OLD.{c}" for c in COPIED)
        new = ", ".join(f"NEW.{c}" for c in COPIED)
        op.execute(f"CREATE TRIGGER reports_change_stamp BEFORE UPDATE ON reports FOR EACH ROW "
                   f"WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION ioc_report_change_stamp()")
        return
    # A plain ALTER (no batch copy of the table, which the append-only histories' keys would refuse).
    op.add_column('reports', sa.Column('change_stamp', sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index(op.f('ix_reports_change_stamp'), 'reports', ['change_stamp'], unique=False)
    # The inner UPDATE sets only change_stamp, which is not in the column list: it fires nothing.
    stamp = "UPDATE reports SET change_stamp = (SELECT max(change_stamp) FROM reports) + 1 WHERE id = NEW.id;"
    op.execute(f"CREATE TRIGGER reports_change_stamp_insert AFTER INSERT ON reports BEGIN {stamp} END")
    op.execute(f"CREATE TRIGGER reports_change_stamp_update AFTER UPDATE OF {', '.join(COPIED)} ON reports "
               f"BEGIN {stamp} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER reports_change_stamp ON reports")
        op.execute("DROP FUNCTION ioc_report_change_stamp()")
        op.drop_index(op.f('ix_reports_change_stamp'), table_name='reports')
        op.drop_column('reports', 'change_stamp')
        return
    op.execute("DROP TRIGGER reports_change_stamp_insert")
    op.execute("DROP TRIGGER reports_change_stamp_update")
    op.drop_index(op.f('ix_reports_change_stamp'), table_name='reports')
    op.drop_column('reports', 'change_stamp')
