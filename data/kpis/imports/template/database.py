"""The database side: the indicators and places validation needs, definitions added from the catalogue,
the current values, and the import written in chunks (a revised value supersedes the current one)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from data.core.catalogue import load_catalogue
from data.core.db import bulk_insert
from data.core.row_checks import ValidationResult, stored_problems
from data.kpis.catalogue import indicator_rows
from data.kpis.imports.template.layout import KEY, MESSAGES
from data.kpis.imports.template.parsing import IndicatorContext, IndicatorSpec, places_index
from data.kpis.imports.template.revisions import Plan, plan_changes
from data.kpis.imports.template.validation import validate
from data.models import AdminUnit, Agency, ImportRun, Indicator, IndicatorValue, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)
CHUNK_ROWS = 5000  # one transaction each


def catalogue_specs() -> dict[str, IndicatorSpec]:
    """The catalogue's indicators (data/demo_data/catalogue.toml) by code."""
    return {r["code"].casefold(): IndicatorSpec(r["code"], r["name"], r["name_en"], r["unit"], r["frequency"],
                                                r["geography"]) for r in indicator_rows(load_catalogue())}


def indicator_specs(session: Session) -> dict[str, IndicatorSpec]:
    """The catalogue's indicators, and those of the database (which win: they may have been edited)."""
    specs = catalogue_specs()
    for i in session.scalars(select(Indicator)):
        specs[i.code.casefold()] = IndicatorSpec(i.code, i.name, i.name_en, i.unit, i.frequency, i.geography, i.id)
    return specs


def context_of(runtime: Runtime, session: Session) -> IndicatorContext:
    """The indicators, units, agencies and today's date, as ``validate`` needs them."""
    settings = runtime.settings
    units = [(r.id, r.code, r.name) for r in session.execute(select(AdminUnit.id, AdminUnit.code, AdminUnit.name))]
    agencies = [(r.id, r.code, r.name) for r in session.execute(select(Agency.id, Agency.code, Agency.name))]
    return IndicatorContext(indicator_specs(session), places_index(units, agencies, settings.indicator_city_names),
                            datetime.now(settings.tz).date())


