"""Users, roles and passwords (argon2).

CLI: ``python -m data.users create USERNAME --role admin``, ``passwd USERNAME``, ``deactivate USERNAME``,
``activate USERNAME``. A new password or a deactivation ends every open session of the user.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.accounts import sessions as login_sessions
from data.core.errors import InvalidInput
from data.models import Role, User, utcnow

_HASHER = PasswordHasher()
MIN_PASSWORD = 10

# What each role may open; the public transparency page needs no login at all.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "overview": frozenset(Role),
    "map": frozenset(Role),
    # Agency staff see only the camera groups granted to them (data/cameras/access.py).
    "cameras": frozenset({Role.OPERATOR, Role.LEADER, Role.AGENCY, Role.ADMIN}),
    "reports": frozenset({Role.OPERATOR, Role.ANALYST, Role.AGENCY, Role.ADMIN, Role.LEADER}),
    "kpis": frozenset(Role),
    "hotline": frozenset({Role.OPERATOR, Role.ADMIN}),
    "imports": frozenset({Role.OPERATOR, Role.ADMIN}),
    "audit": frozenset({Role.ADMIN}),
    "warnings": frozenset({Role.OPERATOR, Role.ADMIN}),
    "alerts": frozenset({Role.OPERATOR, Role.LEADER, Role.ADMIN}),
    "environment": frozenset(Role),
    "admin": frozenset({Role.ADMIN}),  # /admin and every page under it (ids ``admin-…``)
}
# Roles that may read a reporter's name and phone (sealed from agencies and the public).
SEES_REPORTER = frozenset({Role.OPERATOR, Role.ADMIN})


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự (password too short).")
    return _HASHER.hash(password)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    full_name: str | None = None,
    agency_id: int | None = None,
) -> User:
    """Add a user; the role must be one of ``Role`` and the name must be free."""
    role = Role(role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput(f"Tên đăng nhập '{username}' đã tồn tại (username taken).")
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        agency_id=agency_id,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same answer for both mistakes)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        _HASHER.hash(password)  # spend the same time as a real check: names cannot be probed
        return None
    if not verify_password(user, password):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.last_login_at = utcnow()
    return user


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's (argon2's own comparison, in constant time)."""
    try:
        return bool(_HASHER.verify(user.password_hash, password))
    except (VerifyMismatchError, InvalidHashError):
        return False


def change_password(session: Session, user: User, new_password: str) -> int:
    """Set a new password and end every open session of the user (a cookie stolen before dies with the
    old password); how many sessions ended."""
    user.password_hash = hash_password(new_password)
    return login_sessions.end_all(session, user.id, "password")


def set_active(session: Session, user: User, active: bool) -> int:
    """(De)activate an account; a deactivated one is signed out everywhere at once. Sessions ended."""
    user.active = active
    return 0 if active else login_sessions.end_all(session, user.id, "deactivated")


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InvalidInput(f"Không có tài khoản '{username}' (no such user).")
    return user


def ensure_admin(session: Session, username: str | None, password: str | None) -> bool:
    """Create the first admin from IOC_ADMIN_USERNAME / IOC_ADMIN_PASSWORD if it does not exist."""
    if not username or not password:
        return False
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        return False
    create_user(session, username, password, Role.ADMIN, full_name="Quản trị viên")
    return True


DEMO_ACCOUNTS = (
    ("admin", Role.ADMIN, "Quản trị viên"),
    ("vanhanh", Role.OPERATOR, "Nguyễn Thị Vận Hành"),
    ("lanhdao", Role.LEADER, "Trần Văn Lãnh Đạo"),
    ("phantich", Role.ANALYST, "Lê Thị Phân Tích"),
    ("donvi", Role.AGENCY, "Phạm Văn Đơn Vị"),
)


def create_demo_accounts(session: Session, agency_id: int | None) -> dict[str, str]:
    """On a demo database without users: one account per role, each with a fresh random password."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return {}
    created = {}
    for username, role, full_name in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        create_user(session, username, password, role, full_name=full_name,
                    agency_id=agency_id if role == Role.AGENCY else None)
        created[username] = password
    return created
