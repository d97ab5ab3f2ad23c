"""The filters the map shares with the reports page: URL ↔ widgets ↔ ReportFilter, and the map's own URL state."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data.core.runtime import Runtime
from data.models import ReportStatus, utcnow
from data.reports.filters import FilterChoice, ReportFilter
from data.reports.queries import count_reports
from layers.map_state import MapState
from tests.factories import report, world

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 3, 10, 5, 0)  # naive UTC, as stored


def test_a_choice_survives_the_url_and_back() -> None:
    choice = FilterChoice(period="90", categories=(3, 1), statuses=("received", "in_progress"),
                          channels=("zalo",), agencies=(7,), areas=(12, 4), overdue=True, text="ổ gà Lê Lợi")
    params = choice.params()
    assert list(params) == ["period", "category", "status", "channel", "agency", "area", "overdue", "q"]
    assert params["category"] == "3,1" and params["status"] == "received,in_progress"
    assert FilterChoice.from_params(params) == choice
    assert choice.search() == ("?period=90&category=3%2C1&status=received%2Cin_progress&channel=zalo&agency=7"
                               "&area=12%2C4&overdue=1&q=%E1%BB%95+g%C3%A0+L%C3%AA+L%E1%BB%A3i")
    # The ReportFilter the page shows is the one the reports page and its export read from the same URL.
    assert choice.report_filter(NOW, HCM) == ReportFilter.from_query(params, NOW, HCM)
    assert choice.report_filter(NOW, HCM).since == NOW - timedelta(days=90)


def test_a_custom_range_wins_over_the_preset_and_defaults_stay_out_of_the_url() -> None:
    choice = FilterChoice.of_widgets("7", "2025-03-01T00:00:00", "2025-03-05", [], None, [], None, [], False, "  ")
    assert choice == FilterChoice(start=date(2025, 3, 1), end=date(2025, 3, 5))
    assert choice.params() == {"from": "2025-03-01", "to": "2025-03-05"}
    f = choice.report_filter(NOW, HCM)
    # Local (UTC+7) midnights, as naive UTC; the end day is included.
    assert (f.since, f.until) == (datetime(2025, 2, 28, 17), datetime(2025, 3, 5, 17))
    assert FilterChoice().params() == {} and FilterChoice().search() == ""


def test_malformed_values_are_dropped_not_fatal() -> None:
    choice = FilterChoice.from_params({"period": "9999", "category": "1,x,2,1", "status": "received,nope",
                                       "channel": "carrier-pigeon", "from": "2025-13-45", "overdue": "yes",
                                       "area": "-3", "lat": "16.4", "utm_source": "zalo"})
    assert choice == FilterChoice(categories=(1, 2), statuses=("received",))


def test_map_state_round_trip_and_bad_values() -> None:
    known = ("boundaries", "density", "cameras")
    state = MapState(lat=16.46812, lon=107.57901, zoom=15, shade="per_1000", layers=("density", "cameras"),
                     base="dark")
    params = state.params()
    assert params == {"lat": "16.46812", "lon": "107.57901", "z": "15", "shade": "per_1000",
                      "layers": "density,cameras", "base": "dark"}
    assert MapState.from_params(params, known) == state
    bad = MapState.from_params({"lat": "95", "lon": "107.5", "z": "40", "shade": "x", "layers": "nope,density",
                                "base": "satellite"}, known)
    assert bad == MapState(layers=("density",))
    assert MapState().params() == {} and MapState().layer_on("pois", False) is False
    assert MapState(layers=()).layer_on("density", True) is False  # every overlay switched off is kept


def test_the_url_selects_the_same_reports_as_the_reports_page(runtime: Runtime) -> None:
    now = utcnow()
    with runtime.session() as s:
        w = world(s)
        report(s, w, status=ReportStatus.RECEIVED, channel="zalo", created_at=now - timedelta(days=2))
        report(s, w, status=ReportStatus.RECEIVED, channel="web", created_at=now - timedelta(days=2))
        report(s, w, status=ReportStatus.RESOLVED, channel="zalo", created_at=now - timedelta(days=3))
        report(s, w, status=ReportStatus.RECEIVED, channel="zalo", created_at=now - timedelta(days=40))
        report(s, w, status=ReportStatus.RECEIVED, channel="zalo", admin_unit_id=w.ward_2,
               created_at=now - timedelta(days=1))
        ward, tz = w.ward, runtime.settings.tz
    url = {"status": "received", "channel": "zalo", "area": str(ward)}
    choice = FilterChoice.from_params(url)
    with runtime.session() as s:
        assert count_reports(s, choice.report_filter(now, tz)) == 1
        assert count_reports(s, ReportFilter.from_query(choice.params(), now, tz)) == 1
        assert count_reports(s, FilterChoice.from_params({**url, "period": "90"}).report_filter(now, tz)) == 2


@pytest.mark.parametrize("search", ["", "?period=all", "?from=2025-01-01&status=received%2Cverified&q=den+duong"])
def test_search_strings_are_canonical(search: str) -> None:
    from urllib.parse import parse_qsl

    assert FilterChoice.from_params(dict(parse_qsl(search.lstrip("?")))).search() == search
