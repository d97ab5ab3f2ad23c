"""The map's report layers as functions of the database: the choropleth's figures per ward (exact numbers,
on hand-built reports), its classes and legend, the playback steps, and one failing layer among working ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import null, text

from dashboard.pages.map.drawing import draw_layers
from data.core.runtime import Runtime
from data.models import AdminUnit, ReportStatus, utcnow
from data.reports.filters import ReportFilter
from layers.base import MapView
from layers.boundaries import (
    LAYER,
    MEASURES,
    NO_DATA,
    UnitCounts,
    boundary_features,
    choropleth,
    class_breaks,
    legend_entries,
)
from layers.density import MAX_STEPS, at_window, playback_windows
from layers.registry import by_key
from tests.factories import HUE_LAT, HUE_LON, World, report, world

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _square(lat: float, lon: float, half: float = 0.01) -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def _seed(runtime: Runtime) -> World:
    """Ward A (2,000 residents): 4 reports in the last 30 days — 2 open (1 overdue), 2 rated 4 and 2 —
    and one older; ward B (population unknown): 1 open report."""
    now = utcnow()
    with runtime.session() as s:
        w = world(s)
        a, b = s.get(AdminUnit, w.ward), s.get(AdminUnit, w.ward_2)
        assert a is not None and b is not None
        a.boundary, a.population = _square(HUE_LAT, HUE_LON), 2000
        b.boundary = _square(HUE_LAT + 0.05, HUE_LON)
        day = now - timedelta(days=1)
        report(s, w, status=ReportStatus.RECEIVED, expected_at=now - timedelta(hours=2), created_at=day)
        report(s, w, status=ReportStatus.IN_PROGRESS, expected_at=now + timedelta(days=2), created_at=day)
        report(s, w, status=ReportStatus.RESOLVED, rating=4, created_at=day)
        report(s, w, status=ReportStatus.CLOSED, rating=2, created_at=day)
        report(s, w, status=ReportStatus.RECEIVED, created_at=now - timedelta(days=40))
        report(s, w, status=ReportStatus.RECEIVED, admin_unit_id=w.ward_2, created_at=day)
    return w


def _by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["properties"]["name"]: f["properties"] for f in data["features"]}


def test_figures_per_ward_and_each_shade(runtime: Runtime) -> None:
    _seed(runtime)
    with runtime.session() as s:
        data = LAYER.load(s, ReportFilter(since=utcnow() - timedelta(days=30)), MapView())
    wards = _by_name(data)
    a, b = wards["Phường Thuận Hòa"], wards["Phường Tây Lộc"]
    assert {k: a[k] for k in ("reports", "open", "overdue", "rated", "per_1000", "overdue_pct", "satisfaction")} == {
        "reports": 4, "open": 2, "overdue": 1, "rated": 2, "per_1000": 2.0, "overdue_pct": 50.0,
        "satisfaction": 3.0}
    assert {k: b[k] for k in ("reports", "open", "per_1000", "overdue_pct", "satisfaction")} == {
        "reports": 1, "open": 1, "per_1000": None, "overdue_pct": 0.0, "satisfaction": None}

    shaded, breaks = choropleth(data, "open")  # open 2 and 1: five classes of 0.4 up to 2
    assert breaks == (0.0, 0.4, 0.8, 1.2, 1.6, 2.0)
    colours = {f["properties"]["name"]: f["properties"]["color"] for f in shaded["features"]}
    assert colours == {"Phường Thuận Hòa": MEASURES["open"].colours[4], "Phường Tây Lộc": MEASURES["open"].colours[2]}
    shaded, _ = choropleth(data, "per_1000")
    assert _by_name(shaded)["Phường Tây Lộc"]["color"] == NO_DATA  # no residents counted: no rate
    shaded, breaks = choropleth(data, "satisfaction")
    assert breaks == MEASURES["satisfaction"].breaks
    assert _by_name(shaded)["Phường Thuận Hòa"]["color"] == MEASURES["satisfaction"].colours[2]  # 3.0 ★
    shaded, _ = choropleth(data, "overdue_pct")
    assert [_by_name(shaded)[n]["color"] for n in ("Phường Thuận Hòa", "Phường Tây Lộc")] == [
        MEASURES["overdue_pct"].colours[2], MEASURES["overdue_pct"].colours[0]]
    # The status filter applies to every figure: only resolved reports → nothing open.
    with runtime.session() as s:
        resolved = _by_name(LAYER.load(s, ReportFilter(statuses=("resolved",)), MapView()))
    assert resolved["Phường Thuận Hòa"]["reports"] == 1 and resolved["Phường Thuận Hòa"]["open"] == 0


def test_reports_of_wards_count_for_their_district(runtime: Runtime) -> None:
    w = _seed(runtime)
    with runtime.session() as s:
        district = AdminUnit(level="district", code="474", name="Quận Phú Xuân", population=10_000,
                             boundary=_square(HUE_LAT, HUE_LON, 0.1))
        s.add(district)
        s.flush()
        for unit in (s.get(AdminUnit, w.ward), s.get(AdminUnit, w.ward_2)):
            assert unit is not None
            # SQL NULL (a plain None would store JSON null): districts are now the finest level drawn.
            unit.boundary, unit.parent_id = null(), district.id
    with runtime.session() as s:
        data = LAYER.load(s, ReportFilter(since=utcnow() - timedelta(days=30)), MapView())
    (only,) = data["features"]
    assert {k: only["properties"][k] for k in ("name", "reports", "open", "overdue", "per_1000")} == {
        "name": "Quận Phú Xuân", "reports": 5, "open": 3, "overdue": 1, "per_1000": 0.5}


def test_class_breaks_and_legend() -> None:
    assert class_breaks([0, 12, None, 37], MEASURES["open"]) == (0, 8, 16, 24, 32, 40)
    assert class_breaks([], MEASURES["per_1000"]) == (0, 0.1, 0.2, 0.3, 0.4, 0.5)
    entries = legend_entries("open", (0, 8, 16, 24, 32, 40))
    assert entries[0] == (MEASURES["open"].colours[0], "0 – 8") and entries[-1] == (NO_DATA, "")
    assert len(entries) == len(MEASURES["open"].colours) + 1


def test_units_without_geometry_are_left_out() -> None:
    units = [{"id": 1, "code": "A", "name": "A", "population": 10, "boundary": None},
             {"id": 2, "code": "B", "name": "B", "population": None, "boundary": _square(16, 107)}]
    data = boundary_features(units, {1: UnitCounts(reports=3), 2: UnitCounts(reports=1, open=1)})
    assert [f["properties"]["id"] for f in data["features"]] == [2]


def test_playback_steps_are_local_days_or_hours_cut_to_the_period() -> None:
    now = datetime(2025, 3, 10, 5, 30)  # 12:30 in Huế
    since = datetime(2025, 3, 6, 17)  # 7 March, 00:00 in Huế
    days = playback_windows(ReportFilter(since=since), "day", now, HCM)
    assert len(days) == 4  # 7, 8, 9 and (so far) 10 March
    assert days[0] == (datetime(2025, 3, 6, 17), datetime(2025, 3, 7, 17))
    assert days[-1] == (datetime(2025, 3, 9, 17), now)
    hours = playback_windows(ReportFilter(since=since), "hour", now, HCM)
    assert len(hours) == 3 * 24 + 13 and hours[-1] == (datetime(2025, 3, 10, 5), now)
    assert hours[-2] == (datetime(2025, 3, 10, 4), datetime(2025, 3, 10, 5))
    assert len(playback_windows(ReportFilter(since=since - timedelta(days=30)), "hour", now, HCM)) == MAX_STEPS
    assert len(playback_windows(ReportFilter(), "day", now, HCM)) == MAX_STEPS  # all time: the last 120 days
    ranged = playback_windows(ReportFilter(since=since, until=datetime(2025, 3, 8, 17)), "day", now, HCM)
    assert ranged == [(datetime(2025, 3, 6, 17), datetime(2025, 3, 7, 17)),
                      (datetime(2025, 3, 7, 17), datetime(2025, 3, 8, 17))]
    step = at_window(ReportFilter(since=since, statuses=("received",)), ranged[1])
    assert step == ReportFilter(since=ranged[1][0], until=ranged[1][1], statuses=("received",))


def test_a_layer_whose_source_is_down_is_named_and_the_others_still_draw(runtime: Runtime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as conn:  # the points-of-interest and sensor table is gone
        conn.execute(text("ALTER TABLE map_features RENAME TO map_features_moved"))
    layers = tuple(by_key(k) for k in ("boundaries", "density", "pois", "sensors", "cameras", "alerts"))
    drawn, data, failed = draw_layers(runtime, layers, ReportFilter(since=utcnow() - timedelta(days=30)), MapView())
    assert [layer.key for layer in failed] == ["pois", "sensors"]
    assert set(drawn) == {"boundaries", "density", "cameras", "alerts"}
    assert len(data["boundaries"]["features"]) == 2
    assert sum(f["properties"]["count"] for f in data["density"]["features"]) == 5
