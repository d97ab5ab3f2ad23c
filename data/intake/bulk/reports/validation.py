"""Validation: a ``ColumnMapping`` applied to a file's strings, every row checked at once (vectorised,
pure: no database), answering the cleaned rows to keep and one problem per row and column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.core.columns import column_or_blank, lengths, map_values, per_unique
from data.core.row_checks import UNMAPPED_COLUMNS, FormatMismatch, RowChecks, ValidationResult
from data.geo.geometry import UnitShape
from data.intake.bulk.reports.mapping import ColumnMapping
from data.intake.bulk.reports.messages import MAX_EXTERNAL_ID, MESSAGES
from data.intake.bulk.reports.places import locate_many
from data.intake.submission import MAX_ADDRESS, MAX_DESCRIPTION, MAX_TITLE
from data.models import ReportStatus

CLOSED_STATUSES = (ReportStatus.CLOSED, ReportStatus.RESOLVED, ReportStatus.REJECTED,
                   ReportStatus.DUPLICATE, ReportStatus.NOT_RESPONSIBLE)
BBox = tuple[float, float, float, float]
# Tried in order when a date format reads none of a column's dates (day before month: Vietnamese files).
DATE_FORMATS = ("ISO8601", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y",
                "%Y/%m/%d %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")


@dataclass(frozen=True)
class ImportContext:
    """What validation needs to know of the city (plain data, so ``validate`` stays pure)."""

    bbox: BBox | None = None  # points outside are outside the city
    levels: tuple[tuple[UnitShape, ...], ...] = ()  # admin units, finest level first
    # A point in the box but in no unit is outside too (the box of an irregular city holds its neighbours).
    require_unit: bool = False
    category_ids: Mapping[str, int] | None = None  # None: codes are not checked (no catalogue at hand)
    agency_ids: Mapping[str, int] | None = None


def _join(parts: Sequence[pd.Series], sep: str, index: pd.Index) -> pd.Series:
    """Non-blank cells joined; a part equal to an earlier one is left out (computed per distinct combination)."""
    if not parts:
        return pd.Series("", index=index, dtype=object)
    if len(parts) == 1:
        return parts[0]
    key = parts[0]
    for part in parts[1:]:
        key = key + "\x1f" + part

    def joined(uniques: pd.Series) -> pd.Series:
        return uniques.map(lambda k: sep.join(dict.fromkeys(p for p in k.split("\x1f") if p)))

    return per_unique(key, joined)


def parse_times(values: pd.Series, mapping: ColumnMapping) -> pd.Series:
    """Source date strings → naive UTC datetimes (NaT where blank or unreadable)."""
    def parse(uniques: pd.Series) -> pd.Series:
        present = uniques.str.strip()
        parsed = pd.to_datetime(present.where(present != ""), format=mapping.datetime_format or "ISO8601",
                                errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            return parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        # An hour that happens twice at the end of summer time is read as standard time; a skipped one moves on.
        local = parsed.dt.tz_localize(mapping.timezone, ambiguous=np.zeros(len(parsed), dtype=bool),
                                      nonexistent="shift_forward")
        return local.dt.tz_convert("UTC").dt.tz_localize(None)

    return per_unique(values, parse).astype("datetime64[ns]")


def validate(frame: pd.DataFrame, mapping: ColumnMapping, context: ImportContext | None = None) -> ValidationResult:
    """Check every row against the mapping at once; no database, no per-row Python."""
    context = context or ImportContext()
    frame = frame.reset_index(drop=True)
    missing = [c for c in mapping.columns() if c not in frame.columns]
    header = [{"row": 1, "column": c, "value": "", "severity": "warning", "reason": "column_missing",
               "message": MESSAGES["column_missing"]} for c in missing]
    checks = RowChecks(frame, MESSAGES)
    # Trimmed once, per distinct value; every check below reads these cells.
    frame = pd.DataFrame({c: per_unique(frame[c], lambda u: u.str.strip()) for c in mapping.columns()
                          if c in frame.columns}, index=frame.index)
    out = pd.DataFrame({"row": checks.row})

    out["external_id"] = _external_ids(frame, mapping, checks)
    out["created_at"], out["closed_at"], out["resolved_at"], mismatches = _times(frame, mapping, checks)
    out["title"], out["description"] = _texts(frame, mapping, checks)
    out["status"], unmapped_status = _statuses(frame, mapping, checks)
    closed = out["status"].isin([str(s) for s in CLOSED_STATUSES])
    if mapping.closed_at is not None:
        raw_closed = column_or_blank(frame, mapping.closed_at)
        checks.add(closed & (raw_closed == ""), mapping.closed_at, raw_closed, "closed_without_date",
                   skip=False)
    out.loc[~closed, ["closed_at", "resolved_at"]] = pd.NaT  # an open report has no closing date
    out["category_code"], out["category_id"], unmapped_category = _codes(
        frame, mapping.category, mapping.category_map, mapping.category_default, context.category_ids, checks,
        "category")
    out["agency_code"], out["agency_id"], unmapped_agency = _codes(frame, mapping.agency, mapping.agency_map, None,
                                                                   context.agency_ids, checks, "agency")
    out["lat"], out["lon"], out["admin_unit_id"] = _places(frame, mapping, context, checks)
    address = _join([frame[c] for c in mapping.address if c in frame.columns], ", ", frame.index)
    long_address = lengths(address) > MAX_ADDRESS
    checks.add(long_address, ",".join(mapping.address), address, "address_truncated", skip=False)
    address = address.mask(long_address, address[long_address].str.slice(0, MAX_ADDRESS))
    out["address"] = address.where(address != "", None)
    channel = map_values(column_or_blank(frame, mapping.channel), mapping.channel_map)
    out["channel"] = channel.astype(object).fillna(str(mapping.channel_default)).astype(str)
    for name in mapping.keep_columns:
        out[f"keep:{name}"] = column_or_blank(frame, name)

    # Duplicates last: a later good row is not lost to an earlier row skipped for another reason.
    has_id = out["external_id"].notna()
    duplicate = has_id & ~checks.skip & out["external_id"].where(~checks.skip).duplicated(keep="first")
    checks.add(duplicate, mapping.external_id, out["external_id"], "id_duplicate", skip=True)
    kept = out[~checks.skip].reset_index(drop=True)
    unmapped = pd.concat([unmapped_status, unmapped_category, unmapped_agency], ignore_index=True)
    return ValidationResult(len(frame), kept, checks.frame(header), missing,
                            unmapped.sort_values("rows", ascending=False, kind="stable", ignore_index=True),
                            mismatches)


def _external_ids(frame: pd.DataFrame, mapping: ColumnMapping, checks: RowChecks) -> pd.Series:
    if mapping.external_id is None:
        # No id column: the row's content is its id, so the same row imported twice is still found.
        hashed = pd.util.hash_pandas_object(frame, index=False).map("{:016x}".format)
        return "row-" + hashed.astype(str)
    ids = column_or_blank(frame, mapping.external_id)
    checks.add(ids == "", mapping.external_id, ids, "id_missing", skip=True)
    checks.add(lengths(ids) > MAX_EXTERNAL_ID, mapping.external_id, ids, "id_too_long", skip=True)
    return ids.where(ids != "")


def _times(frame: pd.DataFrame, mapping: ColumnMapping,
           checks: RowChecks) -> tuple[pd.Series, pd.Series, pd.Series, list[FormatMismatch]]:
    """(created, closed, resolved) as naive UTC, and the date columns the format reads in no row.

    A blank or unreadable date skips the row; when the format reads none of a column's dates, that is
    said once for the file (a wrong format is one mistake, not 10,000)."""
    if mapping.created_at is None:
        checks.add(pd.Series(True, index=frame.index), None, "", "date_missing", skip=True)
    parsed: list[pd.Series] = []
    mismatches: list[FormatMismatch] = []
    for name in (mapping.created_at, mapping.closed_at, mapping.resolved_at):
        raw = column_or_blank(frame, name)
        times = parse_times(raw, mapping)
        blank = raw == ""
        if name is not None and name == mapping.created_at:
            checks.add(blank, name, raw, "date_missing", skip=True)
        unreadable = ~blank & times.isna()
        if name is not None and unreadable.any() and not (~blank & times.notna()).any():
            if name not in {m.column for m in mismatches}:
                found = FormatMismatch(name, mapping.datetime_format or "ISO8601", str(raw[~blank].iloc[0]),
                                       int(unreadable.sum()), suggest_datetime_format(raw[~blank]))
                checks.add_file(unreadable, name, found.example, "date_format_mismatch", found.message())
                mismatches.append(found)
        else:
            checks.add(unreadable, name, raw, "date_unparseable", skip=True)
        parsed.append(times)
    created, closed, resolved = parsed
    early = closed.notna() & (closed < created)
    checks.add(early, mapping.closed_at, column_or_blank(frame, mapping.closed_at), "closed_before_created", skip=False)
    closed = closed.mask(early)
    resolved = resolved.mask(resolved.notna() & (resolved < created))
    return created, closed, resolved.fillna(closed) if mapping.resolved_at else closed.copy(), mismatches


def suggest_datetime_format(values: pd.Series) -> str | None:
    """The first of DATE_FORMATS that reads every one of (a sample of) these dates; None if none does."""
    sample = pd.Series(values.drop_duplicates().head(200).to_numpy(), dtype=object)
    for candidate in DATE_FORMATS:
        if pd.to_datetime(sample, format=candidate, errors="coerce").notna().all():
            return candidate
    return None


def _texts(frame: pd.DataFrame, mapping: ColumnMapping, checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    title = column_or_blank(frame, mapping.title)
    long_title = lengths(title) > MAX_TITLE
    checks.add(long_title, mapping.title, title, "title_truncated", skip=False)
    title = title.mask(long_title, title[long_title].str.slice(0, MAX_TITLE))
    description = _join([frame[c] for c in mapping.description if c in frame.columns], " – ", frame.index)
    if mapping.description_default:
        description = description.where(description != "", mapping.description_default)
    where = ",".join(mapping.description)
    checks.add(description == "", where, description, "description_empty", skip=True)
    too_long = lengths(description) > MAX_DESCRIPTION
    checks.add(too_long, where, description[too_long].str.slice(0, 60) + "…", "description_too_long", skip=True)
    return title.where(title != "", None), description


def _statuses(frame: pd.DataFrame, mapping: ColumnMapping, checks: RowChecks) -> tuple[pd.Series, pd.DataFrame]:
    """Our status per row, and the source words the status map does not know."""
    raw = column_or_blank(frame, mapping.status)
    mapped = map_values(raw, {k: str(v) for k, v in mapping.status_map.items()})
    unknown = mapped.isna() & (raw != "")
    skip = mapping.unknown_status == "skip"
    checks.add(unknown, mapping.status, raw, "status_unknown", skip=skip,
               message_key="status_unknown_skip" if skip else None)
    unmapped = _unmapped("status", mapping.status, raw[unknown], None,
                         "skip" if skip else str(mapping.status_default))
    return mapped.astype(object).fillna(str(mapping.status_default)).astype(str), unmapped


def _unmapped(field_name: str, column: str | None, values: pd.Series, code: pd.Series | None,
              used: str) -> pd.DataFrame:
    """One line per distinct source value (and the unknown code it maps to), with its number of rows."""
    if code is None:
        counts = values.astype(str).value_counts(sort=False)
        counted = pd.DataFrame({"value": counts.index.astype(str), "code": None, "rows": counts.to_numpy()})
    else:
        keys = pd.DataFrame({"value": values.astype(str), "code": code})
        counted = keys.groupby(["value", "code"], dropna=False, sort=False).size().reset_index(name="rows")
    counted["code"] = counted["code"].astype(object).where(counted["code"].notna(), None)
    counted.insert(0, "column", column or "")
    counted.insert(0, "field", field_name)
    counted["used"] = used
    return counted[UNMAPPED_COLUMNS]


def _codes(frame: pd.DataFrame, column: str | None, table: Mapping[str, str], default: str | None,
           known: Mapping[str, int] | None, checks: RowChecks,
           what: str) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Source value → our code → our id: (codes, ids, the values not mapped onto a known code), None when
    unmapped or unknown (with a warning)."""
    raw = column_or_blank(frame, column)
    codes = map_values(raw, table)
    unmapped = codes.isna() & (raw != "")
    if default is None:
        checks.add(unmapped, column, raw, f"{what}_unmapped", skip=False)
    lost = [_unmapped(what, column, raw[unmapped], None, default or "")]
    codes = codes.astype(object)
    codes = codes.fillna(default) if default is not None else codes
    codes = codes.where(codes.notna(), None)
    if known is None:
        return codes, pd.Series(None, index=frame.index, dtype=object), lost[0]
    ids = codes.map(known)
    unknown = codes.notna() & ids.isna()
    checks.add(unknown, column, codes.fillna(""), f"{what}_unknown", skip=False)
    lost.append(_unmapped(what, column, raw[unknown & ~unmapped], codes[unknown & ~unmapped], ""))
    return (codes, ids.astype("Int64").astype(object).where(ids.notna(), None),
            pd.concat(lost, ignore_index=True))


