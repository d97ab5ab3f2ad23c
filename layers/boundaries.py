"""Administrative boundaries (the finest level the database holds), shaded by a figure of their reports.

``load`` counts the filtered reports of each unit once (reports, open, overdue, ratings) and is cached
like the other report layers; ``component`` colours the units by the figure ``MapView.shade`` names
(open reports, reports per 1,000 residents, overdue %, satisfaction), so switching the figure costs no
query. Reports filed against a ward count for its district when districts are the finest level shown.
The outlines are simplified to what the zoom can show (``data.geo.simplify``): at city zoom the 118
units of Huế and Quảng Trị weigh 0.77 MB instead of 7 MB, so ``load`` depends on the zoom.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, select
from sqlalchemy.orm import Session

from data.geo.simplify import outlines_of_text
from data.models import AdminUnit, Report, utcnow
from data.reports.filters import ReportFilter
from data.reports.mirror import rows_of
from data.reports.queries import OPEN_VALUES, apply_filter
from layers.base import MapView, feature_collection

LEVELS = ("ward", "district", "province")
CLASSES = 5
NO_DATA = "#d9d9d9"  # a unit the figure says nothing about (no residents counted, nothing rated)


@dataclass(frozen=True)
class Measure:
    """A figure the units can be shaded by: its colours (low → high) and, when fixed, its class breaks."""

    key: str
    colours: tuple[str, ...]
    breaks: tuple[float, ...] | None = None  # None: equal classes from 0 to the largest value


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("open", ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")),
    Measure("per_1000", ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")),
    Measure("overdue_pct", ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"), (0, 20, 40, 60, 80, 100)),
    # Ratings are 1–5 stars: red is unhappy, green is satisfied.
    Measure("satisfaction", ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"), (1, 1.8, 2.6, 3.4, 4.2, 5)),
)}
DEFAULT_MEASURE = "open"


@dataclass(frozen=True)
class UnitCounts:
    """What the database counts of one unit's filtered reports."""

    reports: int = 0
    open: int = 0
    overdue: int = 0
    rated: int = 0
    rating_sum: int = 0

    def __add__(self, other: UnitCounts) -> UnitCounts:
        return UnitCounts(self.reports + other.reports, self.open + other.open, self.overdue + other.overdue,
                          self.rated + other.rated, self.rating_sum + other.rating_sum)


def unit_figures(counts: UnitCounts, population: int | None) -> dict[str, Any]:
    """The figures a unit shows on hover and in its panel; None where a figure cannot be computed."""
    return {
        "reports": counts.reports, "open": counts.open, "overdue": counts.overdue, "rated": counts.rated,
        "per_1000": round(1000 * counts.reports / population, 2) if population else None,
        "overdue_pct": round(100 * counts.overdue / counts.open, 1) if counts.open else None,
        "satisfaction": round(counts.rating_sum / counts.rated, 2) if counts.rated else None,
    }


def roll_up(counts: Mapping[int, UnitCounts], shown: Iterable[int],
            parent_of: Mapping[int, int]) -> dict[int, UnitCounts]:
    """Counts per shown unit: its own reports plus those filed against its child units."""
    out = {uid: UnitCounts() for uid in shown}
    for uid, c in counts.items():
        target = uid if uid in out else parent_of.get(uid)
        if target in out:
            out[target] = out[target] + c
    return out


def boundary_features(units: list[dict[str, Any]], counts: Mapping[int, UnitCounts]) -> dict[str, Any]:
    """Units with geometry → GeoJSON carrying each unit's figures (no colour: see ``choropleth``)."""
    return feature_collection([
        {"type": "Feature", "geometry": u["boundary"],
         "properties": {"id": u["id"], "code": u["code"], "name": u["name"], "population": u["population"],
                        **unit_figures(counts.get(u["id"], UnitCounts()), u["population"])}}
        for u in units if u.get("boundary")
    ])


def class_breaks(values: Iterable[float | None], measure: Measure) -> tuple[float, ...]:
    """``CLASSES + 1`` class limits: the measure's own, else equal steps from 0 to the largest value."""
    if measure.breaks is not None:
        return measure.breaks
    top = max((v for v in values if v is not None), default=0.0)
    # Whole-number steps for counts; rates below 5 keep one decimal so five classes still differ.
    step = math.ceil(top / CLASSES) if top >= CLASSES else max(0.1, math.ceil(top / CLASSES * 10) / 10)
    return tuple(round(i * step, 1) for i in range(CLASSES + 1))


