"""Places where reports are made: points scattered around the catalogue's street anchors, inside their district."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from data.geo import geometry

M_PER_DEG_LAT = 111_320.0  # near enough at Huế's latitude for scattering points by a few metres


@dataclass(frozen=True)
class Place:
    """A point where reports are made, already located in its district."""

    lat: float
    lon: float
    street: str
    admin_unit_id: int
    area: str  # "Phường Vĩnh Ninh, Thành phố Huế"
    ward_agency_id: int | None = None


def offset_point(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m`` metres north and ``east_m`` metres east of (lat, lon)."""
    return lat + north_m / M_PER_DEG_LAT, lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def build_places(
    anchors: Sequence[dict[str, Any]],
    districts: dict[str, tuple[geometry.UnitShape, str]],
    ward_agencies: dict[str, int],
    *,
    per_anchor: int = 40,
    seed: int = 11,
) -> tuple[list[Place], list[float]]:
    """Points around each street anchor that really fall in the anchor's district, with weights."""
    rng = np.random.default_rng(seed)
    places: list[Place] = []
    weights: list[float] = []
    for anchor in anchors:
        shape, district_name = districts[anchor["district"]]
        ward = anchor.get("ward")
        area = f"{ward}, {district_name}" if ward else district_name
        offsets = rng.normal(0.0, anchor["spread_m"], size=(per_anchor * 3, 2)).tolist()
        kept = []
        for north, east in offsets:
            lat, lon = offset_point(anchor["lat"], anchor["lon"], north, east)
            if geometry.locate(lat, lon, [shape]) is not None:
                kept.append((lat, lon))
            if len(kept) == per_anchor:
                break
        for index, (lat, lon) in enumerate(kept):
            street = anchor["streets"][index % len(anchor["streets"])]
            places.append(Place(lat, lon, street, shape.id, area, ward_agencies.get(ward or "")))
            weights.append(anchor["weight"] / len(kept))
    return places, weights
