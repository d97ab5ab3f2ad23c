"""KPI arithmetic as pure functions: status colours, periods, report statistics."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from data.kpi import KpiStatus, ReportFacts, kpi_status, period_of, report_stats
from data.text import fold


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
