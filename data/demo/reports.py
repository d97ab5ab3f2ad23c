"""The report generator: any number of plausible report rows (with history and ratings), chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from data.demo.assignment import Assigner
from data.demo.context import ReportContext
from data.demo.deadlines import Deadlines, public_holidays
from data.demo.draws import Chunk
from data.demo.history import rating_row, report_events
from data.demo.lifecycle import RATE, Lives, plan_lives, scores
from data.demo.places import M_PER_DEG_LAT
from data.demo.reporters import ReporterNames
from data.demo.seasons import sample_times
from data.demo.texts import ReportTexts
from data.demo.times import local_calendar, to_datetimes
from data.models import utcnow


@dataclass
class ReportBatch:
    """Report rows ready for ``bulk_insert(session, Report, rows)``, with history and ratings by code."""

    reports: list[dict[str, Any]]
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)


class ReportFactory:
    """Turns chunks of random draws into report rows, histories and ratings.

    Numpy does the arithmetic of a whole chunk (times, deadlines, lives); the Python loop only
    assembles rows from cached texts. Times are seconds after ``base`` (naive UTC).
    """

    def __init__(
        self,
        ctx: ReportContext,
        base: datetime,
        now: datetime,
        off: frozenset[date],
        *,
        is_demo: bool = True,
        history: bool = True,
        first_seq: dict[int, int] | None = None,
    ) -> None:
        self.ctx, self.base, self.is_demo, self.history = ctx, base, is_demo, history
        self.now = (now - base).total_seconds()
        self.seq = dict(first_seq or {})  # local year → last sequence number used in tracking codes
        self.deadlines = Deadlines(off)
        self.names = ReporterNames(ctx.names)
        self.texts = ReportTexts(ctx)
        self.assigner = Assigner(ctx)
        self._specs = {
            k: np.array([getattr(c, k) for c in ctx.categories], dtype=float)
            for k in ("sla_days", "emergency_hours", "emergency_share")
        }
        self._place_lat = np.array([p.lat for p in ctx.places])
        self._place_lon = np.array([p.lon for p in ctx.places])

    def batch(self, seconds: np.ndarray, rng: np.random.Generator) -> ReportBatch:
        """Reports made ``seconds`` (sorted) after ``base``, with their lives cut at ``now``."""
        ctx = self.ctx
        years, months, hours, days = local_calendar(self.base + ctx.utc_offset, seconds)
        chunk = Chunk(ctx, months, hours, rng)
        cat = chunk.category
        emergency = chunk.uniform[:, 0] < self._specs["emergency_share"][cat]
        created = seconds.astype(float)
        allowed = self.deadlines.allowed(
            days, self._specs["sla_days"][cat].astype(np.int64), self._specs["emergency_hours"][cat], emergency
        )
        draws = chunk.draws()
        lives = plan_lives(created, allowed, self.now, draws)
        times = self._times(created, allowed, lives)
        lat, lon = self._positions(chunk)
        batch, handlers = ReportBatch([]), []
        columns = (
            years.tolist(),
            hours.tolist(),
            cat.tolist(),
            chunk.template.tolist(),
            chunk.place.tolist(),
            lives.statuses(),
            draws.outcome.tolist(),
            np.where(emergency, "emergency", "normal").tolist(),
            np.where(lives.last == RATE, scores(chunk.uniform[:, 8], lives.late), 0).tolist(),
        )
        for i, (year, hour, c, t, p, status, outcome, urgency, rating) in enumerate(zip(*columns, strict=True)):
            self.seq[year] = self.seq.get(year, 0) + 1
            row, handler = self._row(chunk, i, c, t, p, hour, status, outcome)
            row |= {
                "tracking_code": f"{ctx.prefix}-{year}-{self.seq[year]:06d}",
                "lat": lat[i],
                "lon": lon[i],
                "urgency": urgency,
                "rating": rating or None,
                "created_at": times[0][i],
                "processed_at": times[0][i],  # generated already classified and routed
                "expected_at": times[1][i],
                "updated_at": times[2][i],
                "resolved_at": times[3][i],
                "closed_at": times[4][i],
            }
            batch.reports.append(row)
            handlers.append(handler)
        if self.history:
            self._add_histories(batch, handlers, lives, chunk)
        return batch

    def _times(self, created: np.ndarray, allowed: np.ndarray, lives: Lives) -> list[list[Any]]:
        """Created, expected, updated (the last stage reached), resolved and closed times, as datetimes."""
        last_time = np.take_along_axis(lives.times, np.clip(lives.last, 0, 9)[:, None], axis=1)[:, 0]
        updated = np.where(lives.last >= 0, last_time, created)
        return [to_datetimes(self.base, a) for a in (created, created + allowed, updated, lives.resolved, lives.closed)]

    def _positions(self, chunk: Chunk) -> tuple[list[float], list[float]]:
        """Latitudes and longitudes: each report's place moved by its jitter in metres."""
        lat = np.round(self._place_lat[chunk.place] + chunk.jitter[:, 0] / M_PER_DEG_LAT, 6).tolist()
        lon_scale = M_PER_DEG_LAT * np.cos(np.radians(self._place_lat[chunk.place]))
        lon = np.round(self._place_lon[chunk.place] + chunk.jitter[:, 1] / lon_scale, 6).tolist()
        return lat, lon

    def _row(
        self, chunk: Chunk, i: int, c: int, t: int, p: int, hour: int, status: str, outcome: int
    ) -> tuple[dict[str, Any], int | None]:
        """The columns of one report that the row loop decides (the rest come from numpy), and its handler."""
        ctx = self.ctx
        spec, place, u, pick = ctx.categories[c], ctx.places[p], chunk.u[i], chunk.pick[i]
        handler = self.assigner.handler(spec, spec.templates[t], place, hour, u[5])
        handler = self.assigner.referred_or(handler, outcome, pick[5])
        agency = self.assigner.holder(status, handler)
        title, description, search_text = self.texts.described(c, t, place.street, pick[0])
        channel = ctx.channels[chunk.channel[i]]
        name, phone, email = self.names.reporter(channel, u, pick, chunk.phone[i])
        published, result_text = self.texts.outcome(c, t, status, agency, u[4])
        return {
            "channel": channel,
            "external_id": None,
            "idempotency_key": None,
            "category_id": spec.id,
            "agency_id": agency,
            "admin_unit_id": place.admin_unit_id,
            "status": status,
            "title": title,
            "description": description,
            "search_text": search_text,
            "address": f"Số {pick[1] % 240 + 1} {place.street}, {place.area}",
            "reporter_name": name,
            "reporter_phone": phone,
            "reporter_email": email,
            "published": published,
            "result_text": result_text,
            "is_demo": self.is_demo,
            # As intake and processing would have left them: handled under the citizen's category.
            "publish_consent": True,
            "attributes": None,
            "suggested_category_id": spec.id,
            "classification_confidence": None,
            "category_confirmed": status != "received",
            "duplicate_of_id": None,
            "me_too_count": 0,
            "reopen_count": 1 if status == "reopened" else 0,
            "escalated_at": None,
        }, handler

    def _add_histories(self, batch: ReportBatch, handlers: list[int | None], lives: Lives, chunk: Chunk) -> None:
        stage_times = to_datetimes(self.base, lives.times)
        for i, (row, handler) in enumerate(zip(batch.reports, handlers, strict=True)):
            events = report_events(self.ctx, row, lives.steps(i), stage_times[i], handler, chunk.u[i][9])
            batch.events[row["tracking_code"]] = events
            if row["rating"] is not None:
                batch.ratings[row["tracking_code"]] = rating_row(row, events)


