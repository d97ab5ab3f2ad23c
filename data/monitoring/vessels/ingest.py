"""Taking positions in: each vessel and time stored once, the last position cached on the vessel, and the
out-of-zone alerts it calls for; ``receive`` is the one path of the endpoint, the pull job and the demo."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.alerts.events import published
from data.models import Alert, Vessel, VesselPosition, utcnow
from data.monitoring.vessels.alerts import MOORED, OUT_OF_ZONE, ensure_alert
from data.monitoring.vessels.messages import PositionMessage, Problem, first_per_key, latest_by_vessel, parse_batch
from data.monitoring.vessels.zones import Zone, in_allowed_zone, load_zones

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)
API_CHANNEL = "vessels"  # the channel of the API keys that may post positions (data.accounts.apikeys)


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0  # the same vessel and time again: a retried batch or a relayed copy
    vessels_created: int = 0
    rejected: list[Problem] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"ok": True, "stored": self.stored, "duplicates": self.duplicates,
                "vessels_created": self.vessels_created, "rejected": [p.as_json() for p in self.rejected],
                "alerts": [a.id for a in self.alerts]}


def _vessels_for(session: Session, messages: list[PositionMessage], is_demo: bool) -> tuple[dict[str, Vessel], int]:
    """The batch's vessels by code and how many were created; a name any message gives fills a missing one."""
    names = {m.vessel: m.name for m in messages if m.name}
    codes = {m.vessel for m in messages}
    found = {v.code: v for v in session.scalars(select(Vessel).where(Vessel.code.in_(codes)))}
    new = codes - set(found)
    for code in new:
        found[code] = Vessel(code=code, is_demo=is_demo, created_at=utcnow())
        session.add(found[code])
    for code, name in names.items():
        found[code].name = found[code].name or name
    session.flush()
    return found, len(new)


def _stored_keys(session: Session, vessels: dict[str, Vessel],
                 messages: list[PositionMessage]) -> set[tuple[int, datetime]]:
    """(vessel id, time) of the batch's messages already stored: one query over the batch's time span."""
    times = [m.at for m in messages]
    rows = session.execute(select(VesselPosition.vessel_id, VesselPosition.at).where(
        VesselPosition.vessel_id.in_([v.id for v in vessels.values()]),
        VesselPosition.at >= min(times), VesselPosition.at <= max(times)))
    return {(vessel_id, at) for vessel_id, at in rows}


def _cache_position(vessel: Vessel, message: PositionMessage, zones: Sequence[Zone]) -> None:
    vessel.last_at, vessel.last_lat, vessel.last_lon = message.at, message.lat, message.lon
    vessel.last_speed_kn, vessel.last_heading, vessel.nav_status = message.speed_kn, message.heading, message.nav_status
    vessel.last_in_zone = in_allowed_zone(message.lat, message.lon, zones, vessel.zone_code)


def _store(runtime: Runtime, messages: list[PositionMessage], now: datetime, is_demo: bool) -> IngestResult:
    result = IngestResult()
    unique = first_per_key(messages)
    result.duplicates = len(messages) - len(unique)
    if not unique:
        return result
    with runtime.session() as session:
        vessels, result.vessels_created = _vessels_for(session, unique, is_demo)
        known = _stored_keys(session, vessels, unique)
        fresh = [m for m in unique if (vessels[m.vessel].id, m.at) not in known]
        result.duplicates += len(unique) - len(fresh)
        session.add_all(VesselPosition(vessel_id=vessels[m.vessel].id, at=m.at, lat=m.lat, lon=m.lon,
                                       speed_kn=m.speed_kn, heading=m.heading, received_at=now) for m in fresh)
        result.stored = len(fresh)
        zones = load_zones(session)
        for code, message in latest_by_vessel(fresh).items():
            vessel = vessels[code]
            if vessel.last_at is not None and message.at <= vessel.last_at:
                continue  # a late message fills the track; it must not move the boat back in time
            _cache_position(vessel, message, zones)
            if vessel.last_in_zone is False and vessel.nav_status != MOORED:
                alert = ensure_alert(session, vessel, OUT_OF_ZONE, now, runtime.settings.tz)
                if alert is not None:
                    result.alerts.append(alert)
    return result


def ingest(runtime: Runtime, messages: list[PositionMessage], *, now: datetime | None = None,
           is_demo: bool = False) -> IngestResult:
    """Store the messages (each vessel and time once), refresh each vessel's last position, raise the
    out-of-zone alerts its new position calls for, commit, then announce the alerts to every screen."""
    now = now or utcnow()
    try:
        result = _store(runtime, messages, now, is_demo)
    except IntegrityError:
        # Another worker stored the same message or created the same vessel between our read and our
        # commit; a second pass sees its rows and skips them.
        log.info("vessel ingest: concurrent write, retrying the batch once")
        result = _store(runtime, messages, now, is_demo)
    for alert in result.alerts:
        published(runtime, alert, "raised")
    return result


def receive(runtime: Runtime, raw: object, *, now: datetime | None = None, is_demo: bool = False) -> IngestResult:
    """The one intake path of a decoded JSON batch: the endpoint, the pull job and the demo fleet."""
    now = now or utcnow()
    batch = parse_batch(raw, now, runtime.settings.tz)
    result = ingest(runtime, batch.messages, now=now, is_demo=is_demo)
    result.rejected = batch.problems
    if result.stored:  # after the commit: maps redraw the boats (dashboard/api/live.py forwards the topic)
        runtime.bus.publish("vessels", {"stored": result.stored})
    return result
