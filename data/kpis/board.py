"""The leaders' KPI board from the database: every card in two queries, and one indicator's detail.

City-wide values are the rows with no admin unit, no agency and no place; revisions are skipped
(``superseded``). The arithmetic (status, changes, sparklines) is in ``data.kpis.status``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from data.kpis.status import KpiCard, KpiPoint, KpiSpec, build_card, history_start, ranked
from data.models import AdminUnit, Agency, Indicator, IndicatorValue

V = IndicatorValue
CURRENT = V.superseded.is_(False)
CITY_WIDE = and_(V.admin_unit_id.is_(None), V.agency_id.is_(None), V.place.is_(None), CURRENT)
POINT_COLUMNS = (V.indicator_id, V.period, V.period_start, V.value, V.target, V.received_at)


def spec_of(indicator: Indicator) -> KpiSpec:
    """The plain copy of a catalogue row that the pure functions take."""
    return KpiSpec(code=indicator.code, name=indicator.name, name_en=indicator.name_en, theme=indicator.theme,
                   unit=indicator.unit, frequency=indicator.frequency, direction=indicator.direction,
                   target=indicator.target, amber=indicator.amber_threshold, red=indicator.red_threshold)


def _point(row: Any) -> KpiPoint:
    return KpiPoint(period=row.period, start=row.period_start, value=row.value, target=row.target,
                    received_at=row.received_at)


def board(session: Session, today: date, grace: int = 1, indicator_ids: Sequence[int] | None = None) -> list[KpiCard]:
    """A card per indicator (in catalogue order): one query for the catalogue, one for every value."""
    query = select(Indicator).order_by(Indicator.sort_order, Indicator.code)
    if indicator_ids is not None:
        query = query.where(Indicator.id.in_(indicator_ids))
    indicators = list(session.scalars(query))
    if not indicators:
        return []
    # Each frequency needs its own window (13 months, 6 years, ...): one OR per frequency present,
    # so the lookup index (indicator_id, period_start, admin_unit_id) serves every range.
    window = or_(*(and_(Indicator.frequency == f, V.period_start >= history_start(today, f, grace))
                   for f in sorted({i.frequency for i in indicators})))
    values = select(*POINT_COLUMNS).join(Indicator, Indicator.id == V.indicator_id).where(CITY_WIDE, window)
    if indicator_ids is not None:
        values = values.where(V.indicator_id.in_([i.id for i in indicators]))
    points: dict[int, list[KpiPoint]] = defaultdict(list)
    for row in session.execute(values):
        points[row.indicator_id].append(_point(row))
    return [build_card(spec_of(i), points[i.id], today, grace) for i in indicators]


@dataclass(frozen=True)
class Breakdown:
    """Values of one period by unit, agency or place, best first; ``None`` names the city itself."""

    period: str
    rows: list[tuple[str | None, float]]


@dataclass(frozen=True)
class KpiDetail:
    spec: KpiSpec
    card: KpiCard
    series: list[KpiPoint]
    source: str | None
    owner: str | None
    by_unit: Breakdown | None
    by_agency: Breakdown | None
    places: Breakdown | None


def _newest_breakdown(session: Session, indicator_id: int, scope: ColumnElement[bool], name: Any,
                      join: tuple[Any, Any] | None, direction: str) -> Breakdown | None:
    """The newest period that has values in ``scope``, with each value named by ``name``."""
    newest = session.scalar(select(func.max(V.period_start)).where(V.indicator_id == indicator_id, CURRENT, scope))
    if newest is None:
        return None
    query = select(name, V.value, V.period).where(V.indicator_id == indicator_id, V.period_start == newest,
                                                  CURRENT, scope)
    if join is not None:
        query = query.join(*join)
    rows = session.execute(query).all()
    return Breakdown(period=rows[0].period, rows=ranked([(str(r[0]), r.value) for r in rows], direction))



def _places(session: Session, indicator_id: int, direction: str) -> Breakdown | None:
    """Other provinces' values of the newest period that has any, with the city's own for that period."""
    found = _newest_breakdown(session, indicator_id, V.place.is_not(None), V.place, None, direction)
    if found is None:
        return None
    own = session.scalar(select(V.value).where(V.indicator_id == indicator_id, V.period == found.period, CITY_WIDE))
    rows = found.rows if own is None else ranked([*found.rows, (None, own)], direction)
    return Breakdown(found.period, rows)


def series_of(session: Session, indicator_id: int) -> list[KpiPoint]:
    """An indicator's whole city-wide series, oldest first."""
    return [_point(r) for r in session.execute(
        select(*POINT_COLUMNS).where(V.indicator_id == indicator_id, CITY_WIDE).order_by(V.period_start))]


def spec_and_series(session: Session, code: str) -> tuple[KpiSpec, list[KpiPoint]] | None:
    """What the CSV export needs of an indicator, without its breakdowns; None if unknown."""
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    return None if indicator is None else (spec_of(indicator), series_of(session, indicator.id))


def detail(session: Session, code: str, today: date, grace: int = 1) -> KpiDetail | None:
    """One indicator in full: its card, whole city-wide series and newest breakdowns; None if unknown."""
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        return None
    spec = spec_of(indicator)
    series = series_of(session, indicator.id)
    direction = indicator.direction
    return KpiDetail(
        spec=spec, card=build_card(spec, series, today, grace), series=series,
        source=indicator.source, owner=indicator.owner,
        by_unit=_newest_breakdown(session, indicator.id, V.admin_unit_id.is_not(None), AdminUnit.name,
                                  (AdminUnit, AdminUnit.id == V.admin_unit_id), direction),
        by_agency=_newest_breakdown(session, indicator.id, V.agency_id.is_not(None), Agency.name,
                                    (Agency, Agency.id == V.agency_id), direction),
        places=_places(session, indicator.id, direction),
    )
