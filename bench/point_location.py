"""Locating report points in administrative units: shapely 2 (``UnitIndex``) against the hand-written
numpy ray casting it replaced, and PostGIS ``ST_Covers`` in PostgreSQL, in one run.

    .venv/bin/python bench/point_location.py [--points 1000000] [--no-postgis]
    (PostgreSQL: IOC_TEST_POSTGRES_URL, as the tests; PostGIS from scripts/system-deps.sh)

The 118 units in force in Huế and Quảng Trị since 1 July 2025 (../shared/data/geo), points drawn
uniformly in their bounding box with a fixed seed (about a quarter fall in a unit: the box holds sea
and Laos). Each engine locates every point; their answers are compared point by point. Also timed:
``STRtree.query(points, predicate="within")`` on a tenth of the points (why ``UnitIndex`` does not
use it), and one point at a time as a report is placed (``UnitIndex.locate`` vs a PostGIS query).
Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import shapely
from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.core.db import make_engine, make_sessionmaker, migrate, session_scope
from data.geo import postgis
from data.geo.boundaries import FieldMap, import_geojson
from data.geo.geometry import UnitShape
from data.geo.locating import NO_UNIT, UnitIndex
from data.models import AdminUnit
from tests.dbfixtures import fresh_pg_database

GEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
FILES = (GEO / "hue_communes_after_2025-07.geojson", GEO / "quangtri_communes_after_2025-07.geojson")
SEED = 20250701
T = TypeVar("T")


# --- the baseline: the package's ray casting before shapely (data/intake/bulk/reports/places.py) -----


def _polygons(geometry: dict[str, Any]) -> list[Any]:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else list(geometry["coordinates"])


def _ring_contains(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(x), dtype=bool)
    x0, y0 = ring[-1, 0], ring[-1, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for x1, y1 in ring[:, :2]:
            if y0 != y1:  # a horizontal edge never crosses the ray (same test as geo._ring_contains)
                inside ^= ((y1 > y) != (y0 > y)) & (x < (x0 - x1) * (y - y1) / (y0 - y1) + x1)
            x0, y0 = x1, y1
    return inside


def _contains(geometry: dict[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.zeros(len(x), dtype=bool)
    for exterior, *holes in _polygons(geometry):
        inside = _ring_contains(np.asarray(exterior, dtype=float), x, y)
        for hole in holes:
            inside &= ~_ring_contains(np.asarray(hole, dtype=float), x, y)
        result |= inside
    return result


def ray_casting_locate_many(lat: np.ndarray, lon: np.ndarray, wanted: np.ndarray,
                            levels: Sequence[Sequence[UnitShape]]) -> np.ndarray:
    """The old ``locate_many``, verbatim: bounding-box prefilter, then ray casting per polygon edge."""
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


# --- the run -------------------------------------------------------------------------------------


def timed(what: str, call: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    print(f"  {what:<58} {seconds:8.2f} s", flush=True)
    return result, seconds


def load_units() -> list[tuple[int, dict[str, Any]]]:
    return [(int(f["properties"]["code"]), f["geometry"])
            for path in FILES for f in json.loads(path.read_text(encoding="utf-8"))["features"]]


def postgis_database(url: str) -> dict[int, int]:
    """PostGIS and the units in a fresh database; answers {official code: database id}."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS gis"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA gis"))
    admin.dispose()
    engine = make_engine(url)
    migrate(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        for path in FILES:
            import_geojson(session, path, level="ward", fields=FieldMap(code="code", name="fullName"))
        ids = {int(code): uid for code, uid in session.execute(select(AdminUnit.code, AdminUnit.id))}
    engine.dispose()
    return ids


def run_postgis(lat: np.ndarray, lon: np.ndarray, expected: np.ndarray, shapely_s: float, one_at_a_time: float) -> None:
    with fresh_pg_database() as url:
        ids, _ = timed("PostGIS: extension, migration, import of the 118 units", lambda: postgis_database(url))
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE gis.admin_unit_shapes"))
            found, seconds = timed(f"PostGIS ST_Covers, {len(lat):,} points (chunks of {postgis.CHUNK_POINTS:,})",
                                   lambda: postgis.locate_many(conn, lat, lon, list(ids.values())))
            codes = {uid: code for code, uid in ids.items()}
            as_codes = np.array([NO_UNIT if f == NO_UNIT else codes[int(f)] for f in found])
            print(f"  PostGIS answers differing from shapely's: {np.count_nonzero(as_codes != expected)}")
            ext = postgis.extension_schema(conn)
            start = time.perf_counter()
            for a, o in zip(lat[:1000], lon[:1000], strict=True):
                postgis.locate(conn, float(a), float(o), list(ids.values()), ext=ext)
            single = (time.perf_counter() - start) / 1000
        engine.dispose()
    print(f"  one point at a time: PostGIS {single * 1e3:.2f} ms per report (a query each), "
          f"UnitIndex.locate {one_at_a_time * 1e3:.3f} ms")
    print(f"PostGIS / shapely, all points: {seconds / shapely_s:.1f}× the time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--no-postgis", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()
    units = load_units()
    print(f"{len(units)} units; {args.points:,} points (seed {SEED})")
    index, build = timed("shapely: UnitIndex.build (shapes made valid and prepared)", lambda: UnitIndex.build(units))
    print(f"  {sum(shapely.get_num_coordinates(u.shape) for u in index.units):,} vertices")
    min_lon, min_lat, max_lon, max_lat = index.bbox or (0.0, 0.0, 0.0, 0.0)
    rng = np.random.default_rng(SEED)
    lat, lon = rng.uniform(min_lat, max_lat, args.points), rng.uniform(min_lon, max_lon, args.points)
    old, ray_s = timed("baseline: numpy ray casting (the old locate_many)",
                             lambda: ray_casting_locate_many(lat, lon, np.ones(len(lat), dtype=bool),
                                                             (index.units,)))
    new, shapely_s = timed("shapely: UnitIndex.locate_many", lambda: index.locate_many(lat, lon))
    old_ids = np.where(np.isnan(old), NO_UNIT, old).astype(np.int64)
    print(f"  points in a unit: {np.count_nonzero(new != NO_UNIT):,}; answers differing from the baseline: "
          f"{np.count_nonzero(old_ids != new)}")
    tenth = len(lat) // 10
    tree = shapely.STRtree([u.shape for u in index.units])
    _, strtree = timed(f"shapely: STRtree.query(points, 'within'), {tenth:,} points only",
                       lambda: tree.query(shapely.points(lon[:tenth], lat[:tenth]), predicate="within"))
    start = time.perf_counter()
    for a, o in zip(lat[:10_000], lon[:10_000], strict=True):
        index.locate(float(a), float(o))
    one_at_a_time = (time.perf_counter() - start) / 10_000
    print(f"ray casting / shapely: {ray_s / shapely_s:.1f}× faster "
          f"(with the index built: {ray_s / (shapely_s + build):.1f}×); "
          f"STRtree predicate query, scaled to all points: {strtree * 10 / shapely_s:.0f}× slower than "
          "UnitIndex")
    if not args.no_postgis:
        run_postgis(lat, lon, new, shapely_s, one_at_a_time)


if __name__ == "__main__":
    main()