def define_indicators(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """Ids of these indicators, adding the definitions that are only in the catalogue yet."""
    wanted = {c.casefold() for c in codes}
    existing = {code.casefold(): id_ for code, id_ in session.execute(select(Indicator.code, Indicator.id))}
    missing = [r | {"is_demo": False} for r in indicator_rows(load_catalogue())
               if r["code"].casefold() in wanted - set(existing)]
    if missing:
        session.add_all(Indicator(**row) for row in missing)
        session.flush()
        existing = {code.casefold(): id_ for code, id_ in session.execute(select(Indicator.code, Indicator.id))}
    return {code: existing[code] for code in wanted if code in existing}


def _current_values(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    ids = sorted({int(i) for i in rows["indicator_id"].dropna()})
    periods = sorted(set(rows["period"]))
    if not ids:
        return pd.DataFrame(columns=["id", *KEY, "value"])
    query = select(IndicatorValue.id, *(getattr(IndicatorValue, c) for c in KEY), IndicatorValue.value).where(
        IndicatorValue.superseded.is_(False), IndicatorValue.indicator_id.in_(ids), IndicatorValue.period.in_(periods))
    return pd.DataFrame(session.execute(query).all(), columns=["id", *KEY, "value"])


def _optional_ints(values: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in values]


def _value_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {"indicator_id": indicator, "period": period, "period_start": start, "admin_unit_id": unit,
         "agency_id": agency, "place": place, "value": float(value), "target": None, "source": source,
         "received_at": now, "superseded": False, "is_demo": False}
        for indicator, period, start, unit, agency, place, value, source in zip(
            _optional_ints(rows["indicator_id"]), rows["period"], rows["period_start"],
            _optional_ints(rows["admin_unit_id"]), _optional_ints(rows["agency_id"]),
            rows["place"].astype(object).where(rows["place"].notna(), None), rows["value"],
            rows["source"].astype(object).where(rows["source"].notna(), None), strict=True)
    ]


def _serialise_writers(session: Session) -> None:
    """Two imports of overlapping values must not both add a current value: one waits for the other.
    (SQLite lets one writer at a time anyway.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ioc:indicator_values'))"))


def _write_chunk(runtime: Runtime, chunk: pd.DataFrame, run_id: int) -> Plan:
    """One transaction: supersede the revised values, add the new rows, count them in the run."""
    with runtime.session() as session:
        _serialise_writers(session)
        plan = plan_changes(chunk, _current_values(session, chunk))
        if plan.supersede:
            session.execute(update(IndicatorValue).where(IndicatorValue.id.in_(plan.supersede))
                            .values(superseded=True))
        bulk_insert(session, IndicatorValue, _value_rows(plan.insert))
        session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
            rows_imported=ImportRun.rows_imported + len(plan.insert)))
    return plan


@dataclass
class IndicatorImportSummary:
    """What one import (or dry run) did, or would do; ``validation`` holds the per-row problems."""

    run_id: int
    filename: str
    dry_run: bool
    validation: ValidationResult
    new: int = 0
    revised: int = 0
    unchanged: int = 0

    def add(self, plan: Plan) -> None:
        self.new += plan.new
        self.revised += plan.revised
        self.unchanged += plan.unchanged

    def text(self) -> str:
        v = self.validation
        would = "sẽ " if self.dry_run else ""
        lines = [
            f"{'Chạy thử' if self.dry_run else 'Nhập'} chỉ số «{self.filename}» (lần nhập #{self.run_id}):",
            f"  dòng đọc được: {v.rows_total}; hợp lệ: {v.rows_kept}; bỏ qua vì lỗi: {v.rows_skipped}",
            f"  giá trị mới {would}thêm: {self.new}; {would}sửa (bản cũ giữ lại): {self.revised}; "
            f"không đổi: {self.unchanged}",
        ]
        for key, count in v.counts().items():
            reason = key.split(":", 1)[1]
            lines.append(f"    {reason}: {count} – {MESSAGES[reason]}")
        return "\n".join(lines)


def import_frame(runtime: Runtime, frame: pd.DataFrame, *, name: str, sha256: str, dry_run: bool,
                 user_id: int | None = None, default_source: str | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> IndicatorImportSummary:
    """Validate template rows and (unless ``dry_run``) write them; the ImportRun keeps the report."""
    name = name[:300]
    with runtime.session() as session:
        result = validate(frame, context_of(runtime, session), default_source=default_source or name)
        run = ImportRun(kind="indicators", filename=name, sha256=sha256, dry_run=dry_run, user_id=user_id,
                        rows_total=result.rows_total, rows_skipped=result.rows_skipped,
                        problems=stored_problems(result.problems))
        session.add(run)
        session.flush()
        summary = IndicatorImportSummary(run.id, name, dry_run, result)
        rows = result.rows
        if dry_run:
            summary.add(plan_changes(rows, _current_values(session, rows)))
        elif len(rows):
            ids = define_indicators(session, set(rows["indicator_code"]))
            rows = rows.assign(indicator_id=rows["indicator_code"].map(ids).astype("Int64"))
    if not dry_run:
        for start in range(0, len(rows), chunk_rows):
            summary.add(_write_chunk(runtime, rows.iloc[start:start + chunk_rows], run.id))
        if summary.new or summary.revised:
            from data.kpis.alerts import raise_threshold_alerts

            # A value just written may be red: the same alerts as computed KPIs raise, after the commit.
            raise_threshold_alerts(runtime, sorted({int(i) for i in rows["indicator_id"].dropna()}))
    with runtime.session() as session:
        session.execute(update(ImportRun).where(ImportRun.id == run.id).values(finished_at=utcnow()))
    log.info("indicator import #%s %s: %s rows, %s new, %s revised, %s unchanged, %s skipped", run.id, name,
             result.rows_total, summary.new, summary.revised, summary.unchanged, result.rows_skipped)
    return summary
