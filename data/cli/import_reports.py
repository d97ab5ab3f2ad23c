"""TODO docstring."""

from __future__ import annotations
import argparse
import csv
import hashlib
import io
import json
import logging
import re
import secrets
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import String, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from data.db import bulk_insert, copy_frame
from data.errors import InvalidInput
from data.geo import UnitShape, polygons
from data.intake.pipeline import CODE_ALPHABET, CODE_LENGTH, load_places
from data.intake.submission import MAX_ADDRESS, MAX_DESCRIPTION, MAX_TITLE
from data.models import Agency, Category, Channel, ImportRun, Report, ReportEvent, ReportStatus, utcnow
from data.text import fold
from data.core.tabular import read_table
if TYPE_CHECKING:
    from data.runtime import Runtime


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
