"""Import citizen reports from another system's CSV/Excel export: map, check every row, then bulk-write.

Three steps, each usable alone:

1. ``read_table`` reads .csv (encoding and delimiter detected), .xlsx or point .geojson into a
   DataFrame of strings, so nothing is silently coerced;
2. ``validate`` (pure, vectorised with pandas: no database) applies a ``ColumnMapping`` and answers a
   ``ValidationResult``: the cleaned rows to keep and one problem per row and column, numbered as
   the user sees the row in the file (header = row 1);
3. ``import_reports`` records an ``ImportRun`` and, unless it is a dry run, writes the kept rows in
   chunks, one transaction each (COPY on PostgreSQL). ``idempotency_key = import:<source>:<id>`` makes
   a re-run, or an overlapping file, create nothing twice, so a crash mid-way is healed by re-running.

CLI (the database comes from the settings, ``IOC_DATABASE_URL``)::

    python -m data.report_import FILE --preset nyc311 [--mapping mapping.toml] [--source NAME] [--dry-run] \\
        [--report problems.csv]

The source (the mapping's ``source``, or ``--source``) scopes the duplicate check: a row whose source and
id were imported before is skipped, and the per-row report says when and as which report.

Presets in ``data/import_presets/`` show how a city maps a foreign export onto its own categories.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import String, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.core.db import bulk_insert, copy_frame
from data.core.errors import InvalidInput
from data.core.tabular import read_table
from data.core.text import fold
from data.geo.geometry import UnitShape, polygons
from data.intake.pipeline import CODE_ALPHABET, CODE_LENGTH, load_places
from data.intake.submission import MAX_ADDRESS, MAX_DESCRIPTION, MAX_TITLE
from data.models import Agency, Category, Channel, ImportRun, Report, ReportEvent, ReportStatus, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

PRESETS_DIR = Path(__file__).resolve().parent.parent.parent / "import_presets"
CHUNK_ROWS = 5000  # one transaction each: a crash leaves whole chunks, a re-run adds the rest
MAX_EXTERNAL_ID = 150  # "import:<source>:" + id must fit the 200-character idempotency key
PROBLEMS_KEPT = 10_000  # in the ImportRun row; the full list goes to the CSV report
CLOSED_STATUSES = (ReportStatus.CLOSED, ReportStatus.RESOLVED, ReportStatus.REJECTED,
                   ReportStatus.DUPLICATE, ReportStatus.NOT_RESPONSIBLE)
BBox = tuple[float, float, float, float]
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}$"
IMPORT_ATTRIBUTES = ("import_source", "import_run", "import_row")  # written into every imported report
VALUE_FIELDS = ("status", "category", "agency")  # the fields whose source words map onto ours
VALUE_CHOICES = 300  # distinct values a page lists per field for mapping; more is not a category column


# ---------------------------------------------------------------------------------------------
# The mapping: which source column feeds which field, and how source words become ours
# ---------------------------------------------------------------------------------------------


class ColumnMapping(BaseModel):
    """How one foreign export maps onto our reports; saved as JSON or TOML (see data/import_presets/).

    Value maps match case-insensitively after trimming; a key ending in ``*`` matches by prefix
    (``"Noise - *"``). Column names are the file's header cells, exactly.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=SOURCE_PATTERN,
                        description="short name of the source system: part of every row's idempotency key")
    label: str = Field(default="", description="what this mapping is for, shown to operators")
    external_id: str | None = Field(default=None,
                                    description="column with the source's own id; unset = a hash of the row")
    created_at: str | None = Field(default=None, description="column with when the report was made")
    closed_at: str | None = Field(default=None, description="column with when it was closed")
    resolved_at: str | None = Field(default=None, description="column with when it was resolved (default: closed_at)")
    datetime_format: str | None = Field(default=None, description="strptime format of the dates; unset = ISO 8601")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="the zone the source's dates are in")
    title: str | None = Field(default=None, description="column with a short subject")
    description: list[str] = Field(default_factory=list, description="columns joined into the description")
    description_default: str | None = Field(default=None, description="text for rows whose description is blank")
    category: str | None = Field(default=None, description="column with the source's category")
    category_map: dict[str, str] = Field(default_factory=dict, description="source value → our category code")
    category_default: str | None = Field(default=None, description="code for unmapped values; unset = unclassified")
    status: str | None = Field(default=None, description="column with the source's status word")
    status_map: dict[str, ReportStatus] = Field(default_factory=dict, description="source word → our status")
    status_default: ReportStatus = Field(default=ReportStatus.RECEIVED, description="status of blank status cells")
    unknown_status: Literal["default", "skip"] = Field(
        default="default", description="an unmapped status word: use status_default (with a warning) or skip the row")
    lat: str | None = None
    lon: str | None = None
    require_coordinates: bool = Field(default=False, description="skip rows without coordinates (else warn)")
    outside_city: Literal["drop", "skip"] = Field(
        default="drop", description="coordinates outside the city: drop them (with a warning) or skip the row")
    address: list[str] = Field(default_factory=list, description="columns joined into the address")
    channel: str | None = None
    channel_map: dict[str, Channel] = Field(default_factory=dict)
    channel_default: Channel = Channel.IMPORT
    agency: str | None = None
    agency_map: dict[str, str] = Field(default_factory=dict, description="source value → our agency code")
    keep_columns: list[str] = Field(default_factory=list, description="columns kept as they are in attributes")
    publish_consent: bool = Field(default=False, description="imported reporters never agreed to publication")

    @field_validator("keep_columns")
    @classmethod
    def _not_ours(cls, columns: list[str]) -> list[str]:
        # The import's own keys in the attributes find a report's import (duplicate check, overdue alert).
        taken = sorted(set(columns) & set(IMPORT_ATTRIBUTES))
        if taken:
            raise ValueError(f"{', '.join(taken)} là khoá riêng của lần nhập; đổi tên cột trước khi giữ lại")
        return columns

    def columns(self) -> list[str]:
        """Every source column this mapping reads, once each."""
        single = [self.external_id, self.created_at, self.closed_at, self.resolved_at, self.title,
                  self.category, self.status, self.lat, self.lon, self.channel, self.agency]
        named = [c for c in single if c] + self.description + self.address + self.keep_columns
        return list(dict.fromkeys(named))

    def with_values(self, field: str, chosen: Mapping[str, str | None], complete: bool) -> ColumnMapping:
        """This mapping with ``field``'s value map (``status``, ``category``, ``agency``) as chosen on a page.

        ``chosen`` holds source values and our value (None: left unmapped). When it lists every value
        of the file (``complete``), it is the whole map: a value left unmapped stays unmapped even if a
        prefix key of the preset would have matched it. Otherwise it is laid over the preset's map.
        """
        picked = {value: ours for value, ours in chosen.items() if ours}
        base = {} if complete else dict(getattr(self, f"{field}_map"))
        return ColumnMapping.model_validate(self.model_dump() | {f"{field}_map": base | picked})


