"""reports.search_text: a folded (diacritics-free) copy of each report's text for search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from data.core.text import fold

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    # Fill existing rows in batches so a large table is not read into memory at once.
    conn = op.get_bind()
    reports = sa.table(
        "reports",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("description", sa.Text),
        sa.column("search_text", sa.Text),
    )
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(reports.c.id, reports.c.title, reports.c.description)
            .where(reports.c.id > last_id)
            .order_by(reports.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            reports.update().where(reports.c.id == sa.bindparam("rid")),
            [{"rid": r.id, "search_text": fold(f"{r.title or ''} {r.description}")} for r in rows],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("search_text")
