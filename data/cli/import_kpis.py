"""``python -m data import-kpis FILE [--adapter A] [--dry-run]``, or ``--template T.xlsx``: KPI values in."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from data.cli.reporting import run_import_cli
from data.kpis.imports.files import import_file
from data.kpis.imports.template import indicator_specs, template_csv, template_xlsx

if TYPE_CHECKING:
    from data.core.runtime import Runtime


def _parser() -> argparse.ArgumentParser:
    from data.kpis.imports.adapters import ADAPTERS

    parser = argparse.ArgumentParser(prog="python -m data.indicator_import", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, nargs="?", help=".csv or .xlsx in the template (or an adapter's format)")
    parser.add_argument("--adapter", choices=sorted(ADAPTERS), help="read a national statistics file")
    parser.add_argument("--dry-run", action="store_true", help="check only; write nothing but the ImportRun")
    parser.add_argument("--report", type=Path, help="write the per-row problems to this CSV")
    parser.add_argument("--template", type=Path, help="write the template (.csv or .xlsx) to this file and stop")
    return parser


def write_template(runtime: Runtime, path: Path) -> None:
    """The template (.xlsx, else .csv) with the catalogue's indicators, written to ``path``."""
    with runtime.session() as session:
        specs = indicator_specs(session).values()
    today = datetime.now(runtime.settings.tz).date()
    path.write_bytes((template_xlsx if path.suffix == ".xlsx" else template_csv)(specs, today))
    print(f"Tệp mẫu: {path}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.template:
        return run_import_cli(lambda runtime: write_template(runtime, args.template), None)
    if not args.file:
        print("Cần tệp cần nhập, hoặc --template.", file=sys.stderr)
        return 2
    return run_import_cli(lambda runtime: import_file(runtime, args.file.read_bytes(), args.file.name,
                                                      dry_run=args.dry_run, adapter=args.adapter), args.report)
