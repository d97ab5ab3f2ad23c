"""KPI feeds: pull indicator values from HTTP endpoints on a schedule, through the import's checks.

One job, ``indicators.pull_feeds`` (every ``IOC_INDICATOR_FEEDS_EVERY_S``), reads each URL of
``IOC_INDICATOR_FEEDS``. An endpoint answers the import template (data.kpis.imports.template) as CSV, or as
JSON: a list of objects with the template's keys, or ``{"values": [...]}``. Each answer is one
``ImportRun`` with its per-row report; an unchanged answer writes nothing. An endpoint that is down or
answers something else is logged and skipped, and the other feeds are still pulled.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from data.core.errors import InvalidInput
from data.core.feeds import FeedError, fetch
from data.core.jobs import register
from data.core.tabular import decode, read_table
from data.kpis.imports.template import import_frame

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class FeedPull:
    """What one pull of one feed did; ``error`` says why nothing was read."""

    url: str
    run_id: int | None = None
    rows: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    skipped: int = 0
    error: str | None = None


def json_table(content: bytes) -> pd.DataFrame:
    """A JSON answer as a table of strings: a list of rows, or an object holding one under ``values``."""
    try:
        parsed: Any = json.loads(decode(content))
    except ValueError as exc:
        raise FeedError(f"JSON không hợp lệ ({exc})") from None
    rows = parsed.get("values") if isinstance(parsed, dict) else parsed
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise FeedError("JSON phải là một danh sách dòng, hoặc {\"values\": [...]}")
    frame = pd.DataFrame.from_records(rows)
    return frame.astype(object).where(frame.notna(), "").astype(str)


def feed_table(content: bytes) -> pd.DataFrame:
    """JSON when the answer starts like JSON, else CSV (the delimiter sniffed, as for uploads)."""
    if content.lstrip()[:1] in (b"[", b"{"):
        return json_table(content)
    try:
        return read_table(content, "feed.csv")
    except InvalidInput as exc:
        raise FeedError(exc.message) from None


def pull_feed(runtime: Runtime, url: str) -> FeedPull:
    """Fetch one feed and import what it answers; a feed that cannot be read writes nothing."""
    result = FeedPull(url)
    try:
        content = fetch(url)
        frame = feed_table(content)
    except FeedError as exc:
        result.error = str(exc)
        log.warning("indicator feed %s: %s", url, exc)
        return result
    summary = import_frame(runtime, frame, name=url, sha256=hashlib.sha256(content).hexdigest(), dry_run=False)
    v = summary.validation
    result.run_id, result.rows, result.skipped = summary.run_id, v.rows_total, v.rows_skipped
    result.new, result.revised, result.unchanged = summary.new, summary.revised, summary.unchanged
    if v.rows_skipped:
        log.warning("indicator feed %s: %s of %s rows skipped (import #%s: %s)", url, v.rows_skipped, v.rows_total,
                    summary.run_id, ", ".join(f"{k} ×{n}" for k, n in v.counts().items()))
    return result


@register("indicators.pull_feeds", every_s=3600, every_setting="indicator_feeds_every_s")
def pull_feeds(runtime: Runtime) -> list[FeedPull]:
    """Every configured feed, each on its own: one that fails does not stop the others."""
    return [pull_feed(runtime, url) for url in runtime.settings.indicator_feeds]
