"""``python -m data apikeys``: create NAME (the key is shown once), revoke ID, list."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import select

from data.accounts.apikeys import create_api_key, revoke_api_key
from data.core.errors import IocError
from data.models import ApiKey, Channel


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data.apikeys", description="Khoá API Open311 / Open311 API keys")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="tạo khoá mới (chỉ hiện một lần)")
    create.add_argument("name", help="tên ứng dụng hoặc đối tác dùng khoá")
    create.add_argument("--channel", default=Channel.OPEN311,
                        choices=[c.value for c in Channel] + ["sensors", "vessels"],
                        help="open311 (default); sensors: environment sensors' /api/sensors/readings; "
                             "vessels: fishing-vessel positions, /api/vessels/positions")
    sub.add_parser("list", help="liệt kê các khoá (không hiện khoá)")
    revoke = sub.add_parser("revoke", help="thu hồi một khoá")
    revoke.add_argument("id", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from data.core.settings import load_settings
    from data.runtime import build_runtime

    args = _parser().parse_args(argv)
    try:
        runtime = build_runtime(load_settings())
    except IocError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    try:
        with runtime.session() as session:
            if args.command == "create":
                row, key = create_api_key(session, args.name, args.channel)
                print(f"Khoá API số {row.id} cho «{row.name}» (chỉ hiện một lần, hãy lưu lại):\n{key}")
            elif args.command == "list":
                for row in session.scalars(select(ApiKey).order_by(ApiKey.id)):
                    state = "active" if row.active else "revoked"
                    print(f"{row.id:4} {state:8} {row.name}  created {row.created_at:%Y-%m-%d}  "
                          f"last used {row.last_used_at or '-'}")
            else:
                row = revoke_api_key(session, args.id)
                print(f"Đã thu hồi khoá số {row.id} ({row.name}).")
    except IocError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
    return 0
