"""categories.description_required: a service whose reports must carry a description

Open311 GeoReport v2 makes ``description`` optional; a city may still require it for a service where
a photo or an attribute alone says nothing (e.g. a complaint about an official). Existing categories
keep today's rule for the web form and accept an Open311 post without it when attributes or media
describe the report.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER on both databases (a constant default: no table copy on SQLite).
    op.add_column('categories', sa.Column('description_required', sa.Boolean(), server_default=sa.false(),
                                          nullable=False))


def downgrade() -> None:
    op.drop_column('categories', 'description_required')
