"""A KPI file as a user hands it over: the template itself, or a foreign file through its adapter."""

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
from data.indicator_adapters import adapt
from data.indicator_import import IndicatorImportSummary, ValidationResult, context_of, import_frame, validate
from data.core.catalogue import load_catalogue
from data.kpis.catalogue import indicator_rows
if TYPE_CHECKING:
    from data.runtime import Runtime


def import_file(runtime: Runtime, content: bytes, filename: str, *, dry_run: bool, adapter: str | None = None,
                user_id: int | None = None) -> IndicatorImportSummary:
    """A template file, or a foreign one through its adapter (data.indicator_adapters), imported."""
    frame, source = adapt(read_table(content, filename), adapter)
    return import_frame(runtime, frame, name=filename, sha256=hashlib.sha256(content).hexdigest(), dry_run=dry_run,
                        user_id=user_id, default_source=source or filename)


def check_file(runtime: Runtime, content: bytes, filename: str, adapter: str | None = None) -> ValidationResult:
    """The per-row report of a file, recording nothing (for a report downloaded after a dry run)."""
    frame, source = adapt(read_table(content, filename), adapter)
    with runtime.session() as session:
        return validate(frame, context_of(runtime, session), default_source=source or filename)
