"""Each vessel's recent positions: the map's polylines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import VesselPosition

Track = list[tuple[float, float]]  # (lat, lon), oldest first


def tracks(session: Session, since: datetime, vessel_ids: Sequence[int] | None = None) -> dict[int, Track]:
    """Each vessel's (lat, lon) positions since ``since``, oldest first: the map's polylines."""
    query = (select(VesselPosition.vessel_id, VesselPosition.lat, VesselPosition.lon)
             .where(VesselPosition.at >= since).order_by(VesselPosition.vessel_id, VesselPosition.at))
    if vessel_ids is not None:
        query = query.where(VesselPosition.vessel_id.in_(vessel_ids))
    out: dict[int, Track] = {}
    for vessel_id, lat, lon in session.execute(query):
        out.setdefault(vessel_id, []).append((lat, lon))
    return out
