"""Fishing-vessel monitoring (giám sát tàu cá): AIS-like position reports in, tracks kept, the last
position cached on the vessel, and an alert when a vessel leaves its allowed zone or goes silent.

A message is ``{"vessel": "TTH-90123-TS", "at": ISO time, "lat": .., "lon": .., "speed_kn": ..,
"heading": .., "name": .., "nav_status": "underway"|"fishing"|"anchored"|"moored"}`` (the last four
optional). Three intakes share ``receive``: ``POST /api/vessels/positions`` (dashboard/api/vessels.py),
the ``vessels.pull_feeds`` job (``IOC_VESSEL_FEEDS``) and the demo's simulated fleet. A batch keeps its
good rows and reports the bad ones by row number: a shore station relaying a hundred boats must not lose
ninety-nine positions to one garbled line. A vessel not yet registered is created from its first message
(a boat at sea is worth seeing before its paperwork is entered).

Allowed zones are ``map_features`` of layer ``fishing_zone`` (the polygon in ``properties.geometry``,
``lat``/``lon`` its centroid); a vessel with a ``zone_code`` must stay in that zone, one without in any.
Alerts (kind ``vessel``) are one per vessel and reason while open: ``out_of_zone`` when its latest
position lies outside, ``silent`` (job ``vessels.check_silent``) when it has not reported for
``IOC_VESSEL_SILENT_AFTER_MIN`` while not moored. The owner's phone never goes into an alert or the map.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.alerts.events import OPEN_STATUSES, published, raise_alert
from data.core.errors import InvalidInput
from data.core.feeds import FeedError, fetch
from data.core.jobs import register
from data.core.sla import to_local
from data.geo.boundaries import geometry_error
from data.geo.geometry import UnitShape, area_and_centroid, locate
from data.models import Alert, MapFeature, Vessel, VesselPosition, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)
KIND = "vessel"
ZONE_LAYER = "fishing_zone"
API_CHANNEL = "vessels"  # the channel of the API keys that may post positions (data.accounts.apikeys)
OUT_OF_ZONE, SILENT = "out_of_zone", "silent"
MOORED = "moored"
MAX_BATCH = 5000
FUTURE_SLACK = timedelta(minutes=5)  # a transponder's clock may run a little ahead; more is a wrong clock
FIELDS = ("vessel", "at", "lat", "lon", "speed_kn", "heading", "name", "nav_status")
STATES = ("ok", OUT_OF_ZONE, SILENT, "in_port")


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


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0  # the same vessel and time again: a retried batch or a relayed copy
    vessels_created: int = 0
    rejected: list[Problem] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"ok": True, "stored": self.stored, "duplicates": self.duplicates,
                "vessels_created": self.vessels_created, "rejected": [p.as_json() for p in self.rejected],
                "alerts": [a.id for a in self.alerts]}


# ---------------------------------------------------------------------------------------------
# Validation: pure
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Zones and states: pure
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    shape: UnitShape  # the bounding-box prefilter and polygon test of data.geo.boundaries


def in_allowed_zone(lat: float, lon: float, zones: Sequence[Zone], zone_code: str | None) -> bool | None:
    """Whether the point lies in the vessel's zone (any zone when it has none); None with no zones to judge by.

    A licensed zone missing from the map falls back to every zone: an unknown code must not flag every boat."""
    if not zones:
        return None
    own = [z for z in zones if z.code == zone_code] if zone_code else []
    return locate(lat, lon, (z.shape for z in own or zones)) is not None


def vessel_state(last_in_zone: bool | None, nav_status: str | None, silent: bool) -> str:
    """One of STATES, in order of urgency: a silent boat may be in distress, so silence wins.

    ``silent``: the silent check flagged the vessel and it has not reported since (``silenced``)."""
    if silent:
        return SILENT
    if nav_status == MOORED:
        return "in_port"
    return OUT_OF_ZONE if last_in_zone is False else "ok"


def alert_text(vessel: Vessel, reason: str, now: datetime, tz: tzinfo) -> tuple[str, str, str]:
    """(severity, title, message) of a vessel alert, times in ``tz``; never the owner's phone (alerts reach
    many screens)."""
    label = f"{vessel.code}{f' ({vessel.name})' if vessel.name else ''}"
    where = (f"Vị trí cuối {vessel.last_lat:.4f}, {vessel.last_lon:.4f} "
             f"lúc {to_local(vessel.last_at, tz):%d/%m/%Y %H:%M}" if vessel.last_at is not None else "Chưa có vị trí")
    if reason == SILENT:
        minutes = int((now - vessel.last_at).total_seconds() // 60) if vessel.last_at else 0
        return "critical", f"Tàu cá mất tín hiệu {minutes} phút: {label}", f"{where}."
    zone = f"vùng {vessel.zone_code}" if vessel.zone_code else "vùng khai thác được phép"
    speed = f", {vessel.last_speed_kn:g} hải lý/giờ" if vessel.last_speed_kn is not None else ""
    return "warning", f"Tàu cá ra ngoài {zone}: {label}", f"{where}{speed}."


# ---------------------------------------------------------------------------------------------
# The database side
# ---------------------------------------------------------------------------------------------


def load_zones(session: Session) -> list[Zone]:
    rows = session.execute(select(MapFeature.code, MapFeature.name, MapFeature.id, MapFeature.properties)
                           .where(MapFeature.layer == ZONE_LAYER).order_by(MapFeature.code)).all()
    return [Zone(r.code, r.name, UnitShape.of(r.id, r.properties["geometry"]))
            for r in rows if r.properties and r.properties.get("geometry")]


def upsert_zone(session: Session, code: str, name: str, geometry: dict[str, Any], *, kind: str = "inshore",
                is_demo: bool = False) -> MapFeature:
    """Add or replace an allowed fishing zone (a Polygon or MultiPolygon in GeoJSON order, lon/lat)."""
    if problem := geometry_error(geometry):
        raise InvalidInput(f"Vùng khai thác {code}: hình không hợp lệ ({problem}).")
    _, lat, lon = area_and_centroid(geometry)
    zone = session.scalar(select(MapFeature).where(MapFeature.layer == ZONE_LAYER, MapFeature.code == code))
    if zone is None:
        zone = MapFeature(layer=ZONE_LAYER, code=code)
        session.add(zone)
    zone.kind, zone.name, zone.lat, zone.lon, zone.is_demo = kind, name, lat, lon, is_demo
    zone.properties, zone.updated_at = {"geometry": geometry}, utcnow()
    session.flush()
    return zone


def _vessels_for(session: Session, messages: list[PositionMessage], is_demo: bool) -> tuple[dict[str, Vessel], int]:
    """The batch's vessels by code and how many were created; a name any message gives fills a missing one."""
    names = {m.vessel: m.name for m in messages if m.name}
    codes = {m.vessel for m in messages}
    found = {v.code: v for v in session.scalars(select(Vessel).where(Vessel.code.in_(codes)))}
    new = codes - set(found)
    for code in new:
        found[code] = Vessel(code=code, is_demo=is_demo, created_at=utcnow())
        session.add(found[code])
    for code, name in names.items():
        found[code].name = found[code].name or name
    session.flush()
    return found, len(new)


