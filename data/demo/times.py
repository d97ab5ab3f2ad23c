"""Report times as seconds after a base time, in numpy arrays: to local calendar fields and back to datetimes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

DAY = 86_400.0


def local_calendar(local_start: datetime, seconds: np.ndarray) -> tuple[np.ndarray, ...]:
    """(year, month, hour, day number since 1970) of local times ``seconds`` after ``local_start``."""
    local = np.datetime64(local_start, "s") + seconds.astype("timedelta64[s]")
    day = local.astype("datetime64[D]")
    years = local.astype("datetime64[Y]").astype(np.int64) + 1970
    months = local.astype("datetime64[M]").astype(np.int64) % 12 + 1
    hours = (local - day).astype(np.int64) // 3600
    return years, months, hours, day.astype(np.int64)


def to_datetimes(base: datetime, seconds: np.ndarray) -> list[Any]:
    """Naive datetimes ``base + seconds`` (None where NaN), converted in bulk; keeps the array's shape."""
    missing = np.isnan(seconds)
    micros = np.where(missing, 0.0, np.round(seconds * 1e6)).astype(np.int64).astype("timedelta64[us]")
    values = np.datetime64(base, "us") + micros
    values[missing] = np.datetime64("NaT")
    return values.tolist()
