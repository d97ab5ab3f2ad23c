"""Report deadlines in Vietnamese working days: weekends and public holidays (Tết included) do not count.

The rule (one clock for deadlines and for measuring): the working clock runs only during office
hours, ``OFFICE_OPENS``–``OFFICE_CLOSES`` local time, on working days. A report received during
office hours is due N working days later at the same local clock time; one received before opening
counts from that day's opening, and one received after closing or on a weekend or holiday counts
from the next working day's opening. So ``working_days_between(t, deadline_for(t, N, ...)) == N``
for every ``t``, and a report made on Friday evening gets nothing from the weekend.
Emergencies are due a number of clock hours later, day or night.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

import holidays

# Hours of a Vietnamese public office (giờ hành chính); the lunch break is not cut out because
# reports are handled through it, and it would not move a deadline given as "the same clock time".
OFFICE_OPENS = time(7, 30)
OFFICE_CLOSES = time(17, 0)
_OFFICE_DAY = datetime.combine(date.min, OFFICE_CLOSES) - datetime.combine(date.min, OFFICE_OPENS)
EMERGENCY = "emergency"


@lru_cache(maxsize=16)
def public_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """Vietnamese public holidays (Tết included) of the given years; cached, the package is slow to build them."""
    return frozenset(holidays.country_holidays("VN", years=range(first_year, last_year + 1)))


class _VietnamHolidays:
    """Every year's Vietnamese holidays as one container, looked up per year (so any date works)."""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in public_holidays(day.year, day.year)


VN_HOLIDAYS: Container[date] = _VietnamHolidays()


def is_working_day(day: date, off: Container[date] = VN_HOLIDAYS) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in off


def working_deadline(start: datetime, days: int, off: Container[date]) -> datetime:
    """``start`` plus ``days`` working days at the same clock time, skipping weekends and ``off`` days."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if is_working_day(current.date(), off):
            days -= 1
    return current


def to_local(at: datetime, tz: tzinfo) -> datetime:
    """A naive UTC time as naive local wall-clock time in ``tz``."""
    return at.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def to_utc(local: datetime, tz: tzinfo) -> datetime:
    """A naive local wall-clock time in ``tz`` as naive UTC."""
    return local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def deadline_text(expected_at: datetime | None, tz: tzinfo) -> str:
    """The deadline as an alert states it, in the city's time (stored times are naive UTC)."""
    return f"Hạn xử lý: {to_local(expected_at, tz):%d/%m/%Y %H:%M}" if expected_at else "Hạn xử lý: —"


def clock_start(local: datetime) -> datetime:
    """When the working clock starts for something received at ``local``: now, or the next opening."""
    day = local.date()
    if is_working_day(day) and local.time() < OFFICE_CLOSES:
        return max(local, datetime.combine(day, OFFICE_OPENS))
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OFFICE_OPENS)


def deadline_for(
    created_at: datetime, sla_working_days: int, sla_emergency_hours: int, urgency: str, tz: tzinfo
) -> datetime:
    """When a report is due (naive UTC): clock hours for emergencies, else working days (see the module)."""
    if urgency == EMERGENCY:
        return created_at + timedelta(hours=sla_emergency_hours)
    start = clock_start(to_local(created_at, tz))
    return to_utc(working_deadline(start, sla_working_days, VN_HOLIDAYS), tz)


def working_days_between(start: datetime, end: datetime, tz: tzinfo) -> float:
    """Office time between two naive UTC times, in working days; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start, tz)
    first, last = to_local(start, tz), to_local(end, tz)
    total = timedelta()
    day = first.date()
    while day <= last.date():
        if is_working_day(day):
            opens, closes = datetime.combine(day, OFFICE_OPENS), datetime.combine(day, OFFICE_CLOSES)
            total += max(timedelta(), min(closes, last) - max(opens, first))
        day += timedelta(days=1)
    return total / _OFFICE_DAY
