"""users.must_change_password and users.version: forced first-login change and the admins' optimistic check

``must_change_password`` is set when an admin hands out a password (a new account, a reset): such a
user reaches only the "change your password" page until they choose their own. ``version`` counts the
admins' changes to an account, so that of two admins editing the same user at once the second is told
that someone else changed it meanwhile. Existing accounts keep their passwords (false) and start at 0.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTERs with constant defaults: no table copy on SQLite, no rewrite on PostgreSQL.
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.add_column('users', sa.Column('version', sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column('users', 'version')
    op.drop_column('users', 'must_change_password')
