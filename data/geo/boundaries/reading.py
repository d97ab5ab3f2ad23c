"""Reading and checking a GeoJSON FeatureCollection of boundaries: every feature checked and measured;
bad ones are reported by position and skipped, never the whole file."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.errors import GEOSException

from data.core.errors import InvalidInput
from data.geo.geometry import BBox, Ring, to_geojson, to_shape
from data.geo.measure import measured
from data.geo.validity import InvalidShape, repaired


class GeoFileError(InvalidInput):
    """A boundary file that cannot be read at all (not found, not JSON, not a FeatureCollection)."""

    title = "Tệp ranh giới không hợp lệ"


@dataclass(frozen=True)
class FieldMap:
    """Which properties of the file hold the code, name, population, area and parent's code."""

    code: str
    name: str
    population: str | None = None
    area: str | None = None
    parent_code: str | None = None


@dataclass(frozen=True)
class UnitRecord:
    """One unit read from a file, checked and measured, ready to store."""

    code: str
    name: str
    geometry: dict[str, Any]
    bbox: BBox
    area_sqm: float
    centroid_lat: float
    centroid_lon: float
    population: int | None = None
    parent_code: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something wrong with one feature (1-based position in the file)."""

    feature: int
    code: str | None
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"feature #{self.feature}" + (f" ({self.code})" if self.code else "")
        return f"{where}: {self.message}" + ("; skipped" if self.skipped else "")


@dataclass
class ParseResult:
    units: list[UnitRecord]
    problems: list[Problem]
    total: int

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if p.skipped)


def read_collection(path: Path) -> dict[str, Any]:
    """Load a GeoJSON FeatureCollection; anything unreadable is one GeoFileError saying why."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GeoFileError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GeoFileError(f"{path}: cannot be read ({exc})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoFileError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return check_collection(raw, str(path))


def check_collection(raw: object, name: str = "input") -> dict[str, Any]:
    """The FeatureCollection itself, or a GeoFileError naming what is wrong with it."""
    if not isinstance(raw, dict):
        raise GeoFileError(f"{name}: expected a GeoJSON FeatureCollection object, got a JSON {type(raw).__name__}")
    if raw.get("type") != "FeatureCollection":
        raise GeoFileError(f'{name}: expected "type": "FeatureCollection", got {raw.get("type")!r}')
    if not isinstance(raw.get("features"), list):
        raise GeoFileError(f'{name}: "features" must be a list of Feature objects')
    return raw


def _position_error(position: object) -> str | None:
    if not isinstance(position, (list, tuple)) or len(position) < 2:
        return f"a position is not [lon, lat]: {position!r}"
    lon, lat = position[0], position[1]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
        return f"a position has non-numeric coordinates: {position!r}"
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"a position is off the globe (lon, lat order?): {position!r}"
    return None


def _polygon_error(rings: object) -> str | None:
    if not isinstance(rings, list) or not rings:
        return "a polygon has no rings"
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 3:
            return "a ring has fewer than 3 positions"
        for position in ring:
            if error := _position_error(position):
                return error
    return None


def geometry_error(geometry: object) -> str | None:
    """Why ``geometry`` is not a usable Polygon/MultiPolygon, or None when it is."""
    if geometry is None:
        return "no geometry"
    if not isinstance(geometry, dict):
        return "geometry is not an object"
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        return f"geometry type {kind!r} is not Polygon or MultiPolygon"
    if kind == "Polygon":
        return _polygon_error(coordinates)
    if not isinstance(coordinates, list) or not coordinates:
        return "a MultiPolygon has no polygons"
    return next((e for e in map(_polygon_error, coordinates) if e), None)


def _clean_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    # Keep [lon, lat] floats only: altitudes and foreign members would just bloat the stored JSON.
    def ring(r: Ring) -> list[list[float]]:
        return [[float(p[0]), float(p[1])] for p in r]

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]]}


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric code such as 474.0 means "474"
    text = str(value).strip()
    return text or None


def _number(value: object) -> float | None:
    if isinstance(value, str):
        value = value.replace(",", "").strip()  # "23,776": counts come with thousands separators
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:  # "NA", "", "n/a"
        return None
    return number if math.isfinite(number) else None


def _parse_feature(index: int, feature: object, fields: FieldMap) -> tuple[UnitRecord | None, list[Problem]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [Problem(index, None, "not a GeoJSON Feature object")]
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return None, [Problem(index, None, '"properties" is not an object')]
    code = _text(props.get(fields.code))
    if code is None:
        return None, [Problem(index, None, f"no value in the code field {fields.code!r}")]
    if error := geometry_error(feature.get("geometry")):
        return None, [Problem(index, code, error)]
    return _record(index, code, props, feature["geometry"], fields)


def _record(
    index: int, code: str, props: dict[str, Any], geometry: dict[str, Any], fields: FieldMap
) -> tuple[UnitRecord | None, list[Problem]]:
    warnings: list[Problem] = []
    name = _text(props.get(fields.name))
    if name is None:
        warnings.append(Problem(index, code, f"no value in the name field {fields.name!r}; code used", False))
    population = _optional_number(index, code, props, fields.population, warnings)
    geometry = _clean_geometry(geometry)
    try:
        shape, repair = repaired(to_shape(geometry))
    except InvalidShape as exc:
        return None, [*warnings, Problem(index, code, str(exc))]
    except (ValueError, GEOSException) as exc:  # e.g. a closed ring of two distinct points
        return None, [*warnings, Problem(index, code, f"the boundary cannot be built: {exc}")]
    if repair is not None:
        warnings.append(Problem(index, code, repair, False))
        geometry = to_geojson(shape)  # stored repaired: every reader (and PostGIS) sees the same unit
    area, lat, lon = measured(shape)
    given_area = _optional_number(index, code, props, fields.area, warnings)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    record = UnitRecord(
        code=code,
        name=name or code,
        geometry=geometry,
        bbox=(min_lon, min_lat, max_lon, max_lat),
        area_sqm=given_area if given_area is not None else area,
        centroid_lat=lat,
        centroid_lon=lon,
        population=round(population) if population is not None else None,
        parent_code=_text(props.get(fields.parent_code)) if fields.parent_code else None,
    )
    return record, warnings


def _optional_number(
    index: int, code: str, props: dict[str, Any], key: str | None, warnings: list[Problem]
) -> float | None:
    if key is None:
        return None
    value = _number(props.get(key))
    if value is None:
        warnings.append(Problem(index, code, f"no number in the field {key!r} ({props.get(key)!r})", False))
    return value


def parse_units(collection: dict[str, Any], fields: FieldMap) -> ParseResult:
    """Check every feature: good ones become UnitRecords; bad ones are reported and skipped."""
    features = collection["features"]
    units: list[UnitRecord] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, feature in enumerate(features, start=1):
        record, found = _parse_feature(index, feature, fields)
        problems.extend(found)
        if record is None:
            continue
        if record.code in seen:
            problems.append(Problem(index, record.code, "the same code appears earlier in the file"))
            continue
        seen.add(record.code)
        units.append(record)
    return ParseResult(units, problems, len(features))
