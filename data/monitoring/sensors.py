"""Environment monitoring: sensor readings in (HTTP ingest, pulled feeds, the demo's simulated feed, all
through ``ingest``), their history kept, the latest value cached on the sensor for the map, and
thresholds turned into alerts.

A sensor is a ``MapFeature`` of layer ``sensor`` (kind ``air`` or ``water``, found by its code). A reading
is ``{"sensor": code, "at": ISO time, "metric": "aqi"|"pm25"|"water_level_m", "value": number}``.
Thresholds: air by the Vietnamese AQI bands (VN_AQI, Decision 1459/QĐ-TCMT: "Xấu" from 151 is a warning,
"Rất xấu" from 201 critical), rivers by the gauge's own flood alarm levels (báo động I, II: warning;
III: critical, with the flood procedure). One alert per sensor and level while it is open: a river
staying at alarm II raises one alert, climbing to III raises the next.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.alerts.events import OPEN_STATUSES, published, raise_alert
from data.core.feeds import FeedError, fetch
from data.core.jobs import register
from data.core.sla import to_local
from data.models import Alert, MapFeature, SensorReading, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)
# metric -> (sensor kind, lowest and highest plausible value): anything outside is a broken sensor, refused.
METRICS = {"aqi": ("air", 0.0, 1000.0), "pm25": ("air", 0.0, 2000.0), "water_level_m": ("water", -20.0, 60.0)}
MAX_BATCH = 5000
FUTURE_SLACK = timedelta(minutes=5)  # a sensor's clock may run a little ahead; more is a wrong clock

# VN_AQI bands: upper bound, colour, Vietnamese and English label.
AQI_BANDS = (
    (50, "#00e400", "Tốt", "Good"),
    (100, "#ffff00", "Trung bình", "Moderate"),
    (150, "#ff7e00", "Kém", "Poor"),
    (200, "#ff0000", "Xấu", "Bad"),
    (300, "#8f3f97", "Rất xấu", "Very bad"),
    (10_000, "#7e0023", "Nguy hại", "Hazardous"),
)
AQI_WARNING, AQI_CRITICAL = 151, 201


def aqi_band(aqi: float) -> tuple[str, str, str]:
    """Colour and labels (vi, en) of an AQI value."""
    for top, colour, vi, en in AQI_BANDS:
        if aqi <= top:
            return colour, vi, en
    raise AssertionError("the last band has no upper bound")


def alarm_level(level_m: float, alarms: Sequence[float]) -> int:
    """0 below the first alarm level, else the highest alarm (1–3) the reading has reached."""
    return sum(1 for alarm in sorted(alarms) if level_m >= alarm)


@dataclass(frozen=True)
class Breach:
    """A reading past a threshold: what alert it calls for."""

    level: str  # what identifies it among the sensor's open alerts: "aqi-bad", "alarm-2", ...
    kind: str  # the alert's kind (its procedure)
    severity: str
    title: str


def breach(sensor_kind: str, name: str, metric: str, value: float, alarms: Sequence[float] = ()) -> Breach | None:
    """The alert a reading calls for, or None (pure)."""
    if sensor_kind == "air" and metric == "aqi" and value >= AQI_WARNING:
        critical = value >= AQI_CRITICAL
        label = aqi_band(value)[1]
        return Breach("aqi-critical" if critical else "aqi-bad", "sensor", "critical" if critical else "warning",
                      f"Chất lượng không khí {label.lower()} (AQI {value:g}): {name}")
    if sensor_kind == "water" and metric == "water_level_m" and alarms:
        level = alarm_level(value, alarms)
        if level:
            return Breach(f"alarm-{level}", "flood", "critical" if level >= 3 else "warning",
                          f"Mực nước {value:g} m vượt báo động {'I' * level}: {name}")
    return None


class Reading(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sensor: str = Field(min_length=1, max_length=64)
    at: datetime
    metric: str
    value: float

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in METRICS:
            raise ValueError(f"chỉ số «{metric}» không được hỗ trợ (một trong {', '.join(METRICS)})")
        return metric

    @field_validator("at")
    @classmethod
    def _utc(cls, at: datetime) -> datetime:
        """Stored as naive UTC, like every time in the database; a time without zone is taken as UTC."""
        return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


@dataclass
class IngestResult:
    stored: int = 0
    unchanged: int = 0  # the same sensor, metric and time sent again (a retried batch)
    errors: list[str] = field(default_factory=list)  # one line per refused reading: "#3: ..."
    alerts: list[Alert] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"stored": self.stored, "unchanged": self.unchanged, "errors": self.errors,
                "alerts": [a.id for a in self.alerts]}


def parse_batch(raw: Any, now: datetime, tz: tzinfo) -> tuple[list[tuple[int, Reading]], list[str]]:
    """Validate a decoded JSON batch (pure): the readings to keep, numbered as sent (from 1), and the refusals
    (their times in ``tz``, the city's)."""
    if isinstance(raw, dict) and isinstance(raw.get("readings"), list):
        raw = raw["readings"]
    if not isinstance(raw, list):
        return [], ["Dữ liệu phải là một danh sách số đo (JSON array) hoặc {\"readings\": [...]}."]
    if len(raw) > MAX_BATCH:
        return [], [f"Một lần gửi tối đa {MAX_BATCH} số đo; lần này có {len(raw)}."]
    kept, errors = [], []
    for number, item in enumerate(raw, start=1):
        try:
            reading = Reading.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'số đo'}: {e['msg']}" for e in exc.errors())
            errors.append(f"#{number}: {problems}")
            continue
        low, high = METRICS[reading.metric][1:]
        if not low <= reading.value <= high:
            errors.append(f"#{number}: {reading.metric} = {reading.value:g} ngoài khoảng hợp lý [{low:g}, {high:g}].")
        elif reading.at > now + FUTURE_SLACK:
            errors.append(f"#{number}: thời điểm {to_local(reading.at, tz):%Y-%m-%d %H:%M} ở tương lai "
                          "(đồng hồ cảm biến sai?).")
        else:
            kept.append((number, reading))
    return kept, errors


