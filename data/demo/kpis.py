"""Demo KPIs: the catalogue's indicators, invented monthly and yearly series, and report KPIs from the demo reports."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.kpis.catalogue import indicator_rows
from data.kpis.status import ReportFacts, period_of, report_stats
from data.models import AdminUnit, Indicator, IndicatorValue, Report


def month_starts(last: date, count: int) -> list[date]:
    """First days of ``count`` months ending with the month of ``last``, oldest first."""
    out = []
    year, month = last.year, last.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def series_value(
    series: dict[str, Any], month: date, years_ago: float, noise: float, base: float | None = None
) -> float:
    """One month of an invented KPI series (see the catalogue's notes on ``series``)."""
    level = series["base"] if base is None else base
    if series.get("ytd"):  # year-to-date: rises through the year towards ``base`` in December
        value = level * (month.month / 12) ** 1.3 * (1 + series["noise"] * noise)
    elif series.get("additive"):
        value = level - series.get("growth", 0.0) * years_ago + series["noise"] * noise
    else:
        season = series.get("season", [1.0] * 12)[month.month - 1]
        value = level * (1 + series.get("growth", 0.0)) ** (-years_ago) * season * (1 + series["noise"] * noise)
    return round(min(series.get("max", math.inf), max(0.0, value)), series.get("decimals", 1))


def value_row(
    ind_id: int,
    period: date,
    frequency: str,
    value: float,
    target: float | None,
    source: str,
    received: datetime,
    unit_id: int | None = None,
) -> dict[str, Any]:
    """One indicator value for the period holding ``period`` (city-wide unless ``unit_id``)."""
    label, start = period_of(period, frequency)
    return {
        "indicator_id": ind_id,
        "period": label,
        "period_start": start,
        "admin_unit_id": unit_id,
        "agency_id": None,
        "value": float(value),
        "target": target,
        "source": source,
        "received_at": received,
        "superseded": False,
        "is_demo": True,
    }


def series_rows(
    spec: dict[str, Any],
    ind_id: int,
    months: list[date],
    districts: dict[str, int],
    now: datetime,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Monthly values of an invented series, city-wide and for the districts the spec lists."""
    series, rows = spec["series"], []
    for k, month in enumerate(months):
        years_ago = (len(months) - 1 - k) / 12
        received = min(now, datetime(month.year, month.month, 1) + timedelta(days=42))  # figures come ~2 weeks late
        target = spec.get("target")
        if series.get("ytd") and target is not None:
            target = round(target * month.month / 12, 1)  # the plan also accumulates through the year
        value = series_value(series, month, years_ago, float(rng.normal()))
        rows.append(value_row(ind_id, month, "month", value, target, spec["source"], received))
        for code, level in spec.get("districts", {}).items():
            if code not in districts:
                continue
            if series.get("additive"):
                v = series_value(series, month, years_ago, float(rng.normal()), base=level)
            else:  # a district's share of the city's count
                v = round(value * level * (1 + 0.1 * float(rng.normal())), series.get("decimals", 1))
            rows.append(
                value_row(ind_id, month, "month", max(0.0, v), target, spec["source"], received, districts[code])
            )
    return rows


def yearly_rows(spec: dict[str, Any], ind_id: int, this_year: int, now: datetime) -> list[dict[str, Any]]:
    """The spec's yearly values, the last one for the year before ``this_year``."""
    years = spec["years"]
    return [
        value_row(
            ind_id,
            date(this_year - len(years) + k, 1, 1),
            "year",
            value,
            spec.get("target"),
            spec["source"],
            min(now, datetime(this_year - len(years) + k + 1, 2, 15)),
        )
        for k, value in enumerate(years)
    ]


def _month_facts(session: Session, begin: datetime, end: datetime) -> dict[int | None, list[ReportFacts]]:
    facts = session.execute(
        select(Report.created_at, Report.resolved_at, Report.expected_at, Report.rating, Report.admin_unit_id).where(
            Report.created_at >= begin, Report.created_at < end
        )
    ).all()
    by_unit: dict[int | None, list[ReportFacts]] = {}
    for f in facts:
        by_unit.setdefault(f.admin_unit_id, []).append(
            ReportFacts(f.created_at, f.resolved_at, f.expected_at, f.rating)
        )
    return by_unit


def report_kpi_rows(session: Session, specs: list[tuple[dict[str, Any], int]], now: datetime) -> list[dict[str, Any]]:
    """Report KPIs month by month, city-wide and per district, from the reports in the database."""
    # The same arithmetic (data.kpis.status.report_stats) as the kpi.compute_reports job.
    first = session.scalar(select(func.min(Report.created_at)))
    if first is None or not specs:
        return []
    rows: list[dict[str, Any]] = []
    span = (now.year - first.year) * 12 + now.month - first.month + 1
    for month in month_starts(now.date(), span):
        begin = datetime(month.year, month.month, 1)
        end = (begin + timedelta(days=32)).replace(day=1)
        by_unit = _month_facts(session, begin, end)
        city = report_stats(fact for group in by_unit.values() for fact in group)
        received = min(now, end)
        for spec, ind_id in specs:
            value = getattr(city, spec["computed"])
            if value is not None:
                rows.append(value_row(ind_id, month, "month", value, spec.get("target"), spec["source"], received))
            if spec.get("geography") == "district":
                for unit_id, group in by_unit.items():
                    v = getattr(report_stats(group), spec["computed"])
                    if unit_id is not None and v is not None:
                        rows.append(
                            value_row(ind_id, month, "month", v, spec.get("target"), spec["source"], received, unit_id)
                        )
    return rows


def seed_indicators(
    session: Session, catalogue: dict[str, Any], now: datetime, rng: np.random.Generator
) -> dict[str, int]:
    """About twenty KPIs across the themes, with 24 months (or 3 years) of values."""
    bulk_insert(session, Indicator, indicator_rows(catalogue))
    ids = dict(session.execute(select(Indicator.code, Indicator.id)).all())
    districts = dict(session.execute(select(AdminUnit.code, AdminUnit.id).where(AdminUnit.level == "district")).all())
    local = now + timedelta(hours=catalogue["meta"]["utc_offset_hours"])
    last_month = (local.replace(day=1) - timedelta(days=1)).date()
    months = month_starts(last_month, 24)
    rows: list[dict[str, Any]] = []
    for spec in catalogue["indicators"]:
        if "series" in spec:
            rows += series_rows(spec, ids[spec["code"]], months, districts, now, rng)
        elif "years" in spec:
            rows += yearly_rows(spec, ids[spec["code"]], local.year, now)
    computed = [(s, ids[s["code"]]) for s in catalogue["indicators"] if "computed" in s]
    rows += report_kpi_rows(session, computed, now)
    if rows:
        bulk_insert(session, IndicatorValue, rows)
    return {"indicators": len(ids), "indicator_values": len(rows)}
