"""Import KPI values from CSV/Excel in one long template, check every row, then write revisions.

The template holds one value per row (``template_csv``/``template_xlsx`` list the catalogue's codes)::

    indicator_code,period,geography,value,unit,source,note
    grdp_per_capita,2024,,84.1,triệu đồng,Cục Thống kê,
    dossiers_received,2024-10,so-xd,1250,hồ sơ,Bộ phận Một cửa,
    pci_score,2016,Đà Nẵng,70.0,điểm,VCCI,

``period`` is 2024, 2024-Q3, 2024-10 or 2024-10-31 and must match the indicator's frequency.
``geography`` is blank (the whole city), a ward/district code or name, an agency code or name, or
another province, the country or a region (kept in ``IndicatorValue.place``, for comparisons); the
city's own province under one of ``IOC_INDICATOR_CITY_NAMES`` is the city. ``unit`` may be blank;
otherwise it must be the catalogue's. ``note`` is for the people filling the file and is not stored.

1. ``read_table`` (data.intake.bulk.reports) reads the file as strings; for a foreign layout an adapter
   (data.kpis.imports.adapters) first turns it into the template;
2. ``validate`` (pure, vectorised) answers the rows to keep and one problem per row, numbered as the
   user sees the source file;
3. ``import_frame`` records an ``ImportRun`` and, unless it is a dry run, writes in chunks: a value
   that differs from the current one supersedes it (the old row stays, ``superseded``, as the revision
   history), an equal value changes nothing, so importing the same file again writes nothing.

CLI (the database comes from the settings, ``IOC_DATABASE_URL``)::

    python -m data.indicator_import FILE [--adapter gso|pci|papi|budget|census] [--dry-run] [--report problems.csv]
    python -m data.indicator_import --template mau-chi-so.xlsx
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from data.core.catalogue import load_catalogue
from data.core.db import bulk_insert
from data.core.errors import InvalidInput
from data.core.provinces import known_places, place_key
from data.core.text import fold
from data.intake.bulk.reports import RowChecks, ValidationResult, per_unique, stored_problems
from data.kpis.catalogue import indicator_rows
from data.kpis.status import period_of
from data.models import AdminUnit, Agency, ImportRun, Indicator, IndicatorValue, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

TEMPLATE_COLUMNS = ("indicator_code", "period", "geography", "value", "unit", "source", "note")
REQUIRED_COLUMNS = ("indicator_code", "period", "value")
# Set by adapters, which turn one source row into several: the source row (as the user numbers it)
# and the source column each value came from, so the report points into the file the user has.
SOURCE_ROW, SOURCE_COLUMN = "_row", "_column"
# Set by adapters of files where each row names its province: there a blank one is missing, not the city.
PLACE_REQUIRED = "_place_required"
CHUNK_ROWS = 5000  # one transaction each
KEY = ["indicator_id", "period", "admin_unit_id", "agency_id", "place"]  # one current value per key
FREQUENCY_NAMES = {"year": "năm", "quarter": "quý", "month": "tháng", "day": "ngày"}

MESSAGES: dict[str, str] = {
    "column_missing": "Tệp thiếu cột bắt buộc này; không nhập được dòng nào.",
    "indicator_missing": "Thiếu mã chỉ số.",
    "indicator_unknown": "Mã chỉ số không có trong danh mục chỉ số (xem tệp mẫu).",
    "period_missing": "Thiếu kỳ số liệu.",
    "period_unparseable": "Không đọc được kỳ: viết 2024 (năm), 2024-Q3 (quý), 2024-10 (tháng) hoặc 2024-10-31 (ngày).",
    "period_frequency": "Kỳ không khớp tần suất của chỉ số (năm, quý, tháng hay ngày).",
    "period_future": "Kỳ số liệu chưa bắt đầu (ở tương lai).",
    "value_missing": "Thiếu giá trị.",
    "value_not_number": "Giá trị không phải là số (không dùng dấu phân cách hàng nghìn; dấu thập phân là . hoặc ,).",
    "unit_mismatch": "Đơn vị khác đơn vị của chỉ số trong danh mục.",
    "place_missing": "Thiếu địa bàn: mỗi dòng của tệp này phải ghi tỉnh hoặc đơn vị.",
    "place_unknown": ("Không nhận ra địa bàn: ghi mã hoặc tên phường/xã, quận/huyện, mã hoặc tên cơ quan, "
                      "hoặc tên tỉnh; để trống là toàn thành phố."),
    "duplicate": "Trùng chỉ số, kỳ và địa bàn với một dòng phía trên; chỉ nhập dòng đầu tiên.",
}


class IndicatorImportError(InvalidInput):
    """An import that cannot start: no file, an unknown adapter, a file an adapter cannot read."""

    title = "Không nhập được chỉ số"


# ---------------------------------------------------------------------------------------------
# What validation knows of the city: plain data, so ``validate`` stays pure
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator as the import sees it; ``id`` is None while it is only in the catalogue."""

    code: str
    name: str
    name_en: str
    unit: str
    frequency: str
    geography: str = "city"
    id: int | None = None


