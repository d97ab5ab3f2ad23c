"""``python -m data users``: create USERNAME --role admin, passwd USERNAME, deactivate USERNAME, list."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy.orm import Session

from data.accounts.users import change_password, create_user, find_user, set_active
from data.core.errors import InvalidInput
from data.models import Role


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
    from data.core.settings import load_settings
    from data.runtime import build_runtime

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
