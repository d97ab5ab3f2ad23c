"""Allowed fishing zones: ``map_features`` of layer ``fishing_zone``, and whether a point lies in a vessel's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput
from data.geo.boundaries import geometry_error
from data.geo.geometry import UnitShape, area_and_centroid, locate
from data.models import MapFeature, utcnow

ZONE_LAYER = "fishing_zone"


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
