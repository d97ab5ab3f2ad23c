"""Who may watch which camera: the one check every camera route, the wall, the map and the gateway ask.

Operators, leaders, analysts and admins see every camera (whether a role may watch video at all is
the page's business: ``PAGE_ROLES["cameras"]``). Agency staff and ward-scoped users (a user with a
ward, ``users.admin_unit_id``) see only the cameras of the groups granted to their agency or their
ward (``camera_group_grants``); a camera in no group is for the city's own roles only. The scope is
read from the database on every request, so a grant or a withdrawal counts at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from data.core.errors import Forbidden, NotFound
from data.models import Camera, CameraGroupGrant, Role, User


@dataclass(frozen=True)
class CameraScope:
    """The cameras one user may see: all of them, or those of some groups."""

    everything: bool
    group_ids: frozenset[int] = frozenset()

    def allows(self, group_id: int | None) -> bool:
        return self.everything or (group_id is not None and group_id in self.group_ids)

    def where(self) -> ColumnElement[bool]:
        """A condition on ``Camera`` rows: those this scope sees."""
        if self.everything:
            return true()
        if not self.group_ids:
            return false()
        return Camera.group_id.in_(sorted(self.group_ids))


EVERYTHING = CameraScope(everything=True)
NOTHING = CameraScope(everything=False)


def is_scoped(role: Role | str, admin_unit_id: int | None) -> bool:
    """Whether a user of this role (and ward) sees only granted groups: agency staff and ward users (not admins)."""
    role = Role(role)
    if role == Role.ADMIN:
        return False
    return role == Role.AGENCY or admin_unit_id is not None


def scope_of_user(session: Session, user: User) -> CameraScope:
    """The cameras ``user`` may see (nothing for an account that is not active)."""
    if not user.active:
        return NOTHING
    if not is_scoped(user.role, user.admin_unit_id):
        return EVERYTHING
    grantees = []
    if user.agency_id is not None:
        grantees.append(CameraGroupGrant.agency_id == user.agency_id)
    if user.admin_unit_id is not None:
        grantees.append(CameraGroupGrant.admin_unit_id == user.admin_unit_id)
    if not grantees:
        return NOTHING
    groups = session.scalars(select(CameraGroupGrant.group_id).where(or_(*grantees))).all()
    return CameraScope(everything=False, group_ids=frozenset(groups))


def scope_of(session: Session, user_id: int | None) -> CameraScope:
    """The cameras the user with this id may see; nothing for no user or an unknown one."""
    user = session.get(User, user_id) if user_id is not None else None
    return scope_of_user(session, user) if user is not None else NOTHING


def viewable_camera(session: Session, user_id: int | None, camera_id: int) -> Camera:
    """The enabled camera ``camera_id`` if this user may watch it: NotFound (404) or Forbidden (403) otherwise."""
    camera = session.get(Camera, camera_id)
    if camera is None or not camera.enabled:
        raise NotFound("Không tìm thấy camera (hoặc camera đã bị tắt).")
    if not scope_of(session, user_id).allows(camera.group_id):
        raise Forbidden("Tài khoản này không được xem camera này: nhóm camera của nó chưa được cấp cho "
                        "đơn vị hoặc phường của bạn.")
    return camera
