"""login sessions kept server-side, and the lock-out's login counters

``login_sessions``: one row per signed-in browser (the cookie carries only a random token, hashed
here), so logout, a new password or a deactivation ends it everywhere, and idle and absolute
lifetimes are checked on every request. ``login_counters``: the attempts per username and per
address in the current window, raised atomically before a password is checked, so guesses sent at
once cannot all slip under the limit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.Column('source_ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'], unique=False)
    op.create_table('login_counters',
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_counters'))
    )
    op.create_index(op.f('ix_login_counters_window_start'), 'login_counters', ['window_start'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_counters_window_start'), table_name='login_counters')
    op.drop_table('login_counters')
    op.drop_index(op.f('ix_login_sessions_user_id'), table_name='login_sessions')
    op.drop_table('login_sessions')
