"""The alerts map layer as a function of the database: open alerts with a place, within the period."""

from __future__ import annotations

from datetime import timedelta

from data.models import Alert, utcnow
from data.reports.filters import ReportFilter
from layers.alerts import LAYER, SEVERITY_COLOURS
from layers.base import MapView
from tests.dbfixtures import open_runtime


def test_open_placed_alerts_of_the_period_only(db_url: str) -> None:
    now = utcnow()
    with open_runtime(db_url) as runtime:
        with runtime.session() as s:
            s.add_all([
                Alert(kind="press", severity="critical", title="Sạt lở A Lưới", lat=16.2, lon=107.3,
                      created_at=now - timedelta(hours=1)),
                Alert(kind="overdue_report", severity="warning", title="Quá hạn", lat=16.46, lon=107.59,
                      status="acknowledged", created_at=now - timedelta(days=2)),
                Alert(kind="manual", severity="critical", title="Đã xong", lat=16.4, lon=107.5, status="closed"),
                Alert(kind="kpi", severity="warning", title="Không có vị trí"),
                Alert(kind="manual", severity="info", title="Cũ", lat=16.4, lon=107.5,
                      created_at=now - timedelta(days=40)),
            ])
        with runtime.session() as s:
            data = LAYER.load(s, ReportFilter(since=now - timedelta(days=30)), MapView())
    shown = {f["properties"]["title"]: f for f in data["features"]}
    assert set(shown) == {"Sạt lở A Lưới", "Quá hạn"}
    slide = shown["Sạt lở A Lưới"]
    assert slide["geometry"]["coordinates"] == [107.3, 16.2]  # GeoJSON: lon, lat
    assert slide["properties"]["color"] == SEVERITY_COLOURS["critical"]
    assert LAYER.component(data, MapView()).id == "map-layer-alerts"