def source_name(text: str | None) -> str:
    """A source as a person names it (``"Hệ thống 1022 Huế"``) as the duplicate key uses it (``he-thong-1022-hue``).

    InvalidInput when nothing usable is left: the duplicate check needs a name for the source."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", fold(text)).strip("-._")[:40].strip("-._")
    if not re.match(SOURCE_PATTERN, slug):
        raise InvalidInput("Cần đặt tên nguồn dữ liệu (vd. «he-thong-1022»): các dòng cùng nguồn và cùng mã gốc "
                           "chỉ được nhập một lần.")
    return slug


def load_mapping(path: Path) -> ColumnMapping:
    """A mapping from a .json or .toml file; a bad one is an InvalidInput naming the field."""
    try:
        raw = tomllib.loads(path.read_text("utf-8")) if path.suffix == ".toml" else json.loads(path.read_text("utf-8"))
        return ColumnMapping.model_validate(raw)
    except (OSError, ValueError) as exc:
        detail = exc.errors()[0] if isinstance(exc, ValidationError) else str(exc)
        if isinstance(detail, dict):
            detail = f"{'.'.join(map(str, detail['loc']))}: {detail['msg']}"
        raise InvalidInput(f"Bảng ánh xạ cột «{path.name}» không hợp lệ: {detail}") from None


def presets() -> dict[str, Path]:
    """The shipped mappings by name (file stem)."""
    return {p.stem: p for p in sorted(PRESETS_DIR.glob("*.toml"))}


def preset(name: str) -> ColumnMapping:
    found = presets().get(name)
    if found is None:
        raise InvalidInput(f"Không có mẫu ánh xạ «{name}» (có: {', '.join(presets())}).")
    return load_mapping(found)


# ---------------------------------------------------------------------------------------------
# Reading a file into strings
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Validation: vectorised, pure
# ---------------------------------------------------------------------------------------------

MESSAGES: dict[str, str] = {
    "column_missing": "Tệp không có cột này (bảng ánh xạ cần nó); coi như để trống ở mọi dòng.",
    "id_missing": "Thiếu mã phản ánh gốc: không thể chống nhập trùng.",
    "id_too_long": f"Mã phản ánh gốc dài quá {MAX_EXTERNAL_ID} ký tự.",
    "id_duplicate": "Mã phản ánh gốc trùng với một dòng phía trên trong tệp; chỉ nhập dòng đầu tiên.",
    "date_missing": "Thiếu thời điểm tiếp nhận.",
    "date_unparseable": "Không đọc được ngày giờ.",
    "date_format_mismatch": "Định dạng ngày không đọc được ngày nào trong cột: mọi dòng bị bỏ qua; sửa định dạng "
                            "rồi chạy thử lại.",
    "already_imported": "Đã nhập từ trước (cùng nguồn, cùng mã gốc); bỏ qua.",
    "closed_before_created": "Ngày đóng sớm hơn ngày tiếp nhận; bỏ ngày đóng.",
    "closed_without_date": "Trạng thái đã đóng nhưng thiếu ngày đóng.",
    "description_empty": "Nội dung phản ánh trống.",
    "description_too_long": f"Nội dung vượt giới hạn {MAX_DESCRIPTION} ký tự.",
    "title_truncated": f"Tiêu đề dài quá {MAX_TITLE} ký tự; đã cắt bớt.",
    "address_truncated": f"Địa chỉ dài quá {MAX_ADDRESS} ký tự; đã cắt bớt.",
    "status_unknown": "Trạng thái không có trong bảng ánh xạ; dùng trạng thái mặc định.",
    "status_unknown_skip": "Trạng thái không có trong bảng ánh xạ.",
    "coords_missing": "Không có toạ độ (trống hoặc bằng 0): phản ánh được nhập không có vị trí.",
    "coords_missing_skip": "Không có toạ độ (trống hoặc bằng 0) mà bảng ánh xạ yêu cầu toạ độ.",
    "coords_invalid": "Toạ độ không hợp lệ; phản ánh được nhập không có vị trí.",
    "coords_outside": "Vị trí nằm ngoài địa bàn thành phố; đã bỏ toạ độ.",
    "coords_outside_skip": "Vị trí nằm ngoài địa bàn thành phố.",
    "category_unmapped": "Lĩnh vực gốc không có trong bảng ánh xạ; để hệ thống tự phân loại.",
    "category_unknown": "Mã lĩnh vực không có trong danh mục; để hệ thống tự phân loại.",
    "agency_unmapped": "Đơn vị gốc không có trong bảng ánh xạ; để hệ thống tự điều phối.",
    "agency_unknown": "Mã đơn vị không có trong danh mục; để hệ thống tự điều phối.",
}
PROBLEM_COLUMNS = ["row", "column", "value", "severity", "reason", "message"]
# Source values the value maps do not know: which field, the value, how many rows, the code it maps to
# when that code is not in the catalogue (else None), and what the rows get instead ("" = the
# classifier or the router decides, "skip" = the rows are skipped).
UNMAPPED_COLUMNS = ["field", "column", "value", "rows", "code", "used"]
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


@dataclass(frozen=True)
class FormatMismatch:
    """A date column that the date format reads in no row: the format is wrong, not the rows."""

    column: str
    datetime_format: str  # "ISO8601" when the mapping gives none
    example: str  # the column's first date
    rows: int
    suggestion: str | None  # one of DATE_FORMATS that reads every date of the column, if one does

    def message(self) -> str:
        text = (f"Định dạng ngày «{self.datetime_format}» không đọc được ngày nào trong cột này "
                f"(vd. «{self.example}»): cả {self.rows} dòng bị bỏ qua.")
        return text + (f" Định dạng đọc được các ngày này: «{self.suggestion}»." if self.suggestion else "")


def _no_unmapped() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=int if c == "rows" else object) for c in UNMAPPED_COLUMNS})


@dataclass
class ValidationResult:
    """Rows to keep (cleaned, one per kept file row) and one problem per row and column."""

    rows_total: int
    rows: pd.DataFrame
    problems: pd.DataFrame
    columns_missing: list[str] = field(default_factory=list)
    unmapped: pd.DataFrame = field(default_factory=_no_unmapped)  # UNMAPPED_COLUMNS, most rows first
    format_mismatches: list[FormatMismatch] = field(default_factory=list)

    @property
    def rows_kept(self) -> int:
        return len(self.rows)

    @property
    def rows_skipped(self) -> int:
        return self.rows_total - len(self.rows)

    @property
    def warnings(self) -> int:
        return int((self.problems["severity"] == "warning").sum())

    def counts(self) -> dict[str, int]:
        """Problems by (severity, reason), most frequent first: ``{"error:date_unparseable": 3, ...}``."""
        keys = self.problems["severity"] + ":" + self.problems["reason"]
        return {str(k): int(v) for k, v in keys.value_counts().items()}

    def problems_csv(self) -> bytes:
        """The per-row report, UTF-8 with BOM so that Excel shows the Vietnamese text right."""
        return self.problems.to_csv(index=False).encode("utf-8-sig")

    def add_problems(self, more: pd.DataFrame) -> None:
        """Problems found after validation (rows already imported), merged in file order."""
        if len(more):  # once per import: a sort per chunk would make a re-import quadratic
            merged = pd.concat([self.problems, more[PROBLEM_COLUMNS]], ignore_index=True)
            self.problems = merged.sort_values(["row", "severity"], kind="stable", ignore_index=True)


def fold_series(values: pd.Series) -> pd.Series:
    """``data.core.text.fold`` on a column, once per distinct text (titles and descriptions repeat a lot)."""
    return per_unique(values, lambda uniques: uniques.map(fold))


def per_unique(values: pd.Series, compute: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``compute`` run once per distinct value: exports repeat their categories, statuses and dates."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    computed = compute(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(computed[codes], index=values.index)


def lengths(values: pd.Series) -> pd.Series:
    return per_unique(values, lambda u: u.str.len()).astype(int)


def map_values(values: pd.Series, table: Mapping[str, Any]) -> pd.Series:
    """Source values → ours (case-insensitive; keys ending in ``*`` match by prefix); NaN when unmapped."""
    exact = {k.strip().casefold(): v for k, v in table.items() if not k.endswith("*")}
    prefixes = [(k[:-1].strip().casefold(), v) for k, v in table.items() if k.endswith("*")]

    def lookup(uniques: pd.Series) -> pd.Series:
        normal = uniques.str.strip().str.casefold()
        out = normal.map(exact)
        for prefix, value in prefixes:
            out = out.mask(out.isna() & normal.str.startswith(prefix), value)
        return out

    return per_unique(values, lookup)


def value_choices(frame: pd.DataFrame, mapping: ColumnMapping, field_name: str,
                  limit: int = VALUE_CHOICES) -> tuple[pd.DataFrame, bool]:
    """The distinct values in the column of ``field_name`` (``status``, ``category``, ``agency``), most rows
    first, each with what the mapping makes of it (``ours``, None when unmapped); and whether all are listed."""
    raw = per_unique(_column(frame, getattr(mapping, field_name)), lambda u: u.str.strip())
    counts = raw[raw != ""].value_counts()
    listed = pd.Series(counts.index[:limit], dtype=object)
    ours = map_values(listed, {k: str(v) for k, v in getattr(mapping, f"{field_name}_map").items()})
    return (pd.DataFrame({"value": listed, "rows": counts.to_numpy()[:limit],
                          "ours": ours.astype(object).where(ours.notna(), None)}), len(counts) <= limit)


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


class RowChecks:
    """Collects problems as whole columns of rows, and which rows are skipped.

    ``rows`` numbers the rows as the user sees them (default: file order, header = row 1); an adapter
    that turns one source row into several passes the source's numbers. ``messages`` holds the texts.
    """

    def __init__(self, frame: pd.DataFrame, messages: Mapping[str, str] = MESSAGES,
                 rows: pd.Series | None = None) -> None:
        self.row = pd.Series(np.arange(len(frame)) + 2, index=frame.index) if rows is None else rows
        self.skip = pd.Series(False, index=frame.index)
        self.frames: list[pd.DataFrame] = []
        self.messages = messages
        self.file_problems: list[dict[str, Any]] = []

    def add(self, mask: pd.Series, column: pd.Series | str | None, values: pd.Series | str, reason: str, *,
            skip: bool, message_key: str | None = None) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        if skip:
            self.skip |= mask
        value = values[mask].astype(str) if isinstance(values, pd.Series) else values
        self.frames.append(pd.DataFrame({
            "row": self.row[mask], "column": column[mask] if isinstance(column, pd.Series) else column or "",
            "value": value, "severity": "error" if skip else "warning", "reason": reason,
            "message": self.messages[message_key or reason],
        }))

    def add_file(self, mask: pd.Series, column: str, value: str, reason: str, message: str) -> None:
        """Skip the rows of ``mask`` for a reason of the whole file, said once (as row 1, the header's)."""
        self.skip |= mask.fillna(False).astype(bool)
        self.file_problems.append({"row": 1, "column": column, "value": value, "severity": "error",
                                   "reason": reason, "message": message})

    def frame(self, header_problems: list[dict[str, Any]]) -> pd.DataFrame:
        frames = [pd.DataFrame(header_problems + self.file_problems, columns=PROBLEM_COLUMNS), *self.frames]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=int if c == "row" else str) for c in PROBLEM_COLUMNS})
        out = pd.concat(frames, ignore_index=True)[PROBLEM_COLUMNS]
        out["row"] = out["row"].astype(int)
        return out.sort_values(["row", "severity"], kind="stable", ignore_index=True)


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


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series:
    if name is None or name not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object).astype(str)
    return frame[name]