def _stored_keys(session: Session, vessels: dict[str, Vessel],
                 messages: list[PositionMessage]) -> set[tuple[int, datetime]]:
    """(vessel id, time) of the batch's messages already stored: one query over the batch's time span."""
    times = [m.at for m in messages]
    rows = session.execute(select(VesselPosition.vessel_id, VesselPosition.at).where(
        VesselPosition.vessel_id.in_([v.id for v in vessels.values()]),
        VesselPosition.at >= min(times), VesselPosition.at <= max(times)))
    return {(vessel_id, at) for vessel_id, at in rows}


def _cache_position(vessel: Vessel, message: PositionMessage, zones: Sequence[Zone]) -> None:
    vessel.last_at, vessel.last_lat, vessel.last_lon = message.at, message.lat, message.lon
    vessel.last_speed_kn, vessel.last_heading, vessel.nav_status = message.speed_kn, message.heading, message.nav_status
    vessel.last_in_zone = in_allowed_zone(message.lat, message.lon, zones, vessel.zone_code)


def ensure_alert(session: Session, vessel: Vessel, reason: str, now: datetime, tz: tzinfo) -> Alert | None:
    """Raise the vessel's alert for ``reason`` unless one is still open (a boat out of zone for hours is one alert)."""
    if session.scalar(select(Alert.id).where(
            Alert.kind == KIND, Alert.source == reason, Alert.source_ref == vessel.code,
            Alert.status.in_(OPEN_STATUSES)).limit(1)) is not None:
        return None
    severity, title, message = alert_text(vessel, reason, now, tz)
    return raise_alert(session, kind=KIND, severity=severity, title=title, message=message, source=reason,
                       source_ref=vessel.code, lat=vessel.last_lat, lon=vessel.last_lon, now=now,
                       is_demo=vessel.is_demo)


def _store(runtime: Runtime, messages: list[PositionMessage], now: datetime, is_demo: bool) -> IngestResult:
    result = IngestResult()
    unique = first_per_key(messages)
    result.duplicates = len(messages) - len(unique)
    if not unique:
        return result
    with runtime.session() as session:
        vessels, result.vessels_created = _vessels_for(session, unique, is_demo)
        known = _stored_keys(session, vessels, unique)
        fresh = [m for m in unique if (vessels[m.vessel].id, m.at) not in known]
        result.duplicates += len(unique) - len(fresh)
        session.add_all(VesselPosition(vessel_id=vessels[m.vessel].id, at=m.at, lat=m.lat, lon=m.lon,
                                       speed_kn=m.speed_kn, heading=m.heading, received_at=now) for m in fresh)
        result.stored = len(fresh)
        zones = load_zones(session)
        for code, message in latest_by_vessel(fresh).items():
            vessel = vessels[code]
            if vessel.last_at is not None and message.at <= vessel.last_at:
                continue  # a late message fills the track; it must not move the boat back in time
            _cache_position(vessel, message, zones)
            if vessel.last_in_zone is False and vessel.nav_status != MOORED:
                alert = ensure_alert(session, vessel, OUT_OF_ZONE, now, runtime.settings.tz)
                if alert is not None:
                    result.alerts.append(alert)
    return result


