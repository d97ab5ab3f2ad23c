"""Fishing-vessel monitoring (giám sát tàu cá): AIS-like position reports in, tracks kept, the last
position cached on the vessel, and an alert when a vessel leaves its allowed zone or goes silent.

A message is ``{"vessel": "TTH-90123-TS", "at": ISO time, "lat": .., "lon": .., "speed_kn": ..,
"heading": .., "name": .., "nav_status": "underway"|"fishing"|"anchored"|"moored"}`` (the last four
optional). Three intakes share ``receive``: ``POST /api/vessels/positions`` (dashboard/api/vessels.py),
the ``vessels.pull_feeds`` job (``IOC_VESSEL_FEEDS``) and the demo's simulated fleet. A batch keeps its
good rows and reports the bad ones by row number: a shore station relaying a hundred boats must not lose
ninety-nine positions to one garbled line. A vessel not yet registered is created from its first message
(a boat at sea is worth seeing before its paperwork is entered).

Allowed zones are ``map_features`` of layer ``fishing_zone`` (the polygon in ``properties.geometry``,
``lat``/``lon`` its centroid); a vessel with a ``zone_code`` must stay in that zone, one without in any.
Alerts (kind ``vessel``) are one per vessel and reason while open: ``out_of_zone`` when its latest
position lies outside, ``silent`` (job ``vessels.check_silent``) when it has not reported for
``IOC_VESSEL_SILENT_AFTER_MIN`` while not moored. The owner's phone never goes into an alert or the map.

Where things live: ``messages`` (row-by-row validation, pure), ``zones``, ``ingest`` (``receive``),
``alerts`` (states, and the out-of-zone and silent alerts), ``feeds`` (the pull job), ``tracks``.
"""

from __future__ import annotations

from data.monitoring.vessels.alerts import (
    KIND,
    MOORED,
    OUT_OF_ZONE,
    SILENT,
    STATES,
    alert_text,
    check_silent,
    ensure_alert,
    silenced,
    vessel_state,
)
from data.monitoring.vessels.feeds import FeedPull, pull_feed, pull_feeds
from data.monitoring.vessels.ingest import API_CHANNEL, IngestResult, ingest, receive
from data.monitoring.vessels.messages import (
    FIELDS,
    MAX_BATCH,
    Batch,
    PositionMessage,
    Problem,
    error_text,
    first_per_key,
    latest_by_vessel,
    parse_batch,
)
from data.monitoring.vessels.tracks import Track, tracks
from data.monitoring.vessels.zones import ZONE_LAYER, Zone, in_allowed_zone, load_zones, upsert_zone

__all__ = [
    "API_CHANNEL",
    "FIELDS",
    "KIND",
    "MAX_BATCH",
    "MOORED",
    "OUT_OF_ZONE",
    "SILENT",
    "STATES",
    "ZONE_LAYER",
    "Batch",
    "FeedPull",
    "IngestResult",
    "PositionMessage",
    "Problem",
    "Track",
    "Zone",
    "alert_text",
    "check_silent",
    "ensure_alert",
    "error_text",
    "first_per_key",
    "in_allowed_zone",
    "ingest",
    "latest_by_vessel",
    "load_zones",
    "parse_batch",
    "pull_feed",
    "pull_feeds",
    "receive",
    "silenced",
    "tracks",
    "upsert_zone",
    "vessel_state",
]
