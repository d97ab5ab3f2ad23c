"""The import itself: record an ``ImportRun`` and, unless it is a dry run, write the kept rows in chunks,
one transaction each, so a crash mid-way is healed by re-running."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.core.row_checks import ValidationResult, stored_problems
from data.core.tabular import read_table
from data.intake.bulk.reports.earlier import already_imported, find_earlier, import_keys
from data.intake.bulk.reports.inserts import insert_events, insert_reports
from data.intake.bulk.reports.mapping import ColumnMapping
from data.intake.bulk.reports.summary import ImportSummary
from data.intake.bulk.reports.validation import ImportContext, validate
from data.intake.pipeline import load_places
from data.models import Agency, Category, ImportRun, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)
CHUNK_ROWS = 5000  # one transaction each: a crash leaves whole chunks, a re-run adds the rest


def context_of(runtime: Runtime, session: Session) -> ImportContext:
    """The city's box, units, categories and agencies, as validation needs them."""
    settings = runtime.settings
    places = load_places(session, settings.database_url)
    categories = {code: id_ for id_, code in session.execute(select(Category.id, Category.code))}
    agencies = {code: id_ for id_, code in session.execute(select(Agency.id, Agency.code))}
    return ImportContext(
        bbox=settings.intake_bbox or places.bbox,
        levels=places.levels,
        require_unit=places.bbox is not None and settings.intake_bbox is None,
        category_ids=categories,
        agency_ids=agencies,
    )


def import_reports(runtime: Runtime, path: Path | None, mapping: ColumnMapping, *, dry_run: bool,
                   user_id: int | None = None, content: bytes | None = None, filename: str | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> ImportSummary:
    """Validate a file and (unless ``dry_run``) write its good rows; the ImportRun keeps the report."""
    raw = content if content is not None else (path.read_bytes() if path else b"")
    name = (filename or (path.name if path else "upload.csv"))[:300]
    frame = read_table(raw, name)
    tz = runtime.settings.tz
    with runtime.session() as session:
        result = validate(frame, mapping, context_of(runtime, session))
        # A dry run says, row by row, what the import would skip as imported before.
        already = [already_imported(session, result.rows, mapping, tz)] if dry_run else []
        run = ImportRun(kind="reports", filename=name, sha256=hashlib.sha256(raw).hexdigest(), dry_run=dry_run,
                        user_id=user_id, rows_total=result.rows_total, rows_skipped=result.rows_skipped,
                        problems=stored_problems(result.problems))
        session.add(run)
        session.flush()
        summary = ImportSummary(run.id, name, run.sha256, dry_run, result, source=mapping.source)
    if not dry_run:
        for start in range(0, len(result.rows), chunk_rows):
            created, existing = _write_chunk(runtime, result.rows.iloc[start:start + chunk_rows], mapping,
                                             run.id, user_id)
            summary.imported += created
            already.append(existing)
    summary.already_imported = sum(len(found) for found in already)
    result.add_problems(pd.concat(already, ignore_index=True) if already else pd.DataFrame())
    with runtime.session() as session:
        session.execute(update(ImportRun).where(ImportRun.id == run.id).values(
            finished_at=utcnow(), rows_skipped=summary.skipped, problems=stored_problems(result.problems)))
    log.info("report import #%s %s: %s rows, %s imported, %s skipped", run.id, name, result.rows_total,
             summary.imported, summary.skipped)
    return summary


def check_file(runtime: Runtime, content: bytes, filename: str, mapping: ColumnMapping) -> ValidationResult:
    """What a dry run finds, without recording a run: every row's problems, rows imported before included."""
    frame = read_table(content, filename)
    with runtime.session() as session:
        result = validate(frame, mapping, context_of(runtime, session))
        result.add_problems(already_imported(session, result.rows, mapping, runtime.settings.tz))
    return result


def _write_chunk(runtime: Runtime, chunk: pd.DataFrame, mapping: ColumnMapping, run_id: int,
                 user_id: int | None) -> tuple[int, pd.DataFrame]:
    """One transaction: the chunk's new reports, their first events, the run's progress.

    Answers the number created and one problem per row that an earlier import wrote already."""
    keys = import_keys(chunk, mapping)
    for attempt in range(5):
        try:
            with runtime.session() as session:
                existing = find_earlier(session, keys)
                new = ~pd.Series(keys).isin(set(existing)).to_numpy()  # hashed (np.isin on strings is quadratic)
                fresh, fresh_keys = chunk[new], keys[new]
                if len(fresh):
                    insert_reports(session, runtime.settings.city_code, fresh, fresh_keys, mapping, run_id)
                    insert_events(session, fresh, fresh_keys, run_id, user_id, mapping)
                session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
                    rows_imported=ImportRun.rows_imported + len(fresh)))
                return len(fresh), already_imported(session, chunk, mapping, runtime.settings.tz, existing)
        except Exception as exc:
            # A tracking-code collision (at 31**7 codes, about one per 200,000 rows imported) or a
            # concurrent import of the same rows: the chunk was rolled back whole; try it again.
            # COPY raises the driver's own UniqueViolation, not SQLAlchemy's IntegrityError.
            if not _unique_violation(exc) or attempt == 4:
                raise
            log.warning("import #%s: chunk retried after %s", run_id, str(exc).splitlines()[0])
    raise AssertionError("unreachable")


def _unique_violation(exc: BaseException) -> bool:
    return isinstance(exc, IntegrityError) or getattr(exc, "sqlstate", None) == "23505"
