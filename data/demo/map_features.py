"""Demo map features: points of interest, Đông Hà's public wifi, and air and water sensors with readings."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.demo.naming import slug
from data.demo.places import offset_point
from data.demo.seasons import RAINY_MONTHS
from data.demo.units import Shapes, locate, unit_id
from data.geo import geometry
from data.models import MapFeature

AQI_BREAKPOINTS = (  # US EPA, PM2.5 in µg/m³: (concentration low, high, index low, high)
    (0.0, 12.0, 0, 50),
    (12.1, 35.4, 51, 100),
    (35.5, 55.4, 101, 150),
    (55.5, 150.4, 151, 200),
    (150.5, 250.4, 201, 300),
    (250.5, 500.4, 301, 500),
)


def aqi_from_pm25(pm25: float) -> int:
    """US EPA AQI of a PM2.5 concentration (µg/m³), by linear interpolation between breakpoints."""
    for c_lo, c_hi, i_lo, i_hi in AQI_BREAKPOINTS:
        if pm25 <= c_hi:
            return round(i_lo + (i_hi - i_lo) * (max(pm25, c_lo) - c_lo) / (c_hi - c_lo))
    return 500


def sensor_properties(sensor: dict[str, Any], month: int, rng: np.random.Generator) -> dict[str, Any]:
    """Plausible current readings: dusty dry season, high rivers in the rains."""
    if sensor["kind"] == "air":
        pm25 = round(float(rng.uniform(8, 22) if month in RAINY_MONTHS else rng.uniform(15, 42)), 1)
        return {"pm25": pm25, "aqi": aqi_from_pm25(pm25)}
    first_alarm = sensor["alarm_levels"][0]
    level = rng.uniform(0.6, 1.4) * first_alarm if month in RAINY_MONTHS else rng.uniform(0.2, 0.6) * first_alarm
    return {"water_level_m": round(float(level), 2), "alarm_levels": sensor["alarm_levels"]}


def points_in(
    shape: geometry.UnitShape, lat: float, lon: float, spread_m: float, count: int, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Up to ``count`` points scattered around (lat, lon) that fall inside ``shape``."""
    points: list[tuple[float, float]] = []
    for _ in range(count * 50):  # bounded: a centre outside the shape must not hang the seeding
        if len(points) == count:
            break
        north, east = rng.normal(0.0, spread_m, 2).tolist()
        p = offset_point(lat, lon, north, east)
        if shape.holds(p[0], p[1]):
            points.append((round(p[0], 6), round(p[1], 6)))
    return points


def _poi_rows(catalogue: dict[str, Any], shapes: Shapes) -> list[dict[str, Any]]:
    return [
        {
            "layer": "poi",
            "kind": p["kind"],
            "code": f"{p['kind']}-{slug(p['name'])}",
            "name": p["name"],
            "lat": p["lat"],
            "lon": p["lon"],
            "admin_unit_id": locate(p["lat"], p["lon"], shapes),
            "properties": None,
        }
        for p in catalogue["pois"]
    ]


def _wifi_rows(
    session: Session, wifi: dict[str, Any], shapes: Shapes, rng: np.random.Generator
) -> list[dict[str, Any]]:
    area = next((s for s, _ in shapes if s.id == unit_id(session, wifi["district"])), None)
    if area is None:
        return []
    points = points_in(area, wifi["lat"], wifi["lon"], wifi["spread_m"], wifi["count"], rng)
    return [
        {
            "layer": "poi",
            "kind": "wifi",
            "code": f"wifi-{i + 1:02d}",
            "admin_unit_id": area.id,
            "name": f"Wifi công cộng – {wifi['places'][i % len(wifi['places'])]}",
            "lat": lat,
            "lon": lon,
            "properties": {"free": True},
        }
        for i, (lat, lon) in enumerate(points)
    ]


def _sensor_rows(
    catalogue: dict[str, Any], shapes: Shapes, local_month: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    return [
        {
            "layer": "sensor",
            "kind": s["kind"],
            "code": s["code"],
            "name": s["name"],
            "lat": s["lat"],
            "lon": s["lon"],
            "admin_unit_id": locate(s["lat"], s["lon"], shapes),
            "properties": sensor_properties(s, local_month, rng),
        }
        for s in catalogue["sensors"]
    ]


def sensor_history(current: float, hours: int, rng: np.random.Generator, step: float) -> list[float]:
    """``hours`` hourly values ending at ``current``: a daily swing and a random walk (oldest first)."""
    walk = np.cumsum(rng.normal(0.0, step, hours))[::-1]
    swing = step * 3 * np.sin(np.arange(hours)[::-1] * 2 * np.pi / 24)
    values = np.maximum(current + walk - walk[-1] + swing - swing[-1], 0.0)
    return [round(float(v), 2) for v in values]


def seed_sensor_history(session: Session, now: datetime, rng: np.random.Generator, tz: tzinfo, days: int = 7) -> int:
    """A week of hourly readings per demo sensor, ending at its current value, through the real intake."""
    from data.monitoring import sensors

    end = now.replace(minute=0, second=0, microsecond=0)
    batch = []
    for feature in sensors.sensors(session):
        metric = "aqi" if feature.kind == "air" else "water_level_m"
        current = (feature.properties or {}).get(metric)
        if current is None:
            continue
        step = max(float(current) * 0.04, 0.01)
        for i, value in enumerate(sensor_history(float(current), days * 24, rng, step)):
            at = end - timedelta(hours=days * 24 - 1 - i)
            batch.append({"sensor": feature.code, "at": at.isoformat(), "metric": metric,
                          "value": round(value) if metric == "aqi" else value})
    return sensors.ingest(session, batch, source="demo", tz=tz, now=now).stored


def seed_map_features(
    session: Session, catalogue: dict[str, Any], shapes: Shapes, now: datetime, rng: np.random.Generator
) -> int:
    """POIs (schools, health, markets, tourist sites, Đông Hà's 27 wifi points) and sensors."""
    base = {"updated_at": now, "is_demo": True}
    local_month = (now + timedelta(hours=catalogue["meta"]["utc_offset_hours"])).month
    rows = _poi_rows(catalogue, shapes)
    rows += _wifi_rows(session, catalogue["wifi"], shapes, rng)  # draws before the sensors: keeps seeds stable
    rows += _sensor_rows(catalogue, shapes, local_month, rng)
    bulk_insert(session, MapFeature, [base | row for row in rows])
    return len(rows)