def _places(frame: pd.DataFrame, mapping: ColumnMapping, context: ImportContext,
            checks: RowChecks) -> tuple[pd.Series, pd.Series, pd.Series]:
    raw_lat, raw_lon = column_or_blank(frame, mapping.lat), column_or_blank(frame, mapping.lon)
    lat = pd.to_numeric(raw_lat.where(raw_lat != ""), errors="coerce")
    lon = pd.to_numeric(raw_lon.where(raw_lon != ""), errors="coerce")
    pair = raw_lat + ", " + raw_lon
    # 311 exports write 0 (or nothing) for "no place": no one reports from Null Island.
    missing = (raw_lat == "") | (raw_lon == "") | \
        (lat == 0) | (lon == 0)
    invalid = ~missing & (lat.isna() | lon.isna() | ~lat.between(-90, 90) | ~lon.between(-180, 180))
    required = mapping.require_coordinates
    checks.add(missing, mapping.lat, pair, "coords_missing", skip=required,
               message_key="coords_missing_skip" if required else None)
    checks.add(invalid, mapping.lat, pair, "coords_invalid", skip=required,
               message_key="coords_missing_skip" if required else None)
    usable = ~missing & ~invalid
    unit = pd.Series(np.nan, index=frame.index)
    if context.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = context.bbox
        inside = usable & lat.between(min_lat, max_lat) & lon.between(min_lon, max_lon)
        if context.levels:
            unit = pd.Series(locate_many(lat.to_numpy(), lon.to_numpy(), inside.to_numpy(), context.levels),
                             index=frame.index)
            if context.require_unit:
                inside &= unit.notna()
        outside = usable & ~inside
        skip = mapping.outside_city == "skip"
        checks.add(outside, mapping.lat, pair, "coords_outside", skip=skip,
                   message_key="coords_outside_skip" if skip else None)
        usable &= inside
    unit_ids = unit.where(usable).astype("Int64").astype(object)
    return (lat.where(usable).astype(object).where(usable, None),
            lon.where(usable).astype(object).where(usable, None),
            unit_ids.where(usable & unit.notna(), None))
