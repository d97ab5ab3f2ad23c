"""A KPI file as a user hands it over: the template itself, or a foreign file through its adapter."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from data.core.tabular import read_table
from data.kpis.imports.adapters import adapt
from data.kpis.imports.template import IndicatorImportSummary, ValidationResult, context_of, import_frame, validate

if TYPE_CHECKING:
    from data.core.runtime import Runtime


def import_file(runtime: Runtime, content: bytes, filename: str, *, dry_run: bool, adapter: str | None = None,
                user_id: int | None = None) -> IndicatorImportSummary:
    """A template file, or a foreign one through its adapter (data.kpis.imports.adapters), imported."""
    frame, source = adapt(read_table(content, filename), adapter)
    return import_frame(runtime, frame, name=filename, sha256=hashlib.sha256(content).hexdigest(), dry_run=dry_run,
                        user_id=user_id, default_source=source or filename)


def check_file(runtime: Runtime, content: bytes, filename: str, adapter: str | None = None) -> ValidationResult:
    """The per-row report of a file, recording nothing (for a report downloaded after a dry run)."""
    frame, source = adapt(read_table(content, filename), adapter)
    with runtime.session() as session:
        return validate(frame, context_of(runtime, session), default_source=source or filename)
