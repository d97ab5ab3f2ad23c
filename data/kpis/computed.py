"""KPIs computed from our own data: the job that measures every spec of ``data.kpis.registry`` and
stores what changed (report KPIs per city, agency and unit; camera availability)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.core.jobs import register
from data.kpis.alerts import raise_threshold_alerts
from data.kpis.registry import COMPUTED_KPIS
from data.kpis.spec import KpiSpec, PassInputs
from data.kpis.status import CITY, Scope, period_of, plan_revision
from data.models import Indicator, IndicatorValue, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)


def _indicator(session: Session, spec: KpiSpec) -> int:
    """The id of a computed indicator, created on first use (a city may edit its target afterwards)."""
    found = session.scalar(select(Indicator.id).where(Indicator.code == spec.code))
    if found is not None:
        return found
    indicator = Indicator(code=spec.code, name=spec.name, name_en=spec.name_en, theme=spec.theme, unit=spec.unit,
                          frequency=spec.frequency, direction=spec.direction, target=spec.target, source="IOC",
                          sort_order=10)
    session.add(indicator)
    session.flush()
    return indicator.id


def _scope_of(admin_unit_id: int | None, agency_id: int | None) -> Scope:
    if admin_unit_id is not None:
        return ("unit", admin_unit_id)
    return ("agency", agency_id) if agency_id is not None else CITY


def _store(session: Session, computed: dict[tuple[int, Scope], float], zero_ids: set[int], label: str,
           start: date, source: str) -> int:
    """Write what changed since the last pass (old rows kept, superseded); returns the values written."""
    ids = {indicator_id for indicator_id, _ in computed} | zero_ids
    existing = {
        (r.indicator_id, _scope_of(r.admin_unit_id, r.agency_id)): (r.id, r.value)
        for r in session.execute(
            select(IndicatorValue.id, IndicatorValue.indicator_id, IndicatorValue.admin_unit_id,
                   IndicatorValue.agency_id, IndicatorValue.value)
            .where(IndicatorValue.indicator_id.in_(ids), IndicatorValue.period == label,
                   IndicatorValue.place.is_(None), IndicatorValue.superseded.is_(False)))
    }
    # A count that had a value and now has no reports at all (re-routed elsewhere) is 0, not gone.
    computed = {key: 0.0 for key in existing if key[0] in zero_ids} | computed
    keep, supersede, new = plan_revision(existing, computed)
    now = utcnow()
    if keep:  # unchanged values were true as of now: their freshness says so
        session.execute(update(IndicatorValue).where(IndicatorValue.id.in_(keep)).values(received_at=now))
    if supersede:
        session.execute(update(IndicatorValue).where(IndicatorValue.id.in_(supersede)).values(superseded=True))
    targets = dict(session.execute(select(Indicator.id, Indicator.target).where(Indicator.id.in_(ids))).all())
    bulk_insert(session, IndicatorValue, [
        {"indicator_id": indicator_id, "period": label, "period_start": start,
         "admin_unit_id": scope[1] if scope[0] == "unit" else None,
         "agency_id": scope[1] if scope[0] == "agency" else None, "value": float(value),
         "target": targets.get(indicator_id), "source": source, "received_at": now, "superseded": False,
         "place": None, "is_demo": False}
        for (indicator_id, scope), value in new.items()
    ])
    return len(new)


_SEEN_GENERATION: dict[str, int] = {}  # embedded: the reports generation the KPIs were last computed at


@register("kpi.follow_reports", every_s=60)
def follow_reports(runtime: Runtime) -> int | None:
    """Recompute the report KPIs within a minute of reports changing, and not at all while they do not.

    The answer cache's *reports generation* moves with every committed write to reports; the generation
    last computed at is kept in Redis (shared by the job workers) or in this process when embedded.
    Returns what ``compute_report_kpis`` wrote, or None when nothing changed."""
    generation = runtime.answers.generation()
    key = runtime.key("kpi", "reports-generation")
    seen = (int(runtime.redis.get(key) or -1) if runtime.redis is not None
            else _SEEN_GENERATION.get(key, -1))
    if generation == seen:
        return None
    written = compute_report_kpis(runtime)
    assert isinstance(written, int)  # the job registry types jobs loosely
    if runtime.redis is not None:
        runtime.redis.set(key, generation)
    else:
        _SEEN_GENERATION[key] = generation
    return written


def _groups(specs: Iterable[KpiSpec], this_month: bool) -> dict[tuple[str, str], list[KpiSpec]]:
    """The specs this pass measures, by (frequency, source): each group is stored in one go."""
    groups: dict[tuple[str, str], list[KpiSpec]] = {}
    for spec in specs:
        if spec.now_only and not this_month:
            continue
        groups.setdefault((spec.frequency, spec.source), []).append(spec)
    return groups


def _measure(session: Session, specs: list[KpiSpec],
             inputs: PassInputs) -> tuple[dict[tuple[int, Scope], float], set[int]]:
    """(value per indicator and scope, the ids of counts) of some specs; scopes with no value are left out."""
    computed: dict[tuple[int, Scope], float] = {}
    zero_ids: set[int] = set()
    for spec in specs:
        indicator_id = _indicator(session, spec)
        zero_ids |= {indicator_id} if spec.count else set()
        computed |= {(indicator_id, scope): float(value) for scope, value in spec.measure(inputs).items()
                     if value is not None}
    return computed, zero_ids


@register("kpi.compute_reports", every_s=600)
def compute_report_kpis(runtime: Runtime, month_start: datetime | None = None) -> int:
    """Recompute this month's computed KPIs (city, agency, unit) and today's daily ones (camera availability).

    A changed value supersedes the earlier one, which is kept; values that turn red raise alerts.
    """
    now = utcnow()
    label, start = period_of((month_start or now).date(), "month")
    begin = datetime(start.year, start.month, 1)
    periods: dict[str, tuple[str, date]] = {
        "month": (label, start),
        "day": period_of(now.replace(tzinfo=UTC).astimezone(runtime.settings.tz).date(), "day"),
    }
    written = 0
    measured: set[int] = set()
    with runtime.session() as session:
        inputs = PassInputs(session, now, begin, (begin + timedelta(days=32)).replace(day=1))
        for (frequency, source), specs in _groups(COMPUTED_KPIS, inputs.this_month).items():
            computed, zero_ids = _measure(session, specs, inputs)
            written += _store(session, computed, zero_ids, *periods[frequency], source)
            measured |= {indicator_id for indicator_id, _ in computed}
    runtime.bus.publish("kpis", {"period": label, "written": written})
    if written:  # unchanged values cannot newly cross a threshold
        raise_threshold_alerts(runtime, measured)
    return written
