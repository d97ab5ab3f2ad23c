"""Accounts as admins manage them (/admin/users): create with a one-time password, edit, (de)activate, reset.

Every change is one transaction that also writes its audit entry with the values before and after, and
every check runs before anything is written, so a refused change leaves nothing behind. A change names
the ``User.version`` the admin saw: the first statement of its transaction raises the version only if it
is still that one (an atomic ``UPDATE … WHERE version = :seen``, which also takes the row's lock), so of
two admins saving the same account at once the second gets ``Conflict`` instead of undoing the first.

The editable fields and their checks are the table ``FIELDS``: a column added to ``User`` (the ward of a
ward-scoped account) is one more line there and one on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.accounts import audit
from data.accounts.passwords import one_time_password
from data.accounts.users import change_password, hash_password, set_active
from data.core.errors import Conflict, FieldError, NotFound
from data.models import Agency, Role, User

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{2,99}")
NAME_MAX = 200


def _full_name(session: Session, value: object) -> str | None:
    text = str(value or "").strip()
    if len(text) > NAME_MAX:
        raise FieldError("full_name", "too_long", f"Họ tên dài quá {NAME_MAX} ký tự (full name too long).",
                         n=NAME_MAX)
    return text or None


def _role(session: Session, value: object) -> str:
    if value in (None, ""):
        raise FieldError("role", "role_required", "Chọn vai trò cho tài khoản (role required).")
    try:
        return Role(str(value or "")).value
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise FieldError("role", "unknown_role", f"Vai trò «{value}» không tồn tại; chọn một trong: {known} "
                                                 f"(no such role).", value=str(value), known=known) from None


def _agency(session: Session, value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        agency_id = int(str(value))
    except ValueError:
        agency_id = 0
    if not session.scalar(select(Agency.active).where(Agency.id == agency_id)):
        raise FieldError("agency_id", "unknown_agency", f"Không có đơn vị đang hoạt động số «{value}» "
                                                        f"(no such active agency).", value=str(value))
    return agency_id


def _flag(session: Session, value: object) -> bool:
    return bool(value)


# field -> its check, which returns the value to store. Order: the page's order.
FIELDS: dict[str, Callable[[Session, object], Any]] = {
    "full_name": _full_name,
    "role": _role,
    "agency_id": _agency,
    "must_change_password": _flag,
}
SHOWN = ("username", "active", *FIELDS)  # what the audit log records of an account, before and after


@dataclass(frozen=True)
class AccountRow:
    """One account as the list and the edit form show it."""

    id: int
    username: str
    full_name: str | None
    role: str
    agency_id: int | None
    agency: str | None
    active: bool
    must_change_password: bool
    last_login_at: datetime | None
    version: int

    def value(self, field: str) -> Any:
        """A field of ``FIELDS`` as the edit form holds it."""
        return getattr(self, field)


def accounts(session: Session, user_id: int | None = None) -> list[AccountRow]:
    """Every account by username (or only ``user_id``'s), with its agency's name."""
    query = (select(User, Agency.name).outerjoin(Agency, Agency.id == User.agency_id)
             .order_by(func.lower(User.username)))
    if user_id is not None:
        query = query.where(User.id == user_id)
    return [AccountRow(u.id, u.username, u.full_name, u.role, u.agency_id, agency, u.active,
                       u.must_change_password, u.last_login_at, u.version)
            for u, agency in session.execute(query)]


def _snapshot(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in SHOWN}


def _checked(session: Session, values: Mapping[str, object]) -> dict[str, Any]:
    """Each known field checked; then the rules between fields (agency staff need their agency)."""
    checked = {name: check(session, values.get(name)) for name, check in FIELDS.items() if name in values}
    if checked.get("role") == Role.AGENCY and checked.get("agency_id") is None:
        raise FieldError("agency_id", "agency_required", "Cán bộ đơn vị phải thuộc một đơn vị: chọn đơn vị "
                                                         "(agency staff need their agency).")
    if "role" in checked and checked["role"] != Role.AGENCY:
        checked["agency_id"] = None  # only agency staff are scoped to an agency
    return checked


def _check_username(session: Session, username: str) -> str:
    name = username.strip()
    if not USERNAME.fullmatch(name):
        raise FieldError("username", "bad_username", "Tên đăng nhập: 3–100 ký tự, chữ không dấu, số và . _ @ -, "
                                                     "không có dấu cách (username: 3–100 letters, digits, . _ @ -).")
    if session.scalar(select(User.id).where(func.lower(User.username) == name.lower())) is not None:
        raise FieldError("username", "taken", f"Tên đăng nhập «{name}» đã có người dùng (username taken).",
                         value=name)
    return name


def create_account(session: Session, who: audit.Who, username: str,
                   values: Mapping[str, object]) -> tuple[User, str]:
    """A new account with a one-time password, to be shown once and changed at the first login."""
    name = _check_username(session, username)
    checked = _checked(session, {"role": None} | dict(values))
    password = one_time_password()
    user = User(username=name, password_hash=hash_password(password), **checked)
    user.must_change_password = True
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # created by another admin between the check and now
        raise FieldError("username", "taken", f"Tên đăng nhập «{name}» đã có người dùng (username taken).",
                         value=name) from None
    audit.change(session, who, "user.create", f"user:{user.id}", None, _snapshot(user))
    return user, password


def _claim(session: Session, user_id: int, version: int) -> User:
    """The account, if it is still at ``version`` (now raised by one); else ``Conflict`` or ``NotFound``."""
    claimed = session.execute(update(User).where(User.id == user_id, User.version == version)
                              .values(version=User.version + 1).execution_options(synchronize_session=False))
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound(f"Không có tài khoản số {user_id} (no such account).")
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise Conflict(f"Tài khoản «{user.username}» vừa được người khác thay đổi; nạp lại để xem và làm lại "
                       f"(changed by someone else meanwhile: reload and try again).")
    return user


def _keeps_an_admin(session: Session, user: User, role: str, active: bool) -> None:
    """Refuse to take away the last active admin: nobody could manage accounts afterwards."""
    if user.role != Role.ADMIN or not user.active or (role == Role.ADMIN and active):
        return
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id))
    if not others:
        field = "role" if role != Role.ADMIN else "active"
        raise FieldError(field, "last_admin", "Đây là quản trị viên cuối cùng đang hoạt động: hãy tạo quản trị "
                                              "viên khác trước (the last active admin).")


def edit_account(session: Session, who: audit.Who, user_id: int, version: int,
                 values: Mapping[str, object]) -> User:
    """Change the fields of ``FIELDS`` given in ``values``; a new role or agency applies at the next request."""
    user = _claim(session, user_id, version)
    before = _snapshot(user)
    checked = _checked(session, {"role": user.role} | dict(values))
    _keeps_an_admin(session, user, checked["role"], user.active)
    for name, value in checked.items():
        setattr(user, name, value)
    audit.change(session, who, "user.edit", f"user:{user.id}", before, _snapshot(user))
    return user


def set_account_active(session: Session, who: audit.Who, user_id: int, version: int, active: bool) -> int:
    """(De)activate; a deactivated account is signed out everywhere at once. Returns sessions ended."""
    user = _claim(session, user_id, version)
    before = _snapshot(user)
    _keeps_an_admin(session, user, user.role, active)
    ended = set_active(session, user, active)
    audit.change(session, who, "user.activate" if active else "user.deactivate", f"user:{user.id}", before,
                 _snapshot(user) | {"sessions_ended": ended})
    return ended


def reset_account_password(session: Session, who: audit.Who, user_id: int, version: int) -> str:
    """A new one-time password (to show once); the user is signed out and must change it at the next login."""
    user = _claim(session, user_id, version)
    before = _snapshot(user)
    password = one_time_password()
    ended = change_password(session, user, password)
    user.must_change_password = True
    audit.change(session, who, "user.reset_password", f"user:{user.id}", before,
                 _snapshot(user) | {"sessions_ended": ended})
    return password