@dataclass(frozen=True)
class Where:
    """What a geography cell means: one of our units, one of our agencies, a place outside, or the city."""

    admin_unit_id: int | None = None
    agency_id: int | None = None
    place: str | None = None


CITY = Where()


@dataclass(frozen=True)
class IndicatorContext:
    indicators: Mapping[str, IndicatorSpec]  # by code, lower case
    places: Mapping[str, Where]  # "code:<code>" and "name:<place key>" → where
    today: date  # the city's local date: later periods are in the future


def _unambiguous(pairs: Iterable[tuple[str, Where]]) -> dict[str, Where]:
    """Keys that name one thing only: two wards of the same name are found by their codes instead."""
    found: dict[str, set[Where]] = {}
    for key, where in pairs:
        found.setdefault(key, set()).add(where)
    return {key: next(iter(wheres)) for key, wheres in found.items() if len(wheres) == 1}


def places_index(units: Iterable[tuple[int, str, str]], agencies: Iterable[tuple[int, str, str]],
                 city_names: Iterable[str]) -> dict[str, Where]:
    """Every way a geography cell may name a place, strongest last: provinces < agencies < units < the city."""
    index = {f"name:{key}": Where(place=name) for key, name in known_places().items()}
    for rows, make in ((agencies, lambda i: Where(agency_id=i)), (units, lambda i: Where(admin_unit_id=i))):
        pairs = [(key, make(id_)) for id_, code, name in rows
                 for key in (f"code:{code.strip().casefold()}", f"name:{place_key(name)}")]
        index.update(_unambiguous(pairs))
    index.update({f"name:{place_key(name)}": CITY for name in city_names})
    return index


# ---------------------------------------------------------------------------------------------
# Parsing cells (pure)
# ---------------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-?Q([1-4])|-(\d{1,2})(?:-(\d{1,2}))?)?$")
_EXCEL_MIDNIGHT = re.compile(r"[ T]00:00(:00)?$")  # a date cell of Excel read as text
# A comma is the Vietnamese decimal mark; thousands separators are refused rather than guessed at.
_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"


def parse_period(cell: str) -> tuple[str, str, date] | None:
    """``"2024-Q3"`` → ``("quarter", "2024-Q3", date(2024, 7, 1))``; None when it is no period."""
    match = _PERIOD.match(_EXCEL_MIDNIGHT.sub("", cell.strip().upper()))
    if match is None:
        return None
    year, quarter, month, day = match.groups()
    try:
        if quarter:
            frequency, first = "quarter", date(int(year), 3 * int(quarter) - 2, 1)
        elif day:
            frequency, first = "day", date(int(year), int(month), int(day))
        elif month:
            frequency, first = "month", date(int(year), int(month), 1)
        else:
            frequency, first = "year", date(int(year), 1, 1)
    except ValueError:  # 2024-13, 2024-02-30
        return None
    label, start = period_of(first, frequency)
    return frequency, label, start


def parse_numbers(cells: pd.Series) -> pd.Series:
    """Numbers from text cells (NaN where blank or not a number): ``"12,5"`` and ``" 1 234.5"`` too."""
    def parse(uniques: pd.Series) -> pd.Series:
        compact = uniques.str.replace(r"\s", "", regex=True)
        numeric = compact.where(compact.str.fullmatch(_NUMBER)).str.replace(",", ".", regex=False)
        return pd.to_numeric(numeric, errors="coerce")

    return per_unique(cells, parse).astype(float)


def _part(parsed: pd.Series, index: int) -> pd.Series:
    return parsed.map(lambda p: None if p is None else p[index])


# ---------------------------------------------------------------------------------------------
# Validation: vectorised, pure
# ---------------------------------------------------------------------------------------------


def _cells(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return per_unique(frame[name].astype(str), lambda u: u.str.strip())


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["row", "indicator_code", "indicator_id", *KEY[1:], "period_start", "value",
                                 "source"])