def ingest(session: Session, raw: Any, source: str, *, tz: tzinfo, now: datetime | None = None) -> IngestResult:
    """Store a batch's valid readings (a reading sent twice is stored once), refresh each sensor's latest
    value, and raise the alerts the new values call for (texts in ``tz``, the city's time).
    The caller commits, then ``announce``s."""
    now = now or utcnow()
    result = IngestResult()
    kept, result.errors = parse_batch(raw, now, tz)
    codes = {r.sensor for _, r in kept}
    sensors = {f.code: f for f in session.scalars(select(MapFeature).where(
        MapFeature.layer == "sensor", MapFeature.code.in_(codes)))} if codes else {}
    fresh: list[tuple[MapFeature, Reading]] = []
    seen = _stored(session, [s.id for s in sensors.values()], [r.at for _, r in kept])
    for number, reading in kept:
        sensor = sensors.get(reading.sensor)
        if sensor is None:
            result.errors.append(f"#{number}: không có cảm biến mã «{reading.sensor}».")
            continue
        if METRICS[reading.metric][0] != sensor.kind:
            result.errors.append(f"#{number}: cảm biến «{sensor.code}» ({sensor.kind}) không đo {reading.metric}.")
            continue
        key = (sensor.id, reading.metric, reading.at)
        if key in seen:
            result.unchanged += 1
            continue
        seen.add(key)
        session.add(SensorReading(feature_id=sensor.id, metric=reading.metric, at=reading.at, value=reading.value,
                                  source=source[:100], received_at=now))
        fresh.append((sensor, reading))
        result.stored += 1
    for sensor, reading in sorted(fresh, key=lambda pair: pair[1].at):
        if _is_latest(sensor, reading):
            properties = dict(sensor.properties or {})
            properties[reading.metric] = reading.value
            properties[f"{reading.metric}_at"] = reading.at.isoformat()
            sensor.properties, sensor.updated_at = properties, now
            alert = _alert_for(session, sensor, reading, now, tz)
            if alert is not None:
                result.alerts.append(alert)
    return result


def _stored(session: Session, feature_ids: list[int], times: list[datetime]) -> set[tuple[int, str, datetime]]:
    """The readings already kept for these sensors over the batch's time span: one query, not one per reading."""
    if not feature_ids or not times:
        return set()
    rows = session.execute(select(SensorReading.feature_id, SensorReading.metric, SensorReading.at).where(
        SensorReading.feature_id.in_(feature_ids), SensorReading.at.between(min(times), max(times))))
    return {(f, m, at) for f, m, at in rows}


