"""Validation: every row of the template checked at once (vectorised, pure), answering the rows to keep
(one value per indicator × period × place) and one problem per row, numbered as in the user's file."""

from __future__ import annotations

import pandas as pd

from data.core.columns import per_unique
from data.core.provinces import place_key
from data.core.row_checks import RowChecks, ValidationResult
from data.core.text import fold
from data.kpis.imports.template.layout import (
    FREQUENCY_NAMES,
    KEY,
    MESSAGES,
    PLACE_REQUIRED,
    REQUIRED_COLUMNS,
    SOURCE_COLUMN,
    SOURCE_ROW,
)
from data.kpis.imports.template.parsing import CITY, IndicatorContext, parse_numbers, parse_period, tuple_part


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
        "period": label, "admin_unit_id": tuple_part(where, 0).astype("Int64"),
        "agency_id": tuple_part(where, 1).astype("Int64"),
        "place": tuple_part(where, 2), "period_start": start, "value": value,
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
    frequency, label, start = (tuple_part(parsed, i) for i in range(3))
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
