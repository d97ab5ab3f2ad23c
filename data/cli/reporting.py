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
from data.cli.import_reports import main
if TYPE_CHECKING:
    from data.runtime import Runtime


class Reported(Protocol):
    """What an import answers the CLI: a summary to print and the per-row problems."""

    validation: ValidationResult

    def text(self) -> str: ...


def run_import_cli(work: Callable[[Runtime], Reported | None], report: Path | None) -> int:
    """The import CLIs' common part: a runtime for ``work``, its summary printed, its problems written to
    ``report``; a user's mistake is one line on stderr and exit status 1 (``work`` answering None: done)."""
    from data.runtime import build_runtime
    from data.settings import load_settings

    try:
        runtime = build_runtime(load_settings())
        try:
            summary = work(runtime)
        finally:
            runtime.close()
    except (InvalidInput, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if summary is None:
        return 0
    print(summary.text())
    if report:
        report.write_bytes(summary.validation.problems_csv())
        print(f"Báo cáo từng dòng: {report}")
    return 0