def ingest(runtime: Runtime, messages: list[PositionMessage], *, now: datetime | None = None,
           is_demo: bool = False) -> IngestResult:
    """Store the messages (each vessel and time once), refresh each vessel's last position, raise the
    out-of-zone alerts its new position calls for, commit, then announce the alerts to every screen."""
    now = now or utcnow()
    try:
        result = _store(runtime, messages, now, is_demo)
    except IntegrityError:
        # Another worker stored the same message or created the same vessel between our read and our
        # commit; a second pass sees its rows and skips them.
        log.info("vessel ingest: concurrent write, retrying the batch once")
        result = _store(runtime, messages, now, is_demo)
    for alert in result.alerts:
        published(runtime, alert, "raised")
    return result


def receive(runtime: Runtime, raw: object, *, now: datetime | None = None, is_demo: bool = False) -> IngestResult:
    """The one intake path of a decoded JSON batch: the endpoint, the pull job and the demo fleet."""
    now = now or utcnow()
    batch = parse_batch(raw, now, runtime.settings.tz)
    result = ingest(runtime, batch.messages, now=now, is_demo=is_demo)
    result.rejected = batch.problems
    if result.stored:  # after the commit: maps redraw the boats (dashboard/api/live.py forwards the topic)
        runtime.bus.publish("vessels", {"stored": result.stored})
    return result


@register("vessels.check_silent", every_s=300, every_setting="vessel_silent_check_every_s")
def check_silent(runtime: Runtime, now: datetime | None = None) -> list[int]:
    """Raise a ``silent`` alert for each vessel at sea whose last report is older than the threshold."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=runtime.settings.vessel_silent_after_min)
    with runtime.session() as session:
        quiet = session.scalars(select(Vessel).where(
            Vessel.last_at < cutoff, or_(Vessel.nav_status.is_(None), Vessel.nav_status != MOORED))).all()
        raised = [alert for vessel in quiet
                  if (alert := ensure_alert(session, vessel, SILENT, now, runtime.settings.tz)) is not None]
    for alert in raised:
        published(runtime, alert, "raised")
    return [alert.id for alert in raised]


def silenced(session: Session) -> dict[str, datetime]:
    """Vessel code -> when its open ``silent`` alert was raised: the map shows what the check decided
    (with the configured threshold), and a vessel reporting since then is no longer drawn as silent."""
    rows = session.execute(select(Alert.source_ref, Alert.created_at).where(
        Alert.kind == KIND, Alert.source == SILENT, Alert.status.in_(OPEN_STATUSES)))
    return {code: at for code, at in rows if code is not None}


@dataclass
class FeedPull:
    url: str
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None


def pull_feed(runtime: Runtime, url: str) -> FeedPull:
    """Fetch one feed (the endpoint's JSON body) and take it in; a feed that cannot be read writes nothing."""
    pull = FeedPull(url)
    try:
        raw = json.loads(fetch(url))
        result = receive(runtime, raw)
    except (FeedError, ValueError, InvalidInput) as exc:  # json's errors are ValueErrors
        pull.error = exc.message if isinstance(exc, InvalidInput) else str(exc)
        log.warning("vessel feed %s: %s", url, pull.error)
        return pull
    pull.stored, pull.duplicates, pull.rejected = result.stored, result.duplicates, len(result.rejected)
    if result.rejected:
        first = result.rejected[0]
        log.warning("vessel feed %s: %d rows refused, first: #%d %s: %s", url, pull.rejected, first.row,
                    first.field, first.message)
    return pull


@register("vessels.pull_feeds", every_s=60, every_setting="vessel_feeds_every_s")
def pull_feeds(runtime: Runtime) -> list[FeedPull]:
    """Every configured feed, each on its own: one that fails does not stop the others."""
    return [pull_feed(runtime, url) for url in runtime.settings.vessel_feeds]


Track = list[tuple[float, float]]  # (lat, lon), oldest first


def tracks(session: Session, since: datetime, vessel_ids: Sequence[int] | None = None) -> dict[int, Track]:
    """Each vessel's (lat, lon) positions since ``since``, oldest first: the map's polylines."""
    query = (select(VesselPosition.vessel_id, VesselPosition.lat, VesselPosition.lon)
             .where(VesselPosition.at >= since).order_by(VesselPosition.vessel_id, VesselPosition.at))
    if vessel_ids is not None:
        query = query.where(VesselPosition.vessel_id.in_(vessel_ids))
    out: dict[int, Track] = {}
    for vessel_id, lat, lon in session.execute(query):
        out.setdefault(vessel_id, []).append((lat, lon))
    return out
