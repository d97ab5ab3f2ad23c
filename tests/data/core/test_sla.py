"""Working-day deadlines with real Vietnamese dates: Tết, 30/4–1/5, 2/9, weekends, office hours, time zones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from data.core.sla import deadline_for, public_holidays, working_days_between

HUE = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no daylight saving


def utc(local: datetime) -> datetime:
    """A Huế wall-clock time as the naive UTC the database holds."""
    return local - timedelta(hours=7)


def due(local: datetime, days: int) -> datetime:
    """The local deadline of a normal report received at local time ``local``."""
    return deadline_for(utc(local), days, 24, "normal", HUE) + timedelta(hours=7)


def test_holidays_package_has_tet_2027_as_we_expect() -> None:
    """The days the Tết tests below rely on (holidays 0.109): 29 Tết (Thu 4/2) to mùng 5 (Wed 10/2)."""
    tet = {d for d, name in holidays.country_holidays("VN", years=2027).items() if "Lunar New Year" in name}
    assert sorted(d.day for d in tet) == [4, 5, 6, 7, 8, 9, 10] and {d.month for d in tet} == {2}
    assert datetime(2027, 2, 4).date() in public_holidays(2027, 2027)
    assert public_holidays(2027, 2027) is public_holidays(2027, 2027)  # cached per year range


def test_tet_2027_is_skipped() -> None:
    assert due(datetime(2027, 2, 3, 10, 0), 1) == datetime(2027, 2, 11, 10, 0)  # Wed before Tết → Thu after
    assert due(datetime(2027, 2, 3, 10, 0), 3) == datetime(2027, 2, 15, 10, 0)  # Thu, Fri, (weekend), Mon
    # Received during Tết: the clock starts at the first working morning after it.
    assert due(datetime(2027, 2, 7, 9, 0), 1) == datetime(2027, 2, 12, 7, 30)


def test_reunification_and_labour_day() -> None:
    assert due(datetime(2026, 4, 29, 9, 0), 2) == datetime(2026, 5, 5, 9, 0)  # Thu 30/4, Fri 1/5 off
    # 2027: 1/5 falls on a Saturday and is observed on Monday 3/5.
    assert due(datetime(2027, 4, 29, 14, 0), 1) == datetime(2027, 5, 4, 14, 0)


def test_national_day() -> None:
    # 2026: Mon 31/8 (swapped for Sat 22/8), Tue 1/9 and Wed 2/9 are off.
    assert due(datetime(2026, 8, 28, 10, 0), 1) == datetime(2026, 9, 3, 10, 0)
    assert due(datetime(2027, 9, 1, 16, 0), 1) == datetime(2027, 9, 6, 16, 0)  # Thu 2/9, Fri 3/9 off


def test_friday_afternoon_and_weekend_reports() -> None:
    assert due(datetime(2026, 10, 16, 16, 30), 1) == datetime(2026, 10, 19, 16, 30)  # before closing: Monday
    assert due(datetime(2026, 10, 16, 17, 30), 1) == datetime(2026, 10, 20, 7, 30)  # after closing: counts Monday
    assert due(datetime(2026, 10, 17, 10, 0), 1) == datetime(2026, 10, 20, 7, 30)  # Saturday: same
    assert due(datetime(2026, 10, 19, 6, 0), 1) == datetime(2026, 10, 20, 7, 30)  # before opening: from opening
    assert due(datetime(2026, 10, 19, 10, 0), 0) == datetime(2026, 10, 19, 10, 0)
    assert due(datetime(2026, 10, 16, 9, 0), 5) == datetime(2026, 10, 23, 9, 0)


def test_emergency_counts_clock_hours_day_and_night() -> None:
    saturday_night = utc(datetime(2026, 10, 17, 23, 0))
    assert deadline_for(saturday_night, 5, 2, "emergency", HUE) == saturday_night + timedelta(hours=2)
    during_tet = utc(datetime(2027, 2, 6, 12, 0))
    assert deadline_for(during_tet, 5, 24, "emergency", HUE) == during_tet + timedelta(hours=24)


def test_the_local_day_counts_not_the_utc_day() -> None:
    # Friday 17:30 UTC is Saturday 00:30 in Huế: a weekend report.
    friday_utc = datetime(2026, 10, 16, 17, 30)
    assert deadline_for(friday_utc, 1, 24, "normal", HUE) == datetime(2026, 10, 20, 0, 30)  # Tue 07:30 local
    # Sunday 23:30 UTC is Monday 06:30 in Huế: counted from Monday's opening.
    sunday_utc = datetime(2026, 10, 18, 23, 30)
    assert deadline_for(sunday_utc, 1, 24, "normal", HUE) == datetime(2026, 10, 20, 0, 30)
    # One minute either side of local midnight on Thursday night.
    assert deadline_for(datetime(2026, 10, 15, 16, 59), 1, 24, "normal", HUE) == datetime(2026, 10, 19, 0, 30)
    assert deadline_for(datetime(2026, 10, 15, 17, 0), 1, 24, "normal", HUE) == datetime(2026, 10, 19, 0, 30)
    # Friday 16:30 UTC is after closing in Huế but within office hours for a city on UTC.
    late_friday = datetime(2026, 10, 16, 16, 30)
    assert deadline_for(late_friday, 1, 24, "normal", HUE) == datetime(2026, 10, 20, 0, 30)
    assert deadline_for(late_friday, 1, 24, "normal", ZoneInfo("UTC")) == datetime(2026, 10, 19, 16, 30)


def test_working_days_between() -> None:
    def between(a: datetime, b: datetime) -> float:
        return working_days_between(utc(a), utc(b), HUE)

    assert between(datetime(2026, 10, 19, 10, 0), datetime(2026, 10, 20, 10, 0)) == pytest.approx(1.0)
    assert between(datetime(2026, 10, 16, 16, 0), datetime(2026, 10, 19, 16, 0)) == pytest.approx(1.0)  # weekend
    assert between(datetime(2026, 10, 16, 17, 0), datetime(2026, 10, 19, 7, 30)) == 0.0  # nothing was open
    assert between(datetime(2026, 10, 19, 7, 30), datetime(2026, 10, 19, 12, 15)) == pytest.approx(0.5)
    assert between(datetime(2027, 2, 3, 10, 0), datetime(2027, 2, 11, 10, 0)) == pytest.approx(1.0)  # Tết
    assert between(datetime(2026, 10, 20, 10, 0), datetime(2026, 10, 19, 10, 0)) == pytest.approx(-1.0)
    assert between(datetime(2026, 10, 19, 10, 0), datetime(2026, 10, 19, 10, 0)) == 0.0


def test_deadline_and_measure_agree_everywhere() -> None:
    """For any receipt time, the deadline is exactly N working days away on the measuring clock."""
    start = utc(datetime(2027, 1, 27, 0, 0))  # two weeks either side of Tết 2027
    for step in range(0, 28 * 24 * 60, 97):  # every 97 minutes: all hours of all weekdays
        created = start + timedelta(minutes=step)
        for days in (1, 3, 10):
            deadline = deadline_for(created, days, 24, "normal", HUE)
            assert working_days_between(created, deadline, HUE) == pytest.approx(days), (created, days)
            local = deadline + timedelta(hours=7)
            assert local.weekday() < 5 and local.date() not in public_holidays(2027, 2027)
