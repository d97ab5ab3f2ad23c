"""camera groups as rows, grants of a group to an agency or a ward, ward-scoped users, camera versions

``camera_groups``: the groups that were only a text (``cameras.group_name``) become rows, one per
name found, and every camera points at its own (``cameras.group_id``); ``group_name`` stays, kept
in step, for readers of the old column. ``camera_group_grants``: which agency, or which ward's users,
may watch a group. ``users.admin_unit_id``: the ward of a ward-scoped user. ``cameras.version``: the
admin page's check that an edit was made on the newest copy.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from data.core.text import fold

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def group_code(name: str, taken: set[str]) -> str:
    """A code for a group named ``name``: its folded words joined by dashes, numbered when taken."""
    base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:56] or "nhom"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}-{n}", n + 1
    taken.add(code)
    return code


def upgrade() -> None:
    op.create_table('camera_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_camera_groups')),
    sa.UniqueConstraint('code', name=op.f('uq_camera_groups_code')),
    sa.UniqueConstraint('name', name=op.f('uq_camera_groups_name'))
    )
    op.create_table('camera_group_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('admin_unit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(agency_id IS NULL) <> (admin_unit_id IS NULL)',
                       name=op.f('ck_camera_group_grants_one_grantee')),
    sa.ForeignKeyConstraint(['admin_unit_id'], ['admin_units.id'],
                            name=op.f('fk_camera_group_grants_admin_unit_id_admin_units')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_camera_group_grants_agency_id_agencies')),
    sa.ForeignKeyConstraint(['group_id'], ['camera_groups.id'],
                            name=op.f('fk_camera_group_grants_group_id_camera_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_camera_group_grants')),
    sa.UniqueConstraint('group_id', 'admin_unit_id', name='uq_camera_group_grants_group_unit'),
    sa.UniqueConstraint('group_id', 'agency_id', name='uq_camera_group_grants_group_agency')
    )
    op.create_index(op.f('ix_camera_group_grants_group_id'), 'camera_group_grants', ['group_id'], unique=False)
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index(batch_op.f('ix_cameras_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cameras_group_id_camera_groups'), 'camera_groups',
                                    ['group_id'], ['id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_admin_unit_id_admin_units'), 'admin_units',
                                    ['admin_unit_id'], ['id'])
    _groups_from_names()


def _groups_from_names() -> None:
    """One group per distinct ``group_name`` (blank ones are no group), each camera pointed at its own."""
    bind = op.get_bind()
    names = bind.execute(sa.text(
        "SELECT DISTINCT group_name FROM cameras WHERE group_name IS NOT NULL AND TRIM(group_name) <> ''"
    )).scalars().all()
    taken: set[str] = set()
    now = datetime.now(UTC).replace(tzinfo=None)
    for name in sorted(names):
        bind.execute(sa.text("INSERT INTO camera_groups (code, name, created_at) VALUES (:code, :name, :at)"),
                     {"code": group_code(name, taken), "name": name, "at": now})
    bind.execute(sa.text(
        "UPDATE cameras SET group_id = (SELECT g.id FROM camera_groups g WHERE g.name = cameras.group_name) "
        "WHERE group_name IS NOT NULL"
    ))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_admin_unit_id_admin_units'), type_='foreignkey')
        batch_op.drop_column('admin_unit_id')
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cameras_group_id_camera_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cameras_group_id'))
        batch_op.drop_column('version')
        batch_op.drop_column('group_id')
    op.drop_index(op.f('ix_camera_group_grants_group_id'), table_name='camera_group_grants')
    op.drop_table('camera_group_grants')
    op.drop_table('camera_groups')
