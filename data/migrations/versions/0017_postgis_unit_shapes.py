"""PostGIS shapes of the administrative units, on PostgreSQL databases that have PostGIS

``gis.admin_unit_shapes(unit_id, geom)`` with a GiST index, kept in step with ``admin_units.boundary``
by a trigger, and filled from the units already there (``data.geo.postgis``). Only where the
``postgis`` extension already exists: creating it needs a superuser, which the app's role should not
be, and every test database would pay 1.5 s for it. Elsewhere (SQLite, PostgreSQL without PostGIS)
this revision changes nothing, and ``python -m data geo postgis`` installs the same later.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

from alembic import op

from data.geo import postgis

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if postgis.extension_schema(conn) is not None:
        postgis.install(conn)


def downgrade() -> None:
    postgis.uninstall(op.get_bind())
