"""A report's life: from its time allowed and a few random draws to its status, history and rating."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data.models import ReportStatus

# Statuses as plain strings: rows are built by the million, and drivers store str as-is.
RECEIVED, VERIFIED, ASSIGNED = ReportStatus.RECEIVED.value, ReportStatus.VERIFIED.value, ReportStatus.ASSIGNED.value
IN_PROGRESS, RESOLVED, CLOSED = ReportStatus.IN_PROGRESS.value, ReportStatus.RESOLVED.value, ReportStatus.CLOSED.value
REOPENED, REJECTED, DUPLICATE = ReportStatus.REOPENED.value, ReportStatus.REJECTED.value, ReportStatus.DUPLICATE.value
NOT_RESPONSIBLE, REFERRED = ReportStatus.NOT_RESPONSIBLE.value, ReportStatus.REFERRED.value
DISMISSED = (REJECTED, DUPLICATE, NOT_RESPONSIBLE)  # closed by the IOC without work
# Outcomes other than a normal resolution, as cumulative shares of all reports.
OUTCOMES = ((0.03, REJECTED), (0.06, DUPLICATE), (0.08, NOT_RESPONSIBLE), (0.095, REFERRED))
REFERRAL = len(OUTCOMES)  # the outcome number of a referral (outcomes count from 1)
OUTCOME_ACTION = {
    REJECTED: "rejected",
    DUPLICATE: "duplicate",
    NOT_RESPONSIBLE: "not_responsible",
    REFERRED: "referred",
}
# Ratings are skewed positive, less so when the report was handled late.
RATING_P_ON_TIME = (0.05, 0.06, 0.12, 0.30, 0.47)
RATING_P_LATE = (0.15, 0.17, 0.25, 0.25, 0.18)

# The stages a report can pass after it is received, in the only order they can happen. Stage 1
# is the IOC's decision to dismiss or refer it; stages 5–7 a reopening and a second fix.
STAGE_ACTIONS = ("verified", "decided", "assigned", "started", "resolved", "reopened", "started", "resolved",
                 "closed", "rated")  # fmt: skip
STAGE_STATUSES = (VERIFIED, "", ASSIGNED, IN_PROGRESS, RESOLVED, REOPENED, IN_PROGRESS, RESOLVED, CLOSED, CLOSED)
VERIFY, DECIDE, ASSIGN, START, RESOLVE, REOPEN, RESTART, RERESOLVE, CLOSE, RATE = range(10)


@dataclass(frozen=True)
class Draws:
    """The random choices that decide the lives of ``n`` reports (arrays; times in seconds)."""

    speed: np.ndarray  # time to resolve as a share of the time allowed (> 1 means late)
    outcome: np.ndarray  # 0 = handled normally, else 1 + index into OUTCOMES
    reopen_after: np.ndarray  # NaN = never reopened
    close_after: np.ndarray
    rate_after: np.ndarray  # NaN = never rated


@dataclass(frozen=True)
class Lives:
    """Where ``n`` reports stand ``now``: stage times (NaN = not in the plan) and the last one reached."""

    times: np.ndarray  # (n, 10) seconds, columns as STAGE_ACTIONS
    last: np.ndarray  # index of the last stage reached; -1 = only received
    outcome: np.ndarray  # as in Draws
    resolved: np.ndarray  # when the fix that counts was made, NaN when not resolved now
    closed: np.ndarray  # NaN when not closed now
    late: np.ndarray  # resolved after the deadline

    def statuses(self) -> list[str]:
        """The status of each report now."""
        names = np.array([RECEIVED, *STAGE_STATUSES], dtype=object)[self.last + 1]
        decided = self.last == DECIDE
        names[decided] = np.array([status for _, status in OUTCOMES], dtype=object)[self.outcome[decided] - 1]
        return names.tolist()

    def steps(self, i: int) -> list[tuple[int, str, str]]:
        """(stage, action, status after it) of every stage report ``i`` has passed, in order."""
        out = []
        for stage in range(int(self.last[i]) + 1):
            if not math.isnan(self.times[i, stage]):
                status = OUTCOMES[self.outcome[i] - 1][1] if stage == DECIDE else STAGE_STATUSES[stage]
                action = OUTCOME_ACTION[status] if stage == DECIDE else STAGE_ACTIONS[stage]
                out.append((stage, action, status))
        return out


def plan_lives(created: np.ndarray, allowed: np.ndarray, now: float, draws: Draws) -> Lives:
    """Every report's steps by ``now``: consistent times, one status, an honest history.

    Each life is planned from the time allowed scaled by ``speed`` and cut at ``now``, so young
    reports are open and old ones closed, with no special cases. Vectorised: a million reports
    cost a few numpy passes. Stage times only grow along a row, so the stages reached are a prefix.
    """
    n = len(created)
    span = allowed * draws.speed
    decided = draws.outcome > 0
    dismissed = decided & (draws.outcome != REFERRAL)  # a referred report goes on with another agency
    handled = ~dismissed
    reopen = handled & ~np.isnan(draws.reopen_after)
    t = np.full((n, 10), np.nan)
    t[:, VERIFY] = created + span * 0.06
    t[decided, DECIDE] = (created + span * 0.12)[decided]
    for stage, share in ((ASSIGN, 0.15), (START, 0.4), (RESOLVE, 1.0)):
        t[handled, stage] = (created + span * share)[handled]
    t[reopen, REOPEN] = t[reopen, RESOLVE] + draws.reopen_after[reopen]
    t[reopen, RESTART] = t[reopen, REOPEN] + span[reopen] * 0.1
    t[reopen, RERESOLVE] = t[reopen, REOPEN] + span[reopen] * 0.5  # the second fix takes half as long
    final = np.where(reopen, t[:, RERESOLVE], t[:, RESOLVE])
    t[:, CLOSE] = final + draws.close_after  # the reporter confirms, or it closes by itself
    t[:, RATE] = t[:, CLOSE] + draws.rate_after
    reached = t <= now  # NaN compares False
    last = np.where(reached.any(axis=1), 9 - np.argmax(reached[:, ::-1], axis=1), -1)
    resolved = np.where(
        last == RESOLVE, t[:, RESOLVE], np.where(np.isin(last, (RERESOLVE, CLOSE, RATE)), final, np.nan)
    )
    closed = np.where(last >= CLOSE, t[:, CLOSE], np.where(dismissed & (last == DECIDE), t[:, DECIDE], np.nan))
    return Lives(t, last, draws.outcome, resolved, closed, resolved > created + allowed)


def scores(u: np.ndarray, late: np.ndarray) -> np.ndarray:
    """Ratings 1–5 from uniform draws: skewed positive, less so for reports handled late."""
    on_time = np.searchsorted(np.cumsum(RATING_P_ON_TIME), u, side="right")
    late_ones = np.searchsorted(np.cumsum(RATING_P_LATE), u, side="right")
    return np.minimum(np.where(late, late_ones, on_time), 4) + 1