def generate_report_batches(
    n: int,
    ctx: ReportContext,
    *,
    now: datetime | None = None,
    seed: int = 1,
    chunk_size: int = 10_000,
    history: bool = True,
    is_demo: bool = True,
    first_seq: dict[int, int] | None = None,
) -> Iterator[ReportBatch]:
    """A year of ``n`` reports ending ``now``, oldest first, in chunks (with history when asked).

    Tracking codes run ``PREFIX-YEAR-000001`` upwards per local year; ``first_seq`` gives the last
    number already used per year when the table is not empty.
    """
    now = now or utcnow()
    start = now - timedelta(days=365)
    off = public_holidays(start.year, now.year + 1)
    rng = np.random.default_rng(seed)
    seconds = sample_times(n, start + ctx.utc_offset, now + ctx.utc_offset, off, rng)
    factory = ReportFactory(ctx, start, now, off, is_demo=is_demo, history=history, first_seq=first_seq)
    for lo in range(0, n, chunk_size):
        yield factory.batch(seconds[lo : lo + chunk_size], rng)


def generate_reports(
    n: int,
    ctx: ReportContext,
    *,
    now: datetime | None = None,
    seed: int = 1,
    chunk_size: int = 10_000,
    is_demo: bool = True,
    first_seq: dict[int, int] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Report rows only (no history), in chunks ready for ``bulk_insert(session, Report, rows)``."""
    for batch in generate_report_batches(
        n, ctx, now=now, seed=seed, chunk_size=chunk_size, history=False, is_demo=is_demo, first_seq=first_seq
    ):
        yield batch.reports
