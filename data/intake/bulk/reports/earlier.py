"""Rows imported before: ``idempotency_key = import:<source>:<id>`` finds them, so a re-run, or an
overlapping file, creates nothing twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import numpy as np
import pandas as pd
from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from data.core.row_checks import PROBLEM_COLUMNS
from data.intake.bulk.reports.mapping import ColumnMapping
from data.models import ImportRun, Report


def import_keys(rows: pd.DataFrame, mapping: ColumnMapping) -> np.ndarray:
    """Each row's idempotency key: ``import:<source>:<id>``, so a source's id is imported once."""
    return ("import:" + mapping.source + ":" + rows["external_id"].astype(str)).to_numpy()


def already_imported(session: Session, rows: pd.DataFrame, mapping: ColumnMapping, tz: tzinfo,
                     existing: Mapping[str, Earlier] | None = None) -> pd.DataFrame:
    """One problem per row whose source and id were imported before: when, by which run, as which report."""
    keys = import_keys(rows, mapping)
    found = find_earlier(session, keys) if existing is None else existing
    hit = pd.Series(keys).isin(set(found)).to_numpy()
    if not hit.any():
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    said: dict[int | None, tuple[str, str]] = {}  # per earlier import: the text around the report's code
    messages = []
    for earlier in (found[key] for key in keys[hit]):
        if earlier.run_id not in said:
            said[earlier.run_id] = _already_message(mapping.source, earlier, tz)
        head, tail = said[earlier.run_id]
        messages.append(head + earlier.tracking_code + tail)
    return pd.DataFrame({"row": rows["row"].to_numpy()[hit], "column": mapping.external_id or "",
                         "value": rows["external_id"].astype(str).to_numpy()[hit], "severity": "error",
                         "reason": "already_imported", "message": messages})


@dataclass(frozen=True)
class Earlier:
    """The report an earlier import made of a key, and that import (None when it is gone)."""

    tracking_code: str
    run_id: int | None
    run_at: datetime | None


def _already_message(source: str, earlier: Earlier, tz: tzinfo) -> tuple[str, str]:
    """The text before and after the report's code (the same for every row of one earlier import)."""
    if earlier.run_at is None:
        return "Đã có phản ánh ", f" từ nguồn «{source}» với cùng mã gốc; bỏ qua."
    when = earlier.run_at.replace(tzinfo=UTC).astimezone(tz)
    return (f"Đã nhập từ nguồn «{source}» lúc {when:%d/%m/%Y %H:%M} (lần nhập #{earlier.run_id}), "
            "thành phản ánh ", "; bỏ qua.")


def find_earlier(session: Session, keys: np.ndarray) -> dict[str, Earlier]:
    """The keys already in the database, with their report and the import that wrote it."""
    run = Report.attributes["import_run"].as_integer()
    query = (select(Report.idempotency_key, Report.tracking_code, ImportRun.id, ImportRun.started_at)
             .outerjoin(ImportRun, ImportRun.id == run))
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of thousands of bound ones: no giant statement to parse.
        batches = [query.where(Report.idempotency_key == any_(bindparam("keys", keys.tolist(), type_=ARRAY(String))))]
    else:  # well under SQLite's limit of bound parameters
        batches = [query.where(Report.idempotency_key.in_(keys[start:start + 2000].tolist()))
                   for start in range(0, len(keys), 2000)]
    return {str(key): Earlier(code, run_id, at) for batch in batches
            for key, code, run_id, at in session.execute(batch)}