def validate(frame: pd.DataFrame, context: IndicatorContext, *, default_source: str | None = None) -> ValidationResult:
    """Check every row at once: the rows to keep (one value per indicator × period × place) and the problems."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip().casefold() if not str(c).startswith("_") else c for c in frame.columns]
    rows = frame[SOURCE_ROW].astype(int) if SOURCE_ROW in frame.columns else None
    checks = RowChecks(frame, MESSAGES, rows)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        header = [{"row": 1, "column": c, "value": "", "severity": "error", "reason": "column_missing",
                   "message": MESSAGES["column_missing"]} for c in missing]
        return ValidationResult(len(frame), _empty_rows(), checks.frame(header), missing)
    value_column = frame[SOURCE_COLUMN] if SOURCE_COLUMN in frame.columns else "value"

    codes = _cells(frame, "indicator_code").str.casefold()
    checks.add(codes == "", "indicator_code", codes, "indicator_missing", skip=True)
    known = codes.isin(list(context.indicators))
    checks.add((codes != "") & ~known, "indicator_code", codes, "indicator_unknown", skip=True)
    label, start = _periods(_cells(frame, "period"), codes, context, checks)
    value = _values(_cells(frame, "value"), value_column, checks)
    _units(_cells(frame, "unit"), codes, context, checks)
    geography = _cells(frame, "geography")
    if PLACE_REQUIRED in frame.columns:
        checks.add(frame[PLACE_REQUIRED].astype(bool) & (geography == ""), "geography", geography,
                   "place_missing", skip=True)
    where = _places(geography, context, checks)

    out = pd.DataFrame({
        "row": checks.row, "indicator_code": codes,
        "indicator_id": codes.map({c: s.id for c, s in context.indicators.items()}).astype("Int64"),
        "period": label, "admin_unit_id": _part(where, 0).astype("Int64"), "agency_id": _part(where, 1).astype("Int64"),
        "place": _part(where, 2), "period_start": start, "value": value,
    })
    source = _cells(frame, "source")
    out["source"] = source.where(source != "", default_source).str.slice(0, 200)
    # Duplicates last: a later good row is not lost to an earlier row skipped for another reason.
    key = codes + "|" + label.fillna("") + "|" + where.map(repr)
    duplicate = ~checks.skip & key.where(~checks.skip).duplicated(keep="first")
    checks.add(duplicate, "geography", geography, "duplicate", skip=True)
    return ValidationResult(len(frame), out[~checks.skip].reset_index(drop=True), checks.frame([]), [])


def _periods(cells: pd.Series, codes: pd.Series, context: IndicatorContext,
             checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """(label, first day) per row; a blank, unreadable, mismatched or future period skips the row."""
    parsed = per_unique(cells, lambda u: u.map(parse_period))
    frequency, label, start = (_part(parsed, i) for i in range(3))
    checks.add(cells == "", "period", cells, "period_missing", skip=True)
    checks.add((cells != "") & parsed.isna(), "period", cells, "period_unparseable", skip=True)
    expected = codes.map({c: s.frequency for c, s in context.indicators.items()})
    wrong = parsed.notna() & expected.notna() & (frequency != expected)
    checks.add(wrong, "period", cells + " (chỉ số theo " + expected.map(FREQUENCY_NAMES).fillna("?") + ")",
               "period_frequency", skip=True)
    future = pd.to_datetime(start) > pd.Timestamp(context.today)
    checks.add(future, "period", cells, "period_future", skip=True)
    return label, start


def _values(cells: pd.Series, column: pd.Series | str, checks: RowChecks) -> pd.Series:
    numbers = parse_numbers(cells)
    checks.add(cells == "", column, cells, "value_missing", skip=True)
    checks.add((cells != "") & numbers.isna(), column, cells, "value_not_number", skip=True)
    return numbers


def _units(cells: pd.Series, codes: pd.Series, context: IndicatorContext, checks: RowChecks) -> None:
    """A unit other than the catalogue's would put the number on the wrong scale: the row is skipped."""
    expected = codes.map({c: s.unit for c, s in context.indicators.items()})
    given_key = per_unique(cells, lambda u: u.map(fold))
    expected_key = per_unique(expected.fillna(""), lambda u: u.map(fold))
    wrong = (cells != "") & expected.notna() & (given_key != expected_key)
    checks.add(wrong, "unit", cells + " (danh mục: " + expected.fillna("") + ")", "unit_mismatch", skip=True)


