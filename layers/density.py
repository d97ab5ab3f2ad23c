"""Report density: counted on the server in grid cells sized to the zoom, never raw points."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Report, utcnow
from data.reports.filters import ReportFilter
from data.reports.mirror import rows_of
from data.reports.queries import apply_filter
from layers.base import MapView, feature_collection

# Cells about 40 px wide on screen: 360° / 2^zoom / 256 px per tile × 40 px.
CELL_PX = 40
COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")


def cell_size_deg(zoom: int) -> float:
    """Cell edge in degrees for a zoom level (halves with every zoom step)."""
    return 360.0 / (2 ** max(1, min(zoom, 19))) / 256 * CELL_PX


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    count: int


def density_cells(session: Session, filters: ReportFilter, zoom: int) -> tuple[float, list[Cell]]:
    """Count reports per grid cell (GROUP BY on floored coordinates): on the in-process column copy of
    the reports when the session carries one that is loaded (data/reports/mirror.py), else in the
    database. Both run the same query."""
    size = cell_size_deg(zoom)
    row = func.floor(Report.lat / size).label("row")
    col = func.floor(Report.lon / size).label("col")
    query = apply_filter(
        select(row, col, func.count(Report.id)).where(Report.lat.is_not(None), Report.lon.is_not(None)),
        filters, utcnow()).group_by(row, col)
    return size, [Cell(int(r), int(c), int(n)) for r, c, n in rows_of(session, query, filters)]


def colour_for(count: int, top: int) -> str:
    """A colour on a log scale, so a few hot cells do not wash out the rest."""
    if top <= 1:
        return COLOURS[0]
    level = math.log(count) / math.log(top)
    return COLOURS[min(len(COLOURS) - 1, int(level * len(COLOURS)))]


def cells_geojson(size: float, cells: list[Cell]) -> dict[str, Any]:
    """Cells as GeoJSON squares with their count and colour (pure: no database)."""
    top = max((c.count for c in cells), default=0)
    features = []
    for c in cells:
        south, west = c.row * size, c.col * size
        ring = [[round(x, 6), round(y, 6)] for x, y in
                ((west, south), (west + size, south), (west + size, south + size),
                 (west, south + size), (west, south))]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"count": c.count, "color": colour_for(c.count, top)}})
    return feature_collection(features)


# Playback: the density of each local day (or hour) in turn. Each step is only a narrower filter,
# so its answer is cached like any other and replaying a period costs nothing the second time.
STEP_UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
MAX_STEPS = 120


def _floor(local: datetime, unit: str) -> datetime:
    start = local.replace(minute=0, second=0, microsecond=0)
    return start.replace(hour=0) if unit == "day" else start


def playback_windows(filters: ReportFilter, unit: str, now: datetime, tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """The last ``MAX_STEPS`` local days (or hours) of the filter's period, oldest first, as naive UTC
    [start, end) pairs cut to the period (a period without a start gets ``MAX_STEPS`` of them)."""
    step = STEP_UNITS[unit]
    end = filters.until or now
    first = _floor(end.replace(tzinfo=UTC).astimezone(tz), unit)
    if first.astimezone(UTC).replace(tzinfo=None) >= end:  # the period ends exactly on a boundary
        first -= step
    windows = []
    for k in range(MAX_STEPS):
        local = first - k * step
        start = local.astimezone(UTC).replace(tzinfo=None)
        stop = (local + step).astimezone(UTC).replace(tzinfo=None)
        if filters.since is not None and stop <= filters.since:
            break
        windows.append((max(start, filters.since) if filters.since else start, min(stop, end)))
    return windows[::-1]


def at_window(filters: ReportFilter, window: tuple[datetime, datetime]) -> ReportFilter:
    """The filter narrowed to one playback step."""
    return replace(filters, since=window[0], until=window[1])


class DensityLayer:
    key = "density"
    about_reports = True
    view_fields: tuple[str, ...] = ("zoom",)
    live_topic: str | None = "reports"
    name_vi = "Mật độ phản ánh"
    name_en = "Report density"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        size, cells = density_cells(session, filters, view.zoom)
        return cells_geojson(size, cells)

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        return dl.GeoJSON(data=data, id="map-layer-density",
                          style={"variable": "iocMap.cellStyle"},
                          onEachFeature={"variable": "iocMap.countTooltip"})


LAYER = DensityLayer()
