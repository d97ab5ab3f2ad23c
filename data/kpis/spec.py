"""What a KPI computed from the IOC's own data is (``KpiSpec``), and what one computing pass reads
(``PassInputs``). The KPIs are listed in ``data.kpis.registry``; their measures are in ``data.kpis.measures``.

A spec carries everything the indicators table needs (names, unit, direction, target, frequency,
theme) and one ``measure``: a function of the pass's inputs giving a value per scope (the city, an
agency, a unit). Inputs are read lazily and once per pass, so six report KPIs cost one query; a KPI
that needs another input (another table) adds a ``cached_property`` here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.kpis.status import ReportFacts, ReportStats, Scope, camera_availability, report_stats_by_scope
from data.models import OPEN_STATUSES, Camera, CameraState, CameraStatus, Report
from data.reports.queries import camera_state


class PassInputs:
    """What one computing pass knows: its month, now, and the figures the measures read (each read once)."""

    def __init__(self, session: Session, now: datetime, begin: datetime, end: datetime) -> None:
        self.session, self.now, self.begin, self.end = session, now, begin, end

    @property
    def this_month(self) -> bool:
        """True when the pass's month is the current one (only then can "right now" counts be known)."""
        return self.begin <= self.now < self.end

    @cached_property
    def report_stats(self) -> dict[Scope, ReportStats]:
        """The month's report figures for the city and each agency and unit with reports."""
        period = _report_facts(self.session, Report.created_at >= self.begin, Report.created_at < self.end)
        # Overdue is a count of right now: only this month's pass can know it.
        open_now = _report_facts(self.session, Report.status.in_([s.value for s in OPEN_STATUSES]),
                                 Report.expected_at < self.now) if self.this_month else []
        return report_stats_by_scope(period, open_now, self.now)

    @cached_property
    def camera_availability(self) -> dict[Scope, float]:
        """Share (%) of enabled cameras online now, city-wide and per unit."""
        return camera_availability(_camera_states(self.session, self.now))


Measure = Callable[[PassInputs], Mapping[Scope, float | None]]


@dataclass(frozen=True)
class KpiSpec:
    """One computed KPI: its indicator row and how its values are measured."""

    code: str
    name: str  # Vietnamese, as leaders read it
    name_en: str
    unit: str
    direction: str  # "up": higher is better; "down": lower is better
    target: float | None  # the first target; a city may edit it afterwards
    frequency: str  # "month": the pass's month; "day": today, in the city's time zone
    theme: str
    source: str  # written on every value: where it came from
    measure: Measure
    count: bool = False  # 0 where nothing happened (a share or a median of nothing is no value)
    now_only: bool = False  # a count of right now: measured only by the current month's pass


def _report_facts(session: Session, *conditions: Any) -> list[ReportFacts]:
    return [ReportFacts(r.created_at, r.resolved_at, r.expected_at, r.rating, r.agency_id, r.admin_unit_id)
            for r in session.execute(select(Report.created_at, Report.resolved_at, Report.expected_at,
                                            Report.rating, Report.agency_id, Report.admin_unit_id)
                                     .where(*conditions))]


def _camera_states(session: Session, now: datetime) -> list[tuple[int | None, bool | None]]:
    """(unit, online) of each enabled camera; None when its status is missing or too old to say."""
    rows = session.execute(
        select(Camera.admin_unit_id, CameraStatus.state, CameraStatus.updated_at)
        .outerjoin(CameraStatus, CameraStatus.camera_id == Camera.id).where(Camera.enabled)
    )
    states = ((unit, camera_state(state, updated, now)) for unit, state, updated in rows)
    return [(unit, None if state == CameraState.UNKNOWN else state == CameraState.ONLINE) for unit, state in states]