def _places(cells: pd.Series, context: IndicatorContext, checks: RowChecks) -> pd.Series:
    """Each row's place as ``(admin_unit_id, agency_id, place)``; None where it is not known."""
    def look_up(uniques: pd.Series) -> pd.Series:
        def one(cell: str) -> tuple[int | None, int | None, str | None] | None:
            where = CITY if cell == "" else (context.places.get(f"code:{cell.casefold()}")
                                             or context.places.get(f"name:{place_key(cell)}"))
            return None if where is None else (where.admin_unit_id, where.agency_id, where.place)
        return uniques.map(one)

    where = per_unique(cells, look_up)
    checks.add(where.isna(), "geography", cells, "place_unknown", skip=True)
    return where


# ---------------------------------------------------------------------------------------------
# Revisions: which rows to add and which current values they supersede (pure)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    insert: pd.DataFrame  # rows to add: new keys and revised values
    supersede: list[int]  # ids of the current values the revised ones replace
    revised: int
    unchanged: int

    @property
    def new(self) -> int:
        return len(self.insert) - self.revised


def _keys(frame: pd.DataFrame) -> pd.Series:
    """``indicator|period|unit|agency|place`` per row, blanks as empty strings (ids never as ``5.0``)."""
    key = pd.Series("", index=frame.index, dtype=object)
    for name in KEY:
        column = frame[name].astype("Int64") if name.endswith("_id") else frame[name]
        key = key + "|" + column.astype(object).where(column.notna(), "").astype(str)
    return key


def plan_changes(incoming: pd.DataFrame, current: pd.DataFrame) -> Plan:
    """Compare validated rows with the current values (``id``, KEY, ``value``): equal values change nothing."""
    if incoming.empty:
        return Plan(incoming, [], 0, 0)
    incoming_keys = _keys(incoming)
    old = pd.Series(np.nan, index=incoming.index)
    ids: list[int] = []
    if not current.empty:
        current_keys = _keys(current)
        # Two current values for one key (two imports racing) compare against the newer one.
        newest = current.assign(_key=current_keys).sort_values("id").drop_duplicates("_key", keep="last")
        old = incoming_keys.map(newest.set_index("_key")["value"]).astype(float)
    same = old.notna() & np.isclose(incoming["value"].astype(float), old.fillna(0.0), rtol=1e-9, atol=1e-12)
    revised = old.notna() & ~same
    if not current.empty:
        ids = [int(i) for i in current.loc[current_keys.isin(incoming_keys[revised]), "id"]]
    return Plan(incoming[~same], ids, int(revised.sum()), int(same.sum()))


# ---------------------------------------------------------------------------------------------
# The database side: context, definitions, current values, chunked writes
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# The template to download
# ---------------------------------------------------------------------------------------------


def example_period(frequency: str, today: date) -> str:
    """The last complete period of this frequency: what a file filled today most likely reports."""
    previous = {"year": date(today.year - 1, 12, 31), "quarter": period_of(today, "quarter")[1] - timedelta(days=1),
                "month": today.replace(day=1) - timedelta(days=1), "day": today - timedelta(days=1)}
    return period_of(previous.get(frequency, today), frequency)[0]


def template_frame(specs: Iterable[IndicatorSpec], today: date) -> pd.DataFrame:
    """One row per indicator: its code, an example period, its unit; the value left to fill."""
    rows = [{"indicator_code": s.code, "period": example_period(s.frequency, today), "geography": "", "value": "",
             "unit": s.unit, "source": "", "note": s.name} for s in sorted(specs, key=lambda s: s.code)]
    return pd.DataFrame(rows, columns=list(TEMPLATE_COLUMNS))


def catalogue_frame(specs: Iterable[IndicatorSpec]) -> pd.DataFrame:
    """The indicators as the template's second sheet lists them."""
    return pd.DataFrame([{"indicator_code": s.code, "tên": s.name, "name": s.name_en, "unit": s.unit,
                          "tần suất": FREQUENCY_NAMES.get(s.frequency, s.frequency), "địa bàn": s.geography}
                         for s in sorted(specs, key=lambda s: s.code)])


def template_csv(specs: Iterable[IndicatorSpec], today: date) -> bytes:
    """The template as CSV (UTF-8 with BOM, so that Excel shows the Vietnamese right)."""
    return template_frame(specs, today).to_csv(index=False).encode("utf-8-sig")


def template_xlsx(specs: Iterable[IndicatorSpec], today: date) -> bytes:
    """The template as Excel: the rows to fill on the first sheet, the catalogue on the second."""
    specs = list(specs)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _storable(template_frame(specs, today)).to_excel(writer, sheet_name="chi_so", index=False)
        _storable(catalogue_frame(specs)).to_excel(writer, sheet_name="danh_muc", index=False)
    return buffer.getvalue()


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the control characters an .xlsx cell cannot hold (openpyxl refuses the whole file)."""
    return frame.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------
