"""The generator's deadlines, a whole chunk at a time; the working-day arithmetic itself is ``data.core.sla``'s."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from data.core.sla import public_holidays, working_deadline
from data.demo.times import DAY

__all__ = ["Deadlines", "public_holidays", "working_deadline"]


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
