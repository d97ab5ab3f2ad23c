"""Camera groups and their grants: which agency, or which ward's users, may watch a group's cameras.

Every change is audited with what it was before and after. A group's name is copied onto its
cameras' ``group_name`` (the old column, kept for its readers); ``adopt_group_names`` does the
reverse for cameras written with a name alone (an import, an older script).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.cameras.who import Who
from data.core.errors import InvalidInput, NotFound
from data.core.text import fold
from data.models import AdminUnit, Agency, Camera, CameraGroup, CameraGroupGrant

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_NAME = 100
# The units a ward-scoped user belongs to: the lowest level (wards and communes; never a province).
UPPER_LEVELS = ("province", "district")


@dataclass(frozen=True)
class GroupRow:
    id: int
    code: str
    name: str
    cameras: int


@dataclass(frozen=True)
class GrantRow:
    id: int
    group_id: int
    group: str
    kind: str  # "agency" | "ward"
    grantee: str


def code_for(name: str, taken: set[str]) -> str:
    """A free code for a group named ``name``: its folded words joined by dashes, numbered when taken."""
    base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:56] or "nhom"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}-{n}", n + 1
    return code


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Tên nhóm: chưa nhập.")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Tên nhóm: dài quá {MAX_NAME} ký tự.")
    return name


def _free_name(session: Session, name: str, group_id: int | None = None) -> None:
    other = session.scalar(select(CameraGroup.id).where(CameraGroup.name == name))
    if other is not None and other != group_id:
        raise InvalidInput(f"Tên nhóm: đã có nhóm «{name}».")


def groups(session: Session) -> list[GroupRow]:
    """Every group with how many cameras it holds, by name."""
    counts = {group_id: n for group_id, n in session.execute(select(Camera.group_id, func.count())
                                                             .group_by(Camera.group_id))}
    rows = session.execute(select(CameraGroup.id, CameraGroup.code, CameraGroup.name).order_by(CameraGroup.name))
    return [GroupRow(r.id, r.code, r.name, int(counts.get(r.id, 0))) for r in rows]


def group_by_name(session: Session, name: str) -> CameraGroup | None:
    return session.scalar(select(CameraGroup).where(CameraGroup.name == " ".join(name.split())))


def ensure_group(session: Session, name: str) -> CameraGroup:
    """The group named ``name``, made (with a code of its own) when there is none yet."""
    name = _checked_name(name)
    found = group_by_name(session, name)
    if found is not None:
        return found
    taken = set(session.scalars(select(CameraGroup.code)))
    group = CameraGroup(code=code_for(name, taken), name=name)
    session.add(group)
    session.flush()
    return group


def create_group(session: Session, who: Who, name: str, code: str = "") -> CameraGroup:
    """A new group; its code is made from the name unless given (lower-case letters, digits, - and _)."""
    name = _checked_name(name)
    _free_name(session, name)
    taken = set(session.scalars(select(CameraGroup.code)))
    code = code.strip() or code_for(name, taken)
    if not CODE.match(code):
        raise InvalidInput("Mã nhóm: chỉ gồm chữ thường không dấu, số, '-' và '_' (tối đa 64 ký tự).")
    if code in taken:
        raise InvalidInput(f"Mã nhóm: đã có nhóm mã «{code}».")
    group = CameraGroup(code=code, name=name)
    session.add(group)
    session.flush()
    who.record(session, "admin.camera_group.create", f"camera_group:{group.id}",
               {"before": None, "after": {"code": code, "name": name}})
    return group


def rename_group(session: Session, who: Who, group_id: int, name: str) -> CameraGroup:
    group = _group(session, group_id)
    name = _checked_name(name)
    if name == group.name:
        return group
    _free_name(session, name, group_id)
    before = group.name
    group.name = name
    session.execute(update(Camera).where(Camera.group_id == group_id).values(group_name=name))
    who.record(session, "admin.camera_group.rename", f"camera_group:{group_id}",
               {"before": {"name": before}, "after": {"name": name}})
    return group


def delete_group(session: Session, who: Who, group_id: int) -> None:
    """Remove an empty group and its grants; a group that still holds cameras is refused."""
    group = _group(session, group_id)
    held = session.scalar(select(func.count()).select_from(Camera).where(Camera.group_id == group_id)) or 0
    if held:
        raise InvalidInput(f"Nhóm «{group.name}» còn {held} camera: chuyển chúng sang nhóm khác trước khi xoá nhóm.")
    grants = list(session.scalars(select(CameraGroupGrant).where(CameraGroupGrant.group_id == group_id)))
    for grant in grants:
        session.delete(grant)
    session.flush()  # the grants go first: they point at the group
    session.delete(group)
    who.record(session, "admin.camera_group.delete", f"camera_group:{group_id}",
               {"before": {"code": group.code, "name": group.name, "grants": len(grants)}, "after": None})


def adopt_group_names(session: Session) -> int:
    """Give every camera that has a ``group_name`` but no group the group of that name (made if needed)."""
    names = session.scalars(select(Camera.group_name).distinct()
                            .where(Camera.group_id.is_(None), Camera.group_name.is_not(None))).all()
    adopted = 0
    for name in names:
        if not name or not name.strip():
            continue
        group = ensure_group(session, name)
        result = session.execute(update(Camera).where(Camera.group_id.is_(None), Camera.group_name == name)
                                 .values(group_id=group.id, group_name=group.name))
        adopted += int(getattr(result, "rowcount", 0) or 0)
    return adopted


def _group(session: Session, group_id: int) -> CameraGroup:
    group = session.get(CameraGroup, group_id)
    if group is None:
        raise NotFound("Không tìm thấy nhóm camera.")
    return group


def grant(session: Session, who: Who, group_id: int, *, agency_id: int | None = None,
          admin_unit_id: int | None = None) -> CameraGroupGrant:
    """Let one agency, or one ward's users, watch the group's cameras."""
    group = _group(session, group_id)
    if (agency_id is None) == (admin_unit_id is None):
        raise InvalidInput("Cấp quyền: chọn một đơn vị hoặc một phường/xã (chỉ một).")
    grantee = _grantee_name(session, agency_id, admin_unit_id)
    same = CameraGroupGrant.agency_id == agency_id if agency_id is not None \
        else CameraGroupGrant.admin_unit_id == admin_unit_id
    if session.scalar(select(CameraGroupGrant.id).where(CameraGroupGrant.group_id == group_id, same)) is not None:
        raise InvalidInput(f"Cấp quyền: «{grantee}» đã được xem nhóm «{group.name}».")
    row = CameraGroupGrant(group_id=group_id, agency_id=agency_id, admin_unit_id=admin_unit_id)
    session.add(row)
    session.flush()
    who.record(session, "admin.camera_grant.add", f"camera_group:{group_id}",
               {"before": None, "after": {"group": group.name, "grantee": grantee,
                                          "agency_id": agency_id, "admin_unit_id": admin_unit_id}})
    return row


def revoke(session: Session, who: Who, grant_id: int) -> None:
    row = session.get(CameraGroupGrant, grant_id)
    if row is None:
        raise NotFound("Quyền xem này không còn (có thể đã bị thu hồi).")
    group = _group(session, row.group_id)
    grantee = _grantee_name(session, row.agency_id, row.admin_unit_id)
    session.delete(row)
    who.record(session, "admin.camera_grant.remove", f"camera_group:{row.group_id}",
               {"before": {"group": group.name, "grantee": grantee, "agency_id": row.agency_id,
                           "admin_unit_id": row.admin_unit_id}, "after": None})


def _grantee_name(session: Session, agency_id: int | None, admin_unit_id: int | None) -> str:
    if agency_id is not None:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise InvalidInput("Cấp quyền: không có đơn vị này.")
        return agency.name
    unit = session.get(AdminUnit, admin_unit_id)
    if unit is None or unit.level in UPPER_LEVELS:
        raise InvalidInput("Cấp quyền: không có phường/xã này.")
    return unit.name


def grants(session: Session) -> list[GrantRow]:
    """Every grant, by group then grantee."""
    rows = session.execute(
        select(CameraGroupGrant.id, CameraGroupGrant.group_id, CameraGroup.name.label("group"),
               Agency.name.label("agency"), AdminUnit.name.label("unit"))
        .join(CameraGroup, CameraGroup.id == CameraGroupGrant.group_id)
        .outerjoin(Agency, Agency.id == CameraGroupGrant.agency_id)
        .outerjoin(AdminUnit, AdminUnit.id == CameraGroupGrant.admin_unit_id)
    ).all()
    found = [GrantRow(r.id, r.group_id, r.group, "agency" if r.agency is not None else "ward", r.agency or r.unit or "")
             for r in rows]
    return sorted(found, key=lambda g: (g.group, g.kind, g.grantee))


def grantee_choices(session: Session) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(agencies, wards) that a group can be granted to, as (id, name) by name."""
    agencies = session.execute(select(Agency.id, Agency.name).where(Agency.active).order_by(Agency.name))
    wards = session.execute(select(AdminUnit.id, AdminUnit.name).where(AdminUnit.level.not_in(UPPER_LEVELS))
                            .order_by(AdminUnit.name))
    return [(r.id, r.name) for r in agencies], [(r.id, r.name) for r in wards]
