"""Demo cameras: the catalogue's named points first, then more along the streets of the core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from data.cameras.groups import adopt_group_names
from data.core.db import bulk_insert
from data.demo.places import Place
from data.demo.units import Shapes, locate
from data.models import Camera


def camera_rows(catalogue: dict[str, Any], count: int, shapes: Shapes, places: Sequence[Place]) -> list[dict[str, Any]]:
    """``count`` camera points: the named ones first, then more along the streets of the core."""
    points = [(c["name"], c["group"], c["lat"], c["lon"]) for c in catalogue["cameras"]][:count]
    core = [p for p in places if p.ward_agency_id is not None] or list(places)
    for k in range(count - len(points)):
        place = core[(k * 37) % len(core)]  # a stride spreads extra cameras over many streets
        points.append((f"Điểm giám sát {place.street} – số {k + 1}", place.area.split(", ")[-1], place.lat, place.lon))
    return [
        {
            "code": f"CAM-{i + 1:03d}",
            "name": name,
            "group_name": group,
            "lat": lat,
            "lon": lon,
            "admin_unit_id": locate(lat, lon, shapes),
            "enabled": True,
            "is_demo": True,
            # The gateway draws ``demo:`` sources itself: a demo never holds a real camera URL or password.
            "stream_url": "demo:street" if i % 2 == 0 else "demo:pattern",
            "sub_stream_url": None,
        }
        for i, (name, group, lat, lon) in enumerate(points)
    ]


def seed_cameras(
    session: Session, catalogue: dict[str, Any], count: int, shapes: Shapes, places: Sequence[Place]
) -> int:
    """Insert ``count`` demo cameras, each in the group its catalogue names; how many."""
    rows = camera_rows(catalogue, count, shapes, places)
    if rows:
        bulk_insert(session, Camera, rows)
        adopt_group_names(session)
    return len(rows)