def class_of(value: float, breaks: tuple[float, ...]) -> int:
    """The class (0 … len(breaks) - 2) a value falls in; the top limit belongs to the last class."""
    for i in range(len(breaks) - 2, 0, -1):
        if value >= breaks[i]:
            return i
    return 0


def choropleth(data: dict[str, Any], shade: str) -> tuple[dict[str, Any], tuple[float, ...]]:
    """The units coloured by the figure ``shade`` names, and the class limits used (for the legend)."""
    measure = MEASURES.get(shade, MEASURES[DEFAULT_MEASURE])
    breaks = class_breaks((f["properties"].get(measure.key) for f in data["features"]), measure)
    features = []
    for f in data["features"]:
        value = f["properties"].get(measure.key)
        colour = NO_DATA if value is None else measure.colours[class_of(value, breaks)]
        features.append({**f, "properties": {**f["properties"], "shade": measure.key, "color": colour}})
    return feature_collection(features), breaks


def legend_entries(shade: str, breaks: tuple[float, ...]) -> list[tuple[str, str]]:
    """(colour, "low – high") for each class, then the no-data colour (its label is the page's)."""
    measure = MEASURES.get(shade, MEASURES[DEFAULT_MEASURE])
    entries = [(colour, f"{breaks[i]:g} – {breaks[i + 1]:g}") for i, colour in enumerate(measure.colours)]
    return [*entries, (NO_DATA, "")]


def unit_counts(session: Session, filters: ReportFilter, now: datetime) -> dict[int, UnitCounts]:
    """One grouped query: the filtered reports of every unit, with how many are open, overdue, rated
    (on the map's copy of the reports when the session has one, data/reports/mirror.py)."""
    is_open = Report.status.in_(OPEN_VALUES)
    overdue = and_(is_open, Report.expected_at < now)
    query = apply_filter(select(
        Report.admin_unit_id, func.count(), func.sum(case((is_open, 1), else_=0)),
        func.sum(case((overdue, 1), else_=0)), func.count(Report.rating), func.sum(Report.rating),
    ), filters, now).where(Report.admin_unit_id.is_not(None)).group_by(Report.admin_unit_id)
    return {int(uid): UnitCounts(int(n), int(o or 0), int(d or 0), int(r), int(s or 0))
            for uid, n, o, d, r, s in rows_of(session, query, filters)}


class BoundariesLayer:
    key = "boundaries"
    about_reports = True
    view_fields: tuple[str, ...] = ("zoom",)  # the outlines' detail
    live_topic: str | None = "reports"
    name_vi = "Ranh giới hành chính"
    name_en = "Administrative boundaries"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        level = next((lv for lv in LEVELS if session.scalar(
            select(func.count(AdminUnit.id)).where(AdminUnit.level == lv, AdminUnit.boundary.is_not(None))
        )), None)
        if level is None:
            return feature_collection([])
        # The boundaries as the database's text: GEOS reads it directly (data.geo.simplify.outlines_of_text).
        units = [dict(r) for r in session.execute(
            select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.population,
                   cast(AdminUnit.boundary, Text).label("boundary"))
            .where(AdminUnit.level == level, AdminUnit.boundary.is_not(None))).mappings()]
        drawn = outlines_of_text([u["boundary"] for u in units], view.zoom)
        for unit, outline in zip(units, drawn, strict=True):
            unit["boundary"] = outline
        shown = [u["id"] for u in units]
        parent_of = {uid: pid for uid, pid in session.execute(
            select(AdminUnit.id, AdminUnit.parent_id).where(AdminUnit.parent_id.in_(shown))) if pid is not None}
        counts = roll_up(unit_counts(session, filters, utcnow()), shown, parent_of)
        return boundary_features(units, counts)

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        shaded, _ = choropleth(data, view.shade)
        return dl.GeoJSON(data=shaded, id="map-layer-boundaries",
                          style={"variable": "iocMap.areaStyle"},
                          hoverStyle={"variable": "iocMap.areaHover"},
                          onEachFeature={"variable": "iocMap.areaTooltip"})


LAYER = BoundariesLayer()