def validate(frame: pd.DataFrame, mapping: ColumnMapping, context: ImportContext | None = None) -> ValidationResult:
    """Check every row against the mapping at once; no database, no per-row Python."""
    context = context or ImportContext()
    frame = frame.reset_index(drop=True)
    missing = [c for c in mapping.columns() if c not in frame.columns]
    header = [{"row": 1, "column": c, "value": "", "severity": "warning", "reason": "column_missing",
               "message": MESSAGES["column_missing"]} for c in missing]
    checks = RowChecks(frame)
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
        raw_closed = _column(frame, mapping.closed_at)
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
    channel = map_values(_column(frame, mapping.channel), mapping.channel_map)
    out["channel"] = channel.astype(object).fillna(str(mapping.channel_default)).astype(str)
    for name in mapping.keep_columns:
        out[f"keep:{name}"] = _column(frame, name)

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
    ids = _column(frame, mapping.external_id)
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
        raw = _column(frame, name)
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
    checks.add(early, mapping.closed_at, _column(frame, mapping.closed_at), "closed_before_created", skip=False)
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
    title = _column(frame, mapping.title)
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
    raw = _column(frame, mapping.status)
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
    raw = _column(frame, column)
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
    raw_lat, raw_lon = _column(frame, mapping.lat), _column(frame, mapping.lon)
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


