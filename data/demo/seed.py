"""Seeding an empty database with the Huế demo: each step inserts one kind of row and returns what the next needs."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.catalogue import load_catalogue
from data.core.db import bulk_insert
from data.core.settings import Settings
from data.demo.agencies import seed_agencies
from data.demo.alerts import seed_alerts
from data.demo.cameras import seed_cameras
from data.demo.categories import seed_categories
from data.demo.context import ReportContext, load_report_context
from data.demo.kpis import seed_indicators
from data.demo.map_features import seed_map_features, seed_sensor_history
from data.demo.reports import generate_report_batches
from data.demo.routing import seed_rules
from data.demo.units import district_shapes, seed_units
from data.demo.vessels import seed_vessels
from data.models import Agency, Rating, Report, ReportEvent, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)


def has_data(session: Session) -> bool:
    """True when the database already holds reports or agencies: demo data must not mix in."""
    return any(session.scalar(select(model.id).limit(1)) is not None for model in (Report, Agency))


def seed_demo(
    runtime_or_session: Runtime | Session, settings: Settings, *, now: datetime | None = None, seed: int = 7
) -> dict[str, Any]:
    """Seed an empty database with demo data for Huế; ``{}`` when demo is off or data exists.

    Given a Runtime it commits one transaction; given a Session it only flushes (the caller commits).
    """
    if not settings.demo:
        return {}
    now = now or utcnow()
    if isinstance(runtime_or_session, Session):
        return _seed(runtime_or_session, settings, now, seed)
    with runtime_or_session.session() as session:
        return _seed(session, settings, now, seed)


def _seed(session: Session, settings: Settings, now: datetime, seed: int) -> dict[str, Any]:
    if has_data(session):
        log.info("demo data not seeded: the database already holds reports or agencies")
        return {}
    started = time.perf_counter()
    catalogue = load_catalogue()
    rng = np.random.default_rng(seed)
    summary: dict[str, Any] = {"admin_units": seed_units(session, catalogue)}
    agencies = seed_agencies(session, catalogue)
    categories = seed_categories(session, catalogue, agencies)
    summary |= {"agencies": len(agencies), "categories": len(categories)}
    summary["routing_rules"] = seed_rules(session, catalogue, agencies, categories)
    ctx = load_report_context(session, catalogue)
    summary |= seed_reports(session, ctx, settings.demo_reports, now=now, seed=seed)
    shapes = district_shapes(session)
    summary["map_features"] = seed_map_features(session, catalogue, shapes, now, rng)
    summary["cameras"] = seed_cameras(session, catalogue, settings.demo_cameras, shapes, ctx.places)
    summary |= seed_indicators(session, catalogue, now, rng)
    summary["alerts"] = seed_alerts(session, catalogue, now, settings.tz)
    summary["vessels"] = seed_vessels(session)
    summary["sensor_readings"] = seed_sensor_history(session, now, np.random.default_rng([seed, 7]), settings.tz)
    session.flush()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def report_ids(session: Session, codes: list[str]) -> dict[str, int]:
    """Ids of the reports with these tracking codes (COPY returns none)."""
    ids: dict[str, int] = {}
    for lo in range(0, len(codes), 2000):  # SQLite caps the parameters of one statement
        query = select(Report.tracking_code, Report.id).where(Report.tracking_code.in_(codes[lo : lo + 2000]))
        ids.update(session.execute(query).all())
    return ids


def seed_reports(session: Session, ctx: ReportContext, n: int, *, now: datetime, seed: int) -> dict[str, int]:
    """Insert ``n`` reports with their history and ratings, chunk by chunk (bulk inserts)."""
    counts = {"reports": 0, "report_events": 0, "ratings": 0}
    for batch in generate_report_batches(n, ctx, now=now, seed=seed, chunk_size=5000):
        bulk_insert(session, Report, batch.reports)
        ids = report_ids(session, [r["tracking_code"] for r in batch.reports])
        events = [{"report_id": ids[code], **e} for code, history in batch.events.items() for e in history]
        ratings = [{"report_id": ids[code], **r} for code, r in batch.ratings.items()]
        if events:
            bulk_insert(session, ReportEvent, events)
        if ratings:
            bulk_insert(session, Rating, ratings)
        counts["reports"] += len(ids)
        counts["report_events"] += len(events)
        counts["ratings"] += len(ratings)
    return counts
