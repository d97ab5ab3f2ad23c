"""Deadlines in working days: weekends and Vietnamese public holidays (Tết included) do not count."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, datetime, timedelta

import holidays
import numpy as np

from data.demo.times import DAY


def working_deadline(start: datetime, days: int, off: Container[date]) -> datetime:
    """``start`` plus ``days`` working days at the same clock time, skipping weekends and ``off`` days."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in off:
            days -= 1
    return current


def public_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """Vietnamese public holidays (Tết included) of the given years."""
    return frozenset(holidays.country_holidays("VN", years=range(first_year, last_year + 1)))


class Deadlines:
    """Seconds allowed by each report's SLA; working-day deadlines are cached per (local day, days)."""

    def __init__(self, off: frozenset[date]) -> None:
        self._off = off
        self._calendar_days: dict[tuple[int, int], int] = {}

    def allowed(
        self, days: np.ndarray, sla_days: np.ndarray, emergency_hours: np.ndarray, emergency: np.ndarray
    ) -> np.ndarray:
        """Seconds allowed for reports made on local ``days`` (since 1970): hours if urgent, else working days."""
        keys = days * 64 + sla_days
        unique, inverse = np.unique(keys, return_inverse=True)
        calendar = np.array([self._days_to_deadline(k // 64, k % 64) for k in unique.tolist()], dtype=float)
        return np.where(emergency, emergency_hours * 3600.0, calendar[inverse.reshape(-1)] * DAY)

    def _days_to_deadline(self, day: int, sla_days: int) -> int:
        key = (day, sla_days)
        if key not in self._calendar_days:
            start = datetime(1970, 1, 1) + timedelta(days=day)
            self._calendar_days[key] = (working_deadline(start, sla_days, self._off) - start).days
        return self._calendar_days[key]
