"""The live demo: the ``demo.new_report`` job adds one plausible report every 45 s so the wall stays alive."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data.db import bulk_insert
from data.demo.context import load_report_context
from data.demo.deadlines import public_holidays
from data.demo.reports import ReportFactory
from data.jobs import register
from data.models import Category, Report, ReportEvent, utcnow

if TYPE_CHECKING:
    from data.runtime import Runtime


def next_seq(session: Session, prefix: str, year: int) -> int:
    """The last sequence number used in ``PREFIX-YEAR-nnnnnn`` codes (longest, then largest)."""
    code = session.scalar(
        select(Report.tracking_code)
        .where(Report.tracking_code.like(f"{prefix}-{year}-%"))
        .order_by(func.length(Report.tracking_code).desc(), Report.tracking_code.desc())
        .limit(1)
    )
    return int(code.rsplit("-", 1)[1]) if code else 0


def make_live_report(session: Session, now: datetime, rng: np.random.Generator) -> dict[str, Any] | None:
    """Insert one plausible report received ``now`` (with its first event); None without a demo catalogue."""
    if session.scalar(select(Category.id).where(Category.is_demo).limit(1)) is None:
        return None
    ctx = load_report_context(session, per_anchor=3, seed=int(rng.integers(1 << 30)))  # fresh places each time
    if not ctx.places or not ctx.categories:
        return None
    year = (now + ctx.utc_offset).year
    last = next_seq(session, ctx.prefix, year)
    factory = ReportFactory(ctx, now, now, public_holidays(year, year + 1), first_seq={year: last})
    batch = factory.batch(np.zeros(1, dtype=np.int64), rng)
    row, code = batch.reports[0], batch.reports[0]["tracking_code"]
    row["id"] = session.scalar(insert(Report).returning(Report.id), row)
    bulk_insert(session, ReportEvent, [{"report_id": row["id"], **e} for e in batch.events[code]])
    row["category"] = next(c.code for c in ctx.categories if c.id == row["category_id"])
    return row


@register("demo.new_report", every_s=45, demo_only=True)
def new_report(runtime: Runtime) -> int | None:
    """Demo job: a new report arrives, as if from intake, and is announced on the bus."""
    with runtime.session() as session:
        row = make_live_report(session, utcnow(), np.random.default_rng())
    if row is None:
        return None
    runtime.bus.publish(
        "reports",
        {
            "id": row["id"],
            "tracking_code": row["tracking_code"],
            "category": row["category"],
            "lat": row["lat"],
            "lon": row["lon"],
        },
    )
    return int(row["id"])
