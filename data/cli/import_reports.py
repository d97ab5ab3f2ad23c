"""``python -m data import-reports FILE --mapping M.toml [--dry-run] [--report R.csv]``: another system's reports in."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from data.cli.reporting import run_import_cli
from data.core.errors import InvalidInput
from data.intake.bulk.reports import import_reports, load_mapping, preset, presets, source_name

if TYPE_CHECKING:
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data.report_import", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help=".csv, .xlsx or point .geojson")
    parser.add_argument("--preset", choices=sorted(presets()), help="a shipped mapping (data/import_presets/)")
    parser.add_argument("--mapping", type=Path, help="a mapping file (.json or .toml); overrides --preset")
    parser.add_argument("--source", help="the source's name, scope of the duplicate check (default: the mapping's)")
    parser.add_argument("--dry-run", action="store_true", help="check only; write nothing but the ImportRun")
    parser.add_argument("--report", type=Path, help="write the per-row problems to this CSV")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.mapping and not args.preset:
        print("Cần --preset hoặc --mapping.", file=sys.stderr)
        return 2
    try:
        mapping = load_mapping(args.mapping) if args.mapping else preset(args.preset)
        if args.source is not None:
            mapping = mapping.model_copy(update={"source": source_name(args.source)})
    except InvalidInput as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return run_import_cli(lambda runtime: import_reports(runtime, args.file, mapping, dry_run=args.dry_run),
                          args.report)
