"""The mapping: which source column feeds which field, and how the source's words become ours.

Presets in ``data/import_presets/`` show how a city maps a foreign export onto its own categories."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from data.core.columns import column_or_blank, map_values, per_unique
from data.core.errors import InvalidInput
from data.core.text import fold
from data.models import Channel, ReportStatus

PRESETS_DIR = Path(__file__).resolve().parents[3] / "import_presets"
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}$"
IMPORT_ATTRIBUTES = ("import_source", "import_run", "import_row")  # written into every imported report
# Keys no kept column may take: the import's own, and ``sender_id``, which marks a chat reporter (replies go
# back through the report's channel: data.reports.workflow.notices.contact_of).
RESERVED_ATTRIBUTES = (*IMPORT_ATTRIBUTES, "sender_id")
VALUE_FIELDS = ("status", "category", "agency")  # the fields whose source words map onto ours
VALUE_CHOICES = 300  # distinct values a page lists per field for mapping; more is not a category column


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
        # The import's own keys in the attributes find a report's import (duplicate check, overdue alert);
        # a kept ``sender_id`` would send the reporter's notices to a chat they never wrote from.
        taken = sorted(set(columns) & set(RESERVED_ATTRIBUTES))
        if taken:
            raise ValueError(f"{', '.join(taken)} là khoá dành riêng; đổi tên cột trước khi giữ lại")
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


def value_choices(frame: pd.DataFrame, mapping: ColumnMapping, field_name: str,
                  limit: int = VALUE_CHOICES) -> tuple[pd.DataFrame, bool]:
    """The distinct values in the column of ``field_name`` (``status``, ``category``, ``agency``), most rows
    first, each with what the mapping makes of it (``ours``, None when unmapped); and whether all are listed."""
    raw = per_unique(column_or_blank(frame, getattr(mapping, field_name)), lambda u: u.str.strip())
    counts = raw[raw != ""].value_counts()
    listed = pd.Series(counts.index[:limit], dtype=object)
    ours = map_values(listed, {k: str(v) for k, v in getattr(mapping, f"{field_name}_map").items()})
    return (pd.DataFrame({"value": listed, "rows": counts.to_numpy()[:limit],
                          "ours": ours.astype(object).where(ours.notna(), None)}), len(counts) <= limit)
