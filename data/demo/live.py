"""The live demo: the ``demo.new_report`` job sends one plausible report every 45 s so the wall stays alive."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.jobs import register
from data.demo.context import load_report_context
from data.demo.deadlines import public_holidays
from data.demo.reports import ReportFactory
from data.intake import Submission, submit
from data.models import Category, Channel, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime


def make_live_submission(session: Session, now: datetime, rng: np.random.Generator) -> Submission | None:
    """One plausible report as a citizen would send it ``now``; None without a demo catalogue."""
    if session.scalar(select(Category.id).where(Category.is_demo).limit(1)) is None:
        return None
    ctx = load_report_context(session, per_anchor=3, seed=int(rng.integers(1 << 30)))  # fresh places each time
    if not ctx.places or not ctx.categories:
        return None
    year = (now + ctx.utc_offset).year
    factory = ReportFactory(ctx, now, now, public_holidays(year, year + 1), first_seq={year: 0})
    row = factory.batch(np.zeros(1, dtype=np.int64), rng).reports[0]
    category = next(c.code for c in ctx.categories if c.id == row["category_id"])
    return Submission(
        channel=Channel(row["channel"]), description=row["description"], title=row["title"], category_code=category,
        lat=float(row["lat"]), lon=float(row["lon"]), address=row["address"], reporter_name=row["reporter_name"],
        reporter_phone=row["reporter_phone"], reporter_email=row["reporter_email"], urgency=row["urgency"],
        is_demo=True,
    )


@register("demo.new_report", every_s=45, demo_only=True)
def new_report(runtime: Runtime) -> int | None:
    """Demo job: a new report arrives through the real intake path (checked, committed, processed, announced)."""
    with runtime.session() as session:
        submission = make_live_submission(session, utcnow(), np.random.default_rng())
    if submission is None:
        return None
    return submit(runtime, submission).report_id
