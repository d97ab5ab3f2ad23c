"""TODO docstring."""

from __future__ import annotations
import argparse
import hashlib
import io
import logging
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session
from data.db import bulk_insert
from data.errors import InvalidInput
from data.kpi import period_of
from data.models import AdminUnit, Agency, ImportRun, Indicator, IndicatorValue, utcnow
from data.provinces import known_places, place_key
from data.report_import import (
    RowChecks,
    ValidationResult,
    per_unique,
    read_table,
    run_import_cli,
    stored_problems,
)
from data.text import fold
if TYPE_CHECKING:
    from data.runtime import Runtime


def _parser() -> argparse.ArgumentParser:
    from data.indicator_adapters import ADAPTERS

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
