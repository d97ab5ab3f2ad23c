"""Pulled feeds (``IOC_VESSEL_FEEDS``): each fetched and taken in on its own, so one that fails stops none."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data.core.errors import InvalidInput
from data.core.feeds import FeedError, fetch
from data.core.jobs import register
from data.monitoring.vessels.ingest import receive

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class FeedPull:
    url: str
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None


def pull_feed(runtime: Runtime, url: str) -> FeedPull:
    """Fetch one feed (the endpoint's JSON body) and take it in; a feed that cannot be read writes nothing."""
    pull = FeedPull(url)
    try:
        raw = json.loads(fetch(url))
        result = receive(runtime, raw)
    except (FeedError, ValueError, InvalidInput) as exc:  # json's errors are ValueErrors
        pull.error = exc.message if isinstance(exc, InvalidInput) else str(exc)
        log.warning("vessel feed %s: %s", url, pull.error)
        return pull
    pull.stored, pull.duplicates, pull.rejected = result.stored, result.duplicates, len(result.rejected)
    if result.rejected:
        first = result.rejected[0]
        log.warning("vessel feed %s: %d rows refused, first: #%d %s: %s", url, pull.rejected, first.row,
                    first.field, first.message)
    return pull


@register("vessels.pull_feeds", every_s=60, every_setting="vessel_feeds_every_s")
def pull_feeds(runtime: Runtime) -> list[FeedPull]:
    """Every configured feed, each on its own: one that fails does not stop the others."""
    return [pull_feed(runtime, url) for url in runtime.settings.vessel_feeds]
