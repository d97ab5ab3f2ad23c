"""Position messages checked row by row (pure): a batch keeps its good rows and says, per bad row,
which field is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from data.core.errors import InvalidInput
from data.core.sla import to_local

MAX_BATCH = 5000
FUTURE_SLACK = timedelta(minutes=5)  # a transponder's clock may run a little ahead; more is a wrong clock
FIELDS = ("vessel", "at", "lat", "lon", "speed_kn", "heading", "name", "nav_status")


class PositionMessage(BaseModel):
    """One position report, as a transponder or shore station sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # The registration number painted on the hull (TTH-90123-TS): letters, digits, dots and dashes.
    vessel: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")
    at: datetime
    # AIS sends 91 / 181 for "no position": the bounds refuse them with the garbage.
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    speed_kn: float | None = Field(default=None, ge=0, le=102.2)  # AIS tops out at 102.2 kn
    heading: float | None = Field(default=None, ge=0, lt=360)
    name: str | None = Field(default=None, max_length=200)
    nav_status: Literal["underway", "fishing", "anchored", "moored"] | None = None

    @field_validator("vessel")
    @classmethod
    def _upper(cls, code: str) -> str:
        return code.upper()  # "tth-90123-ts" and "TTH-90123-TS" are one boat

    @field_validator("at")
    @classmethod
    def _utc_seconds(cls, at: datetime) -> datetime:
        # Naive UTC like every stored time; a time without zone is UTC (as AIS is). Whole seconds, so a
        # message resent with a different sub-second rendering is still recognised as the same one.
        at = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
        return at.replace(microsecond=0)


@dataclass(frozen=True)
class Problem:
    """A refused row: its number as sent (from 1), the field at fault and what to fix."""

    row: int
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "error": self.message}


@dataclass
class Batch:
    messages: list[PositionMessage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _limits(ctx: dict[str, Any]) -> str:
    names = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    return ", ".join(f"{names[k]} {v}" for k, v in ctx.items() if k in names)


def error_text(error: ErrorDetails) -> str:
    """A pydantic error in words a station operator can act on (Vietnamese)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "bắt buộc nhưng đang thiếu"
    if kind == "extra_forbidden":
        return f"trường không được nhận (chỉ nhận: {', '.join(FIELDS)})"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"ngoài khoảng cho phép ({_limits(ctx)}); nhận được {error['input']!r}"
    if kind.startswith("datetime"):
        return "thời gian phải theo ISO 8601, vd. 2026-12-07T05:30:00Z"
    if kind.startswith(("float", "int")):
        return f"phải là một số; nhận được {error['input']!r}"
    if kind == "string_pattern_mismatch":
        return "số đăng ký chỉ gồm chữ, số, dấu chấm và gạch ngang, vd. TTH-90123-TS"
    if kind == "literal_error":
        return f"một trong {ctx.get('expected')}"
    if kind == "model_type":
        return "mỗi dòng phải là một đối tượng JSON {vessel, at, lat, lon, ...}"
    return error["msg"]


def _problems(row: int, exc: ValidationError) -> list[Problem]:
    return [Problem(row, ".".join(str(p) for p in e["loc"]) or "dòng", error_text(e)) for e in exc.errors()]


def parse_batch(raw: object, now: datetime, tz: tzinfo) -> Batch:
    """Validate a decoded JSON batch (pure): the good messages and, per bad row, what is wrong (times in ``tz``).

    InvalidInput when the batch as a whole is unusable (not a list, too long)."""
    if isinstance(raw, dict) and isinstance(raw.get("positions"), list):
        raw = raw["positions"]
    if not isinstance(raw, list):
        raise InvalidInput('Dữ liệu phải là một danh sách vị trí (JSON array) hoặc {"positions": [...]}.')
    if len(raw) > MAX_BATCH:
        raise InvalidInput(f"Mỗi lần gửi tối đa {MAX_BATCH} vị trí; lần này có {len(raw)}. Hãy chia nhỏ.")
    batch = Batch()
    for row, item in enumerate(raw, start=1):
        try:
            message = PositionMessage.model_validate(item)
        except ValidationError as exc:
            batch.problems.extend(_problems(row, exc))
            continue
        if message.at > now + FUTURE_SLACK:
            batch.problems.append(Problem(row, "at", f"thời điểm {to_local(message.at, tz):%Y-%m-%d %H:%M} ở tương lai "
                                                     "(đồng hồ thiết bị sai, hoặc giờ địa phương gửi thiếu múi giờ?)"))
            continue
        batch.messages.append(message)
    return batch


def first_per_key(messages: Iterable[PositionMessage]) -> list[PositionMessage]:
    """The messages with each (vessel, time) once: a batch may carry a relayed copy."""
    seen: set[tuple[str, datetime]] = set()
    kept = []
    for message in messages:
        if (message.vessel, message.at) not in seen:
            seen.add((message.vessel, message.at))
            kept.append(message)
    return kept


def latest_by_vessel(messages: Iterable[PositionMessage]) -> dict[str, PositionMessage]:
    """Each vessel's newest message of the batch."""
    latest: dict[str, PositionMessage] = {}
    for message in messages:
        if message.vessel not in latest or message.at > latest[message.vessel].at:
            latest[message.vessel] = message
    return latest
