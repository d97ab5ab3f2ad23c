"""Users, roles and passwords (argon2).

CLI: ``python -m data.users create USERNAME --role admin``, ``passwd USERNAME``, ``deactivate USERNAME``,
``activate USERNAME``. A new password or a deactivation ends every open session of the user.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import login_sessions
from data.errors import InvalidInput
from data.models import Role, User, utcnow

_HASHER = PasswordHasher()
MIN_PASSWORD = 10

# What each role may open; the public transparency page needs no login at all.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "overview": frozenset(Role),
    "map": frozenset(Role),
    "cameras": frozenset({Role.OPERATOR, Role.LEADER, Role.ADMIN}),
    "reports": frozenset({Role.OPERATOR, Role.ANALYST, Role.AGENCY, Role.ADMIN, Role.LEADER}),
    "kpis": frozenset(Role),
    "hotline": frozenset({Role.OPERATOR, Role.ADMIN}),
    "imports": frozenset({Role.OPERATOR, Role.ADMIN}),
    "audit": frozenset({Role.ADMIN}),
    "warnings": frozenset({Role.OPERATOR, Role.ADMIN}),
    "alerts": frozenset({Role.OPERATOR, Role.LEADER, Role.ADMIN}),
    "environment": frozenset(Role),
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
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.last_login_at = utcnow()
    return user


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data.users", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    create = sub.add_parser("create", help="add a user (asks for the password, or reads IOC_NEW_PASSWORD)")
    create.add_argument("username")
    create.add_argument("--role", choices=[r.value for r in Role], required=True)
    create.add_argument("--full-name")
    create.add_argument("--agency-id", type=int)
    sub.add_parser("passwd", help="set a new password (asked, or IOC_NEW_PASSWORD); signs the user out "
                                  "everywhere").add_argument("username")
    sub.add_parser("deactivate", help="refuse the user's logins and sign them out everywhere").add_argument("username")
    sub.add_parser("activate", help="allow the user's logins again").add_argument("username")
    return parser


def _run(session: Session, args: argparse.Namespace) -> str:
    if args.cmd == "create":
        create_user(session, args.username, _new_password(), args.role, full_name=args.full_name,
                    agency_id=args.agency_id)
        return f"created {args.role} {args.username}"
    user = find_user(session, args.username)
    if args.cmd == "passwd":
        ended = change_password(session, user, _new_password())
    else:
        ended = set_active(session, user, args.cmd == "activate")
    return f"{args.cmd} {args.username}: {ended} open session(s) ended"


def _new_password() -> str:
    return os.environ.get("IOC_NEW_PASSWORD") or getpass.getpass("Mật khẩu / Password: ")


def main(argv: list[str] | None = None) -> int:
    from data.runtime import build_runtime
    from data.settings import load_settings

    args = _parser().parse_args(argv)
    runtime = build_runtime(load_settings())
    try:
        with runtime.session() as session:
            done = _run(session, args)
    except InvalidInput as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        runtime.close()
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