def locate_many(lat: np.ndarray, lon: np.ndarray, wanted: np.ndarray,
                levels: Sequence[Sequence[UnitShape]]) -> np.ndarray:
    """The finest unit id holding each wanted point (NaN elsewhere): ``geo.locate`` over arrays.

    Ray casting per polygon edge over all candidate points at once: thousands of times faster than
    calling ``geo.locate`` per point when a file holds 100,000 reports.
    """
    found = np.full(len(lat), np.nan)
    for level in levels:
        for unit in level:
            min_lon, min_lat, max_lon, max_lat = unit.bbox
            todo = np.flatnonzero(wanted & np.isnan(found) & (lon >= min_lon) & (lon <= max_lon)
                                  & (lat >= min_lat) & (lat <= max_lat))
            if len(todo):
                inside = _contains(unit.geometry, lon[todo], lat[todo])
                found[todo[inside]] = unit.id
    return found


def _contains(geometry: dict[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.zeros(len(x), dtype=bool)
    for exterior, *holes in polygons(geometry):
        inside = _ring_contains(np.asarray(exterior, dtype=float), x, y)
        for hole in holes:
            inside &= ~_ring_contains(np.asarray(hole, dtype=float), x, y)
        result |= inside
    return result


def _ring_contains(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(x), dtype=bool)
    x0, y0 = ring[-1, 0], ring[-1, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for x1, y1 in ring[:, :2]:
            if y0 != y1:  # a horizontal edge never crosses the ray (same test as geo._ring_contains)
                inside ^= ((y1 > y) != (y0 > y)) & (x < (x0 - x1) * (y - y1) / (y0 - y1) + x1)
            x0, y0 = x1, y1
    return inside


# ---------------------------------------------------------------------------------------------
# Writing: ImportRun, then chunks of reports and their first events
# ---------------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What one import (or dry run) did; ``validation`` holds the per-row problems."""

    run_id: int
    filename: str
    sha256: str
    dry_run: bool
    validation: ValidationResult
    imported: int = 0
    already_imported: int = 0  # rows of this source imported before (in a dry run: that would be skipped)
    source: str = ""

    @property
    def skipped(self) -> int:
        return self.validation.rows_skipped + self.already_imported

    @property
    def to_import(self) -> int:
        """Valid rows not imported before: what the import writes (or, after it, wrote)."""
        return self.validation.rows_kept - self.already_imported

    def text(self) -> str:
        v = self.validation
        lines = [
            f"{'Chạy thử' if self.dry_run else 'Nhập'} «{self.filename}» từ nguồn «{self.source}» "
            f"(lần nhập #{self.run_id}):",
            f"  dòng đọc được: {v.rows_total}",
            f"  dòng hợp lệ: {v.rows_kept}" + ("" if self.dry_run else f"; đã nhập mới: {self.imported}"),
            f"  dòng bỏ qua vì lỗi: {v.rows_skipped}",
        ]
        if self.already_imported:
            lines.append(f"  dòng đã nhập từ trước (bỏ qua): {self.already_imported}")
        lines.append(f"  cảnh báo: {v.warnings}")
        lines += [f"  ! {m.column}: {m.message()}" for m in v.format_mismatches]
        for key, count in v.counts().items():
            severity, reason = key.split(":", 1)
            lines.append(f"    {'lỗi' if severity == 'error' else 'cảnh báo'} {reason}: {count} – {MESSAGES[reason]}")
        if len(v.unmapped):
            lines.append("  giá trị chưa ánh xạ (trường «giá trị»: số dòng → khi nhập):")
            lines += [_unmapped_line(u) for u in v.unmapped.to_dict("records")]
        return "\n".join(lines)


def _unmapped_line(unmapped: Mapping[Any, Any]) -> str:
    code = f" → {unmapped['code']} (không có trong danh mục)" if unmapped["code"] else ""
    automatic = "để hệ thống tự phân loại" if unmapped["field"] == "category" else "để hệ thống tự điều phối"
    used = unmapped["used"] or automatic
    return f"    {unmapped['field']} «{unmapped['value']}»{code}: {unmapped['rows']} dòng → {used}"


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


def tracking_codes(city_code: str, years: np.ndarray) -> np.ndarray:
    """``pipeline.new_tracking_code`` for many rows at once (same alphabet, length and randomness)."""
    alphabet = np.frombuffer(CODE_ALPHABET.encode(), dtype=np.uint8)
    n, size = len(years), len(CODE_ALPHABET)
    limit = 256 - 256 % size  # rejection sampling keeps every letter equally likely
    picked = np.empty(0, dtype=np.uint8)
    while len(picked) < n * CODE_LENGTH:
        draw = np.frombuffer(secrets.token_bytes(n * CODE_LENGTH * 2 + 64), dtype=np.uint8)
        picked = np.concatenate([picked, draw[draw < limit]])
    letters = alphabet[picked[: n * CODE_LENGTH] % size].reshape(n, CODE_LENGTH)
    suffixes = letters.view(f"S{CODE_LENGTH}").ravel().astype(str)
    return np.char.add(np.char.add(f"{city_code}-", years.astype(str)), np.char.add("-", suffixes))


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


def stored_problems(problems: pd.DataFrame) -> list[Any]:
    """The problems as the ImportRun keeps them: the first ``PROBLEMS_KEPT``, then a line saying how many more."""
    kept = problems.head(PROBLEMS_KEPT).to_dict("records")
    if len(problems) > PROBLEMS_KEPT:
        kept.append({"row": None, "column": "", "value": "", "severity": "info", "reason": "truncated",
                     "message": f"… và {len(problems) - PROBLEMS_KEPT} vấn đề khác (xem tệp báo cáo)."})
    return kept


def import_keys(rows: pd.DataFrame, mapping: ColumnMapping) -> np.ndarray:
    """Each row's idempotency key: ``import:<source>:<id>``, so a source's id is imported once."""
    return ("import:" + mapping.source + ":" + rows["external_id"].astype(str)).to_numpy()


def already_imported(session: Session, rows: pd.DataFrame, mapping: ColumnMapping, tz: tzinfo,
                     existing: Mapping[str, Earlier] | None = None) -> pd.DataFrame:
    """One problem per row whose source and id were imported before: when, by which run, as which report."""
    keys = import_keys(rows, mapping)
    found = _existing(session, keys) if existing is None else existing
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


def _existing(session: Session, keys: np.ndarray) -> dict[str, Earlier]:
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


def _write_chunk(runtime: Runtime, chunk: pd.DataFrame, mapping: ColumnMapping, run_id: int,
                 user_id: int | None) -> tuple[int, pd.DataFrame]:
    """One transaction: the chunk's new reports, their first events, the run's progress.

    Answers the number created and one problem per row that an earlier import wrote already."""
    keys = import_keys(chunk, mapping)
    for attempt in range(5):
        try:
            with runtime.session() as session:
                existing = _existing(session, keys)
                new = ~pd.Series(keys).isin(set(existing)).to_numpy()  # hashed (np.isin on strings is quadratic)
                fresh, fresh_keys = chunk[new], keys[new]
                if len(fresh):
                    _insert_reports(session, runtime.settings.city_code, fresh, fresh_keys, mapping, run_id)
                    _insert_events(session, fresh, fresh_keys, run_id, user_id, mapping)
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


def _by_keys(session: Session, keys: np.ndarray) -> dict[str, int]:
    """Report ids by idempotency key, for the keys that exist: one query per chunk on PostgreSQL."""
    found: dict[str, int] = {}
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of thousands of bound ones: no giant statement to parse.
        query = text("SELECT id, idempotency_key FROM reports WHERE idempotency_key = ANY(:keys)")
        found.update((str(k), i) for i, k in session.execute(query, {"keys": keys.tolist()}))
        return found
    for start in range(0, len(keys), 2000):  # well under SQLite's limit of bound parameters
        batch = keys[start:start + 2000].tolist()
        found.update((str(k), i) for i, k in session.execute(
            select(Report.id, Report.idempotency_key).where(Report.idempotency_key.in_(batch))))
    return found


def _times_list(values: pd.Series) -> list[Any]:
    boxed = pd.Series(values.dt.to_pydatetime(), index=values.index, dtype=object)
    return boxed.where(values.notna(), None).tolist()


def _json_text(values: pd.Series) -> pd.Series:
    """Each cell as JSON text (strings quoted and escaped), once per distinct value."""
    return per_unique(values, lambda u: u.map(lambda v: json.dumps(None if pd.isna(v) else v, ensure_ascii=False)))


def _attributes_json(rows: pd.DataFrame, mapping: ColumnMapping, run_id: int) -> pd.Series:
    """``{"import_source", "import_run", "import_row", <kept columns>}`` per row as JSON text, built by
    column (``json.dumps`` of 200,000 dicts was 15 % of an import)."""
    text = (f'{{"import_source": {json.dumps(mapping.source)}, "import_run": {run_id}, "import_row": '
            + rows["row"].astype(int).astype(str))
    for column in (c for c in rows.columns if c.startswith("keep:")):
        text = text + f", {json.dumps(column[5:], ensure_ascii=False)}: " + _json_text(rows[column])
    return text + "}"


def _insert_reports(session: Session, city_code: str, rows: pd.DataFrame, keys: np.ndarray,
                    mapping: ColumnMapping, run_id: int) -> None:
    now = utcnow()
    n = len(rows)
    codes = tracking_codes(city_code, rows["created_at"].dt.year.to_numpy())
    while len(set(codes)) < n:  # two equal codes in one chunk: draw again (1 in billions)
        codes = tracking_codes(city_code, rows["created_at"].dt.year.to_numpy())
    closed = rows["status"].isin([str(s) for s in CLOSED_STATUSES]).to_numpy()
    frame = pd.DataFrame({
        "tracking_code": codes,
        "channel": rows["channel"].to_numpy(),
        "external_id": rows["external_id"].to_numpy(),
        "idempotency_key": keys,
        "category_id": rows["category_id"].astype("Int64"),
        "agency_id": rows["agency_id"].astype("Int64"),
        "admin_unit_id": rows["admin_unit_id"].astype("Int64"),
        "status": rows["status"].to_numpy(),
        "urgency": "normal",
        "title": rows["title"].to_numpy(),
        "description": rows["description"].to_numpy(),
        "search_text": fold_series(rows["title"].fillna("") + " " + rows["description"]).to_numpy(),
        "lat": rows["lat"].to_numpy(),
        "lon": rows["lon"].to_numpy(),
        "address": rows["address"].to_numpy(),
        "published": False,
        "publish_consent": mapping.publish_consent,
        "attributes": _attributes_json(rows, mapping, run_id).to_numpy(),
        # Open reports wait for the processing sweep (classify, route, deadline); closed ones are history.
        "processed_at": pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]").mask(closed, pd.Timestamp(now))
        .to_numpy(),
        "category_confirmed": False,
        "me_too_count": 0,
        "reopen_count": 0,
        "created_at": rows["created_at"].to_numpy(),
        "updated_at": now,
        "resolved_at": rows["resolved_at"].to_numpy(),
        "closed_at": rows["closed_at"].to_numpy(),
        "is_demo": False,
    }, index=rows.index)
    if session.get_bind().dialect.name == "postgresql":
        copy_frame(session, Report, frame)
        return
    boxed = frame.astype(object).where(frame.notna(), None)
    boxed["attributes"] = frame["attributes"].map(json.loads)
    for name in ("processed_at", "created_at", "updated_at", "resolved_at", "closed_at"):
        # The driver wants datetimes, not Timestamps (and None, not NaT).
        boxed[name] = pd.Series(_times_list(pd.to_datetime(frame[name])), index=frame.index, dtype=object)
    bulk_insert(session, Report, boxed.to_dict("records"))  # type: ignore[arg-type]


def _insert_events(session: Session, rows: pd.DataFrame, keys: np.ndarray, run_id: int, user_id: int | None,
                   mapping: ColumnMapping) -> None:
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # Built by PostgreSQL from the rows just copied: no ids fetched, no second COPY.
        session.execute(text(
            "INSERT INTO report_events (report_id, at, user_id, action, to_status, data) "
            "SELECT id, :at, :user_id, 'created', status, json_build_object('channel', CAST(:channel AS text), "
            "'source', CAST(:source AS text), 'import_run', CAST(:run AS integer), "
            "'row', CAST(attributes ->> 'import_row' AS integer)) "
            "FROM reports WHERE idempotency_key = ANY(:keys)"),
            {"at": now, "user_id": user_id, "channel": str(Channel.IMPORT), "source": mapping.source, "run": run_id,
             "keys": keys.tolist()})
        return
    ids = _by_keys(session, keys)
    events = [
        {"report_id": ids[key], "at": now, "user_id": user_id, "action": "created", "from_status": None,
         "to_status": status, "agency_id": None, "note": None,
         "data": {"channel": str(Channel.IMPORT), "source": mapping.source, "import_run": run_id, "row": row}}
        for key, status, row in zip(keys.tolist(), rows["status"].tolist(), rows["row"].tolist(), strict=True)
    ]
    bulk_insert(session, ReportEvent, events)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------
