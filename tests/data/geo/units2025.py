"""The 118 units in force in Huế and Quảng Trị since 1 July 2025 (../shared/data/geo, MIT repo; see
MANIFEST.md), read once per test session, and the exact points their borders share."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
GEO = ROOT.parent / "shared" / "data" / "geo"
FILES = (GEO / "hue_communes_after_2025-07.geojson", GEO / "quangtri_communes_after_2025-07.geojson")


@cache
def features() -> tuple[dict[str, Any], ...]:
    """Every feature of both files (properties: code, name, type, areaKm2, ...)."""
    return tuple(f for path in FILES for f in json.loads(path.read_text(encoding="utf-8"))["features"])


def units() -> list[tuple[int, dict[str, Any]]]:
    """(official code as the id, geometry) of each unit."""
    return [(int(f["properties"]["code"]), f["geometry"]) for f in features()]


def shared_vertices(limit: int) -> list[tuple[float, float, tuple[int, ...]]]:
    """(lat, lon, the ids of every unit having it as a vertex) for vertices of two units or more: points
    exactly on a border, with no rounding between the files' two copies of it."""
    owners: dict[tuple[float, float], set[int]] = defaultdict(set)
    for unit_id, geometry in units():
        for polygon in geometry["coordinates"]:
            for ring in polygon:
                for lon, lat in ring:
                    owners[(lon, lat)].add(unit_id)
    shared = sorted((p, tuple(sorted(ids))) for p, ids in owners.items() if len(ids) > 1)
    step = max(1, len(shared) // limit)
    return [(lat, lon, ids) for (lon, lat), ids in shared[::step][:limit]]
