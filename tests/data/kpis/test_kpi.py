"""KPI arithmetic as pure functions: status colours, periods, report statistics."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from data.core.text import fold
from data.kpis.status import (
    CITY,
    Change,
    KpiCard,
    KpiPoint,
    KpiSpec,
    KpiStatus,
    ReportFacts,
    alert_severity,
    build_card,
    camera_availability,
    change,
    freshness_text,
    history_start,
    is_current,
    kpi_status,
    order_by_theme,
    period_of,
    plan_revision,
    ranked,
    report_stats,
    report_stats_by_scope,
    same_period_last_year,
    series_csv,
    shift_period,
)


@pytest.mark.parametrize(
    ("value", "direction", "target", "amber", "red", "expected"),
    [
        (95, "up", 90, 85, 80, KpiStatus.GREEN),
        (87, "up", 90, 85, 80, KpiStatus.AMBER),
        (82, "up", 90, 85, 80, KpiStatus.RED),
        (79, "up", 90, 85, 80, KpiStatus.RED),
        (40, "down", 48, 60, 72, KpiStatus.GREEN),
        (55, "down", 48, 60, 72, KpiStatus.AMBER),
        (80, "down", 48, 60, 72, KpiStatus.RED),
        (None, "up", 90, 85, 80, KpiStatus.GREY),
        (50, "up", None, None, None, KpiStatus.GREEN),
        (85, "up", 90, None, None, KpiStatus.AMBER),  # default amber band: within 10 % of target
        (80, "up", 90, None, None, KpiStatus.RED),
    ],
)
def test_kpi_status(value: float | None, direction: str, target: float | None, amber: float | None,
                    red: float | None, expected: KpiStatus) -> None:
    assert kpi_status(value, direction=direction, target=target, amber=amber, red=red) == expected


def test_periods() -> None:
    assert period_of(date(2026, 11, 24), "month") == ("2026-11", date(2026, 11, 1))
    assert period_of(date(2026, 11, 24), "quarter") == ("2026-Q4", date(2026, 10, 1))
    assert period_of(date(2026, 2, 3), "year") == ("2026", date(2026, 1, 1))
    assert period_of(date(2026, 2, 3), "day") == ("2026-02-03", date(2026, 2, 3))


def test_report_stats_by_hand() -> None:
    t0 = datetime(2026, 10, 1, 8)
    facts = [
        ReportFacts(t0, t0 + timedelta(hours=10), t0 + timedelta(days=5), 5),  # on time
        ReportFacts(t0, t0 + timedelta(days=6), t0 + timedelta(days=5), 2),  # late
        ReportFacts(t0, t0 + timedelta(hours=30), t0 + timedelta(days=5), 4),  # on time
        ReportFacts(t0, None, t0 + timedelta(days=5), None),  # still open
    ]
    stats = report_stats(facts)
    assert stats.received == 4 and stats.resolved == 3
    assert stats.on_time_pct == pytest.approx(66.7)
    assert stats.median_hours_to_resolve == 30.0
    assert stats.satisfaction_pct == pytest.approx(66.7)
    empty = report_stats([])
    assert empty.received == 0 and empty.on_time_pct is None and empty.satisfaction_pct is None


def test_fold_vietnamese() -> None:
    assert fold("Đường Lê Lợi – NGẬP  nước") == "duong le loi – ngap nuoc"
    assert fold(None) == ""


# --- periods -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "frequency", "periods", "expected"),
    [
        (date(2026, 1, 15), "month", -1, date(2025, 12, 1)),  # across a year
        (date(2026, 3, 31), "month", -13, date(2025, 2, 1)),
        (date(2026, 1, 1), "quarter", -1, date(2025, 10, 1)),  # Q1 → last year's Q4
        (date(2026, 6, 30), "quarter", 1, date(2026, 7, 1)),  # the last day of Q2 → Q3
        (date(2026, 8, 9), "year", -2, date(2024, 1, 1)),
        (date(2024, 3, 1), "day", -1, date(2024, 2, 29)),  # a leap day exists in 2024
        (date(2025, 3, 1), "day", -1, date(2025, 2, 28)),
    ],
)
def test_shift_period(start: date, frequency: str, periods: int, expected: date) -> None:
    assert shift_period(start, frequency, periods) == expected


def test_same_period_last_year() -> None:
    assert same_period_last_year(date(2026, 11, 1), "month") == date(2025, 11, 1)
    assert same_period_last_year(date(2026, 5, 20), "quarter") == date(2025, 4, 1)
    assert same_period_last_year(date(2026, 5, 20), "year") == date(2025, 1, 1)
    assert same_period_last_year(date(2024, 2, 29), "day") == date(2023, 2, 28)  # no 29 Feb in 2023
    assert same_period_last_year(date(2025, 2, 28), "day") == date(2024, 2, 28)


def test_current_period_allows_for_late_figures() -> None:
    today = date(2026, 4, 10)
    assert is_current(date(2026, 3, 1), "month", today)  # last month: still current (figures come late)
    assert not is_current(date(2026, 2, 1), "month", today)
    assert not is_current(date(2026, 3, 1), "month", today, grace=0)
    assert is_current(date(2026, 1, 1), "quarter", today)  # Q1 in April
    assert not is_current(date(2025, 10, 1), "quarter", today)
    assert is_current(date(2025, 1, 1), "year", today) and not is_current(date(2024, 1, 1), "year", today)
    assert is_current(date(2026, 4, 9), "day", today) and not is_current(date(2026, 4, 8), "day", today)


# --- changes and freshness ---------------------------------------------------------------------------

def test_change_is_good_or_bad_by_direction() -> None:
    rise = change(110.0, 100.0, "up")
    assert rise == Change(delta=10.0, pct=10.0, better=True)
    assert change(110.0, 100.0, "down") == Change(delta=10.0, pct=10.0, better=False)  # accidents up: bad
    assert change(80.0, 100.0, "down") == Change(delta=-20.0, pct=-20.0, better=True)
    assert change(5.0, 0.0, "up") == Change(delta=5.0, pct=None, better=True)  # no % of zero
    assert change(3.0, 3.0, "up") == Change(delta=0.0, pct=0.0, better=None)
    assert change(3.0, None, "up") is None and change(None, 3.0, "up") is None


@pytest.mark.parametrize(
    ("age", "vi", "en"),
    [
        (timedelta(seconds=20), "vừa cập nhật", "updated just now"),
        (timedelta(minutes=1, seconds=5), "cập nhật 1 phút trước", "updated 1 minute ago"),
        (timedelta(hours=3, minutes=59), "cập nhật 3 giờ trước", "updated 3 hours ago"),
        (timedelta(days=1), "cập nhật 1 ngày trước", "updated 1 day ago"),
        (timedelta(days=45), "cập nhật 1 tháng trước", "updated 1 month ago"),
        (timedelta(days=800), "cập nhật 2 năm trước", "updated 2 years ago"),
        (timedelta(seconds=-30), "vừa cập nhật", "updated just now"),  # a clock a little ahead
    ],
)
def test_freshness_text(age: timedelta, vi: str, en: str) -> None:
    now = datetime(2026, 10, 5, 9, 0)
    assert freshness_text(now - age, now, "vi") == vi
    assert freshness_text(now - age, now, "en") == en


# --- cards -----------------------------------------------------------------------------------------

ON_TIME = KpiSpec("on_time", "Đúng hạn", "On time", "citizen_reports", "%", "month", "up", 90.0, 80.0, 70.0)
ACCIDENTS = KpiSpec("accidents", "Tai nạn", "Accidents", "security", "vụ", "quarter", "down", 15.0, 20.0, 25.0)


def _points(frequency: str, values: dict[date, float]) -> list[KpiPoint]:
    return [KpiPoint(period_of(d, frequency)[0], d, v, received_at=datetime(2026, 1, 1)) for d, v in values.items()]


def test_card_compares_with_previous_and_same_period_last_year() -> None:
    values = {date(2025, m, 1): 80.0 + m for m in range(1, 13)} | {date(2026, 1, 1): 92.0, date(2026, 2, 1): 75.0}
    card = build_card(ON_TIME, _points("month", values), today=date(2026, 3, 10))
    assert (card.period, card.value, card.status) == ("2026-02", 75.0, KpiStatus.RED)
    assert card.vs_previous == Change(delta=-17.0, pct=-18.5, better=False)
    assert card.vs_last_year == Change(delta=-7.0, pct=-8.5, better=False)  # Feb 2025 was 82
    assert len(card.spark) == 13 and card.spark[-1] == 75.0
    assert card.received_at == datetime(2026, 1, 1) and card.stale_period is None


def test_card_of_a_down_indicator_by_quarter() -> None:
    values = {date(2025, 1, 1): 30.0, date(2025, 10, 1): 16.0, date(2026, 1, 1): 14.0}
    card = build_card(ACCIDENTS, _points("quarter", values), today=date(2026, 4, 2))  # Q1 figures in April
    assert (card.period, card.status) == ("2026-Q1", KpiStatus.GREEN)
    assert card.vs_previous is not None and card.vs_previous.better is True  # fewer accidents than Q4
    assert card.vs_last_year == Change(delta=-16.0, pct=-53.3, better=True)


def test_card_is_grey_when_the_newest_value_is_stale() -> None:
    card = build_card(ON_TIME, _points("month", {date(2025, 12, 1): 95.0}), today=date(2026, 3, 10))
    assert card.status == KpiStatus.GREY and card.value is None and card.period is None
    assert card.stale_period == "2025-12" and card.vs_previous is None and card.spark == (95.0,)
    empty = build_card(ON_TIME, [], today=date(2026, 3, 10))
    assert empty.status == KpiStatus.GREY and empty.stale_period is None and empty.spark == ()


def test_card_without_a_target_or_a_previous_value() -> None:
    spec = KpiSpec("arrivals", "Khách", "Arrivals", "tourism", "nghìn", "month", "up")
    card = build_card(spec, _points("month", {date(2026, 2, 1): 300.0}), today=date(2026, 2, 20))
    assert card.status == KpiStatus.GREEN and card.target is None
    assert card.vs_previous is None and card.vs_last_year is None


def test_a_value_s_own_target_wins_over_the_catalogue_s() -> None:
    point = KpiPoint("2026-02", date(2026, 2, 1), 85.0, target=80.0)
    assert build_card(ON_TIME, [point], today=date(2026, 2, 20)).status == KpiStatus.GREEN


def test_leap_day_compares_with_28_february() -> None:
    spec = KpiSpec("cams", "Camera", "Cameras", "public_services", "%", "day", "up", 95.0)
    values = {date(2023, 2, 28): 90.0, date(2024, 2, 28): 96.0, date(2024, 2, 29): 99.0}
    card = build_card(spec, _points("day", values), today=date(2024, 2, 29))
    assert card.vs_previous == Change(delta=3.0, pct=3.1, better=True)
    assert card.vs_last_year == Change(delta=9.0, pct=10.0, better=True)


def test_history_start_covers_sparkline_and_last_year() -> None:
    today = date(2026, 3, 10)
    assert history_start(today, "month") == date(2025, 2, 1)  # Feb 2026's last year, and 13 months
    assert history_start(today, "year") == date(2020, 1, 1)
    assert history_start(today, "day") == date(2025, 3, 9)


def test_themes_in_the_configured_order() -> None:
    def card(code: str, theme: str) -> KpiCard:
        return build_card(replace(ON_TIME, code=code, theme=theme), [], date(2026, 1, 1))

    cards = [card("a", "health"), card("b", "economy"), card("c", "zoo"), card("d", "health"), card("e", "art")]
    assert [c.spec.code for c in order_by_theme(cards, ["economy", "health"])] == ["b", "a", "d", "e", "c"]


def test_alert_severity() -> None:
    assert alert_severity(KpiStatus.RED) == "critical"
    assert alert_severity(KpiStatus.AMBER) is None
    assert alert_severity(KpiStatus.AMBER, on_amber=True) == "warning"
    assert alert_severity(KpiStatus.GREEN, on_amber=True) is None
    assert alert_severity(KpiStatus.GREY, on_amber=True) is None


def test_ranked_best_first() -> None:
    rows = [("Quảng Trị", 60.0), (None, 84.1), ("Đà Nẵng", 130.0)]
    assert ranked(rows, "up") == [("Đà Nẵng", 130.0), (None, 84.1), ("Quảng Trị", 60.0)]
    assert ranked(rows, "down")[0] == ("Quảng Trị", 60.0)


def test_series_csv() -> None:
    points = [KpiPoint("2026-02", date(2026, 2, 1), 75.0, received_at=datetime(2026, 3, 14, 8, 30)),
              KpiPoint("2026-01", date(2026, 1, 1), 92.5)]
    assert series_csv(ON_TIME, points, ZoneInfo("Asia/Ho_Chi_Minh")).splitlines() == [
        "code,period,period_start,value,unit,target,status,received_at",
        "on_time,2026-01,2026-01-01,92.5,%,90.0,green,",
        "on_time,2026-02,2026-02-01,75.0,%,90.0,red,2026-03-14T15:30:00+07:00",  # stored 08:30 UTC
    ]


# --- report KPIs by scope, cameras, revisions ---------------------------------------------------------

def test_report_stats_by_city_agency_and_unit() -> None:
    t0 = datetime(2026, 10, 1, 8)
    now = datetime(2026, 10, 20, 8)
    month = [
        ReportFacts(t0, t0 + timedelta(hours=10), t0 + timedelta(days=5), 5, agency_id=1, admin_unit_id=10),
        ReportFacts(t0, t0 + timedelta(days=6), t0 + timedelta(days=5), 2, agency_id=1, admin_unit_id=11),
        ReportFacts(t0, t0 + timedelta(hours=30), t0 + timedelta(days=5), 4, agency_id=2, admin_unit_id=10),
        ReportFacts(t0, None, t0 + timedelta(days=5), None, agency_id=2, admin_unit_id=None),
    ]
    open_now = [
        month[3],  # past its deadline
        ReportFacts(t0 - timedelta(days=40), None, t0 - timedelta(days=30), None, agency_id=3, admin_unit_id=11),
        ReportFacts(t0, None, now + timedelta(days=1), None, agency_id=1, admin_unit_id=10),  # not yet due
        ReportFacts(t0, None, None, None, agency_id=1),  # no deadline: never overdue
    ]
    stats = report_stats_by_scope(month, open_now, now)
    assert set(stats) == {CITY, ("agency", 1), ("agency", 2), ("agency", 3), ("unit", 10), ("unit", 11)}
    city = stats[CITY]
    assert (city.received, city.resolved, city.overdue) == (4, 3, 2)
    assert city.on_time_pct == pytest.approx(66.7) and city.median_hours_to_resolve == 30.0
    a1 = stats[("agency", 1)]
    assert (a1.received, a1.resolved, a1.on_time_pct, a1.median_hours_to_resolve, a1.satisfaction_pct,
            a1.overdue) == (2, 2, 50.0, 77.0, 50.0, 0)
    a2 = stats[("agency", 2)]
    assert (a2.received, a2.resolved, a2.on_time_pct, a2.overdue) == (2, 1, 100.0, 1)
    a3 = stats[("agency", 3)]  # only an old overdue report: nothing received this month
    assert (a3.received, a3.on_time_pct, a3.satisfaction_pct, a3.overdue) == (0, None, None, 1)
    u10 = stats[("unit", 10)]
    assert (u10.received, u10.resolved, u10.median_hours_to_resolve, u10.satisfaction_pct) == (2, 2, 20.0, 100.0)
    assert stats[("unit", 11)].overdue == 1


def test_camera_availability_ignores_unknown_states() -> None:
    cameras = [(10, True), (10, False), (10, None), (11, True), (None, True), (12, None)]
    assert camera_availability(cameras) == {CITY: 75.0, ("unit", 10): 50.0, ("unit", 11): 100.0}
    assert camera_availability([(1, None)]) == {}


def test_plan_revision_keeps_unchanged_rows() -> None:
    existing = {("a", CITY): (1, 5.0), ("b", CITY): (2, 7.0), ("c", CITY): (3, 1.0)}
    keep, supersede, new = plan_revision(existing, {("a", CITY): 5.0, ("b", CITY): 8.0, ("d", CITY): 2.0})
    assert keep == [1] and sorted(supersede) == [2, 3]
    assert new == {("b", CITY): 8.0, ("d", CITY): 2.0}
