"""The random draws of one chunk of reports: category, template, place, channel and the dice of each life."""

from __future__ import annotations

import math

import numpy as np

from data.demo.context import ReportContext
from data.demo.lifecycle import OUTCOMES, Draws
from data.demo.seasons import NIGHT_HOURS, RAINY_MONTHS, SUMMER_MONTHS, probabilities
from data.demo.times import DAY

REOPEN_SHARE = 0.04
STALLED_SHARE = 0.06
RATED_SHARE = 0.55


class Chunk:
    """The random draws of one chunk of reports: numpy arrays, and Python lists for the row loop."""

    def __init__(self, ctx: ReportContext, months: np.ndarray, hours: np.ndarray, rng: np.random.Generator) -> None:
        n = len(months)
        self.category = pick_categories(ctx, months, np.isin(hours, list(NIGHT_HOURS)), rng)
        self.template = pick_templates(ctx, self.category, months, rng)
        self.place = rng.choice(len(ctx.places), n, p=probabilities(ctx.place_weights))
        self.channel: list[int] = rng.choice(len(ctx.channels), n, p=probabilities(ctx.channel_weights)).tolist()
        self.jitter = rng.normal(0.0, 25.0, (n, 2))  # metres: reports are never exactly on the anchor
        # Uniform draws: emergency, outcome, reopen, rated, published, to ward, anonymous, gender, score,
        # comment, stalled.
        self.uniform = rng.random((n, 11))
        self.u: list[list[float]] = self.uniform.tolist()
        self.speed = rng.lognormal(math.log(0.4), 0.7, n)  # median: 40 % of the time allowed; ~10 % late
        self.delays = rng.random((n, 4))  # reopen, close and rate delays, how long a stalled one lingers
        # Integers for picks from lists: closing, house number, family, middle, given, referral.
        self.pick: list[list[int]] = rng.integers(0, 1 << 30, (n, 6)).tolist()
        self.phone: list[int] = rng.integers(0, 100_000_000, n).tolist()

    def draws(self) -> Draws:
        """The choices that plan the lives of the chunk's reports (see ``plan_lives``)."""
        u, delays = self.uniform, self.delays
        shares = np.array([share for share, _ in OUTCOMES])
        outcome = np.where(u[:, 1] < shares[-1], np.searchsorted(shares, u[:, 1], side="right") + 1, 0)
        return Draws(
            # A few reports stall with their agency (3 to 20 times the time allowed): the overdue backlog.
            speed=self.speed * np.where(u[:, 10] < STALLED_SHARE, 3 + 17 * delays[:, 3], 1.0),
            outcome=outcome,
            reopen_after=np.where(u[:, 2] < REOPEN_SHARE, (0.5 + 4.5 * delays[:, 0]) * DAY, np.nan),
            close_after=(1 + 6 * delays[:, 1]) * DAY,
            rate_after=np.where(u[:, 3] < RATED_SHARE, (1 + 47 * delays[:, 2]) * 3600.0, np.nan),
        )


def pick_categories(ctx: ReportContext, months: np.ndarray, nights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Category indexes: shares depend on the month (rains, summer) and the hour (night), one draw per group."""
    out = np.zeros(len(months), dtype=np.int64)
    keys = months * 2 + nights.astype(np.int64)
    for key in np.unique(keys).tolist():
        month, night = divmod(key, 2)
        weights = [c.weight * c.season_weight(month) * (c.night if night else 1.0) for c in ctx.categories]
        mask = keys == key
        out[mask] = rng.choice(len(ctx.categories), int(mask.sum()), p=probabilities(weights))
    return out


def pick_templates(ctx: ReportContext, cats: np.ndarray, months: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Template indexes within each category: flooding and fallen trees in the rains, outages in summer."""
    out = np.zeros(len(cats), dtype=np.int64)
    season = np.where(np.isin(months, list(RAINY_MONTHS)), 2, np.where(np.isin(months, list(SUMMER_MONTHS)), 1, 0))
    for c, spec in enumerate(ctx.categories):
        for s in (0, 1, 2):
            mask = (cats == c) & (season == s)
            if mask.any():
                weights = [t.rain if s == 2 else t.summer if s == 1 else 1.0 for t in spec.templates]
                out[mask] = rng.choice(len(spec.templates), int(mask.sum()), p=probabilities(weights))
    return out