def _is_latest(sensor: MapFeature, reading: Reading) -> bool:
    """Only a reading newer than the cached one moves the map (a late batch fills the history only)."""
    cached = (sensor.properties or {}).get(f"{reading.metric}_at")
    return cached is None or datetime.fromisoformat(cached) <= reading.at


def _alert_for(session: Session, sensor: MapFeature, reading: Reading, now: datetime, tz: tzinfo) -> Alert | None:
    alarms = (sensor.properties or {}).get("alarm_levels") or []
    found = breach(sensor.kind, sensor.name, reading.metric, reading.value, alarms)
    if found is None:
        return None
    ref = f"{sensor.code}:{found.level}"
    if session.scalar(select(Alert.id).where(Alert.source_ref == ref, Alert.status.in_(OPEN_STATUSES))) is not None:
        return None
    return raise_alert(session, kind=found.kind, severity=found.severity, title=found.title, source="sensor",
                       source_ref=ref, lat=sensor.lat, lon=sensor.lon, now=now, is_demo=sensor.is_demo,
                       message=f"Số đo lúc {to_local(reading.at, tz):%d/%m/%Y %H:%M}: {reading.metric} = "
                               f"{reading.value:g}.")


def announce(runtime: Runtime, result: IngestResult) -> None:
    """After the commit: the alerts to every screen, and the map's sensor layer news."""
    for alert in result.alerts:
        published(runtime, alert, "raised")


def receive(runtime: Runtime, raw: Any, source: str) -> IngestResult:
    """The one intake path: the HTTP endpoint, the pull job and the demo feed all come through here."""
    with runtime.session() as session:
        result = ingest(session, raw, source, tz=runtime.settings.tz)
    announce(runtime, result)
    return result


def history(session: Session, feature_id: int, metric: str, since: datetime) -> list[tuple[datetime, float]]:
    return [(at, value) for at, value in session.execute(
        select(SensorReading.at, SensorReading.value).where(
            SensorReading.feature_id == feature_id, SensorReading.metric == metric, SensorReading.at >= since)
        .order_by(SensorReading.at))]


def sensors(session: Session) -> list[MapFeature]:
    return list(session.scalars(select(MapFeature).where(MapFeature.layer == "sensor").order_by(MapFeature.name)))


@register("sensors.pull", every_s=300, every_setting="sensor_feeds_every_s")
def pull(runtime: Runtime) -> list[IngestResult]:
    """Read every configured feed (a JSON batch of readings per URL); a feed that fails is logged and skipped."""
    results = []
    for url in runtime.settings.sensor_feeds:
        try:
            raw = json.loads(fetch(url))
        except (FeedError, ValueError) as exc:
            log.warning("sensor feed %s: %s", url, exc)
            results.append(IngestResult(errors=[f"{url}: không đọc được ({exc})"]))
            continue
        result = receive(runtime, raw, source=url)
        if result.errors:
            log.warning("sensor feed %s: %d readings refused, first: %s", url, len(result.errors), result.errors[0])
        results.append(result)
    return results


def simulated(features: Iterable[MapFeature], now: datetime, draw: Any) -> list[dict[str, Any]]:
    """The demo's feed: each sensor's next reading, a small random walk from its latest (pure but ``draw``).

    ``draw()`` returns a number in [-1, 1); the demo passes a seeded generator's, tests their own."""
    at = now.replace(second=0, microsecond=0).isoformat()
    batch = []
    for f in features:
        props = f.properties or {}
        if f.kind == "air" and props.get("aqi") is not None:
            aqi = min(METRICS["aqi"][2], max(5.0, float(props["aqi"]) * (1 + 0.08 * draw())))
            batch.append({"sensor": f.code, "at": at, "metric": "aqi", "value": round(aqi)})
        elif f.kind == "water" and props.get("water_level_m") is not None:
            level = max(0.0, float(props["water_level_m"]) + 0.05 * draw())
            batch.append({"sensor": f.code, "at": at, "metric": "water_level_m", "value": round(level, 2)})
    return batch


@register("sensors.simulate", every_s=60, demo_only=True)
def simulate(runtime: Runtime) -> IngestResult:
    """Demo mode: the demo sensors report every minute through the same intake path a real feed uses."""
    import random

    rng = random.Random()
    with runtime.session() as session:
        demo = [f for f in sensors(session) if f.is_demo]
    return receive(runtime, simulated(demo, utcnow(), lambda: rng.uniform(-1, 1)), source="demo")
