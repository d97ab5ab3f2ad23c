"""Every command of the IOC: ``python -m data <command> [arguments]``.

Each command is a module of this package with a ``main(argv)``; the old module commands
(``python -m data.users``, ``data.apikeys``, ``data.geo``, ``data.report_import``,
``data.indicator_import``, ``data.worker``) still work and run the same ``main``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# command -> (module with its main, one line of help)
COMMANDS: dict[str, tuple[str, str]] = {
    "worker": ("data.worker", "run the job queue and the schedule over Redis"),
    "users": ("data.cli.users", "create, list, deactivate users; set a password"),
    "apikeys": ("data.cli.apikeys", "create, list, revoke Open311 API keys"),
    "geo": ("data.cli.geo", "import administrative boundaries and census population"),
    "import-reports": ("data.cli.import_reports", "import another system's reports from CSV/Excel"),
    "import-kpis": ("data.cli.import_kpis", "import KPI values, or write the template"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "usage: python -m data <command> [arguments]\n\ncommands:\n" + "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] not in COMMANDS:
        print(f"python -m data: unknown command {args[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    result: int = module.main(args[1:])
    return result
