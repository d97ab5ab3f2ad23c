"""When reports arrive in Huế: weights by hour, weekday and month, the rains and the summer."""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import date, datetime, timedelta

import numpy as np

# Local hour-of-day weights (0..23): quiet nights, a morning peak, an afternoon peak, a small evening one.
HOUR_WEIGHTS = (0.3, 0.15, 0.1, 0.1, 0.15, 0.4, 1.2, 2.5, 3.5, 4.0, 3.8, 3.0,
                1.8, 2.0, 3.2, 3.5, 3.2, 2.5, 1.8, 2.0, 2.2, 1.8, 1.1, 0.6)  # fmt: skip
WEEKDAY_WEIGHTS = (1.15, 1.1, 1.05, 1.05, 1.0, 0.8, 0.7)  # Monday first: the week's backlog arrives
MONTH_WEIGHTS = (0.9, 0.8, 0.95, 1.0, 1.05, 1.05, 1.05, 1.0, 1.05, 1.2, 1.3, 1.1)  # rains: Oct–Dec
RAINY_MONTHS = frozenset({10, 11, 12})
SUMMER_MONTHS = frozenset({5, 6, 7, 8})
NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4})


def probabilities(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Weights scaled to sum to one, for ``rng.choice(..., p=...)``."""
    array = np.asarray(weights, dtype=float)
    return array / array.sum()


def day_weights(start: date, days: int, off: Container[date]) -> list[float]:
    """The weight of each of ``days`` days from ``start``: weekday, month, growth, offices shut on holidays."""
    weights = []
    for d in range(days):
        day = start + timedelta(days=d)
        weight = WEEKDAY_WEIGHTS[day.weekday()] * MONTH_WEIGHTS[day.month - 1] * (1 + 0.15 * d / days)
        weights.append(weight * (0.45 if day in off and day.weekday() < 5 else 1.0))
    return weights


def sample_times(n: int, start: datetime, end: datetime, off: Container[date], rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted local times (seconds after ``start``) with weekday, season, Tết and growth patterns."""
    days = (end.date() - start.date()).days + 1
    day_p, hour_p = probabilities(day_weights(start.date(), days, off)), probabilities(HOUR_WEIGHTS)
    first = int((start - datetime.combine(start.date(), datetime.min.time())).total_seconds())
    last = (end - start).total_seconds()
    chosen: list[np.ndarray] = []
    missing = n
    while missing > 0:  # times before ``start`` or after ``end`` on the edge days are drawn again
        size = int(missing * 1.1) + 16
        t = rng.choice(days, size, p=day_p) * 86400 + rng.choice(24, size, p=hour_p) * 3600
        t = t + rng.integers(0, 3600, size) - first
        t = t[(t >= 0) & (t <= last)][:missing]
        chosen.append(t)
        missing -= len(t)
    # Zero reports is a real request (a benchmark seeds the catalogue only): no draws, an empty array.
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
