"""Demo fishing fleet off Huế: two allowed zones and five boats (all ``is_demo``, names marked "demo").

The ``demo.vessel_feed`` job plays a shore station: every minute it sends each boat's simulated position
through the real intake (``data.monitoring.vessels.receive``), the first time with two hours of back track. The
boats show every state: two fish inside their zones, one circles across its zone's edge (out-of-zone
alerts), one stopped transmitting 45 minutes before the demo started (a silent alert from the check),
one lies moored in Thuận An port (outside every zone, yet no alert).
The zones are rough demo shapes drawn off the coast, not the legal boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.jobs import register
from data.models import Vessel, utcnow
from data.monitoring.vessels import IngestResult, receive, upsert_zone

if TYPE_CHECKING:
    from data.core.runtime import Runtime

# code, name, ring (lon, lat): GeoJSON order.
ZONES = (
    ("VL-TTH-01", "Vùng lộng Thuận An – Phú Lộc (demo)",
     [[107.60, 16.64], [107.70, 16.60], [107.85, 16.52], [107.98, 16.44], [108.08, 16.55], [107.86, 16.72],
      [107.66, 16.80], [107.60, 16.64]]),
    ("VK-TTH-01", "Vùng khơi Thừa Thiên Huế (demo)",
     [[107.75, 16.90], [108.10, 16.70], [108.35, 16.95], [108.00, 17.15], [107.75, 16.90]]),
)
BACK_TRACK = timedelta(hours=2)
STEP = timedelta(minutes=5)  # spacing of the back track
SILENT_FOR = timedelta(minutes=45)  # the silent boat's last report, before the first feed
EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Orbit:
    """A boat circling a fishing ground, anticlockwise: its position is a function of time only."""

    lat: float
    lon: float
    radius_deg: float
    period_min: float
    phase: float = 0.0

    def at(self, t: datetime) -> tuple[float, float, float, float]:
        """(lat, lon, speed in knots, heading in degrees) at ``t`` (pure)."""
        if self.period_min <= 0:
            return self.lat, self.lon, 0.0, 0.0
        minutes = (t - EPOCH).total_seconds() / 60  # naive UTC, like every stored time
        angle = 2 * math.pi * minutes / self.period_min + self.phase
        lat, lon = self.lat + self.radius_deg * math.sin(angle), self.lon + self.radius_deg * math.cos(angle)
        speed = 2 * math.pi * self.radius_deg * 60 / (self.period_min / 60)  # a degree of latitude is 60 nm
        heading = math.degrees(math.atan2(-math.sin(angle), math.cos(angle))) % 360
        return round(lat, 5), round(lon, 5), round(speed, 1), round(heading)


@dataclass(frozen=True)
class DemoBoat:
    code: str
    name: str
    zone: str | None
    orbit: Orbit
    nav_status: str = "fishing"
    silent: bool = False  # sends its back track only, ending SILENT_FOR before the first feed


FLEET = (
    DemoBoat("TTH-90011-TS", "Minh Phát 01 (demo)", "VL-TTH-01", Orbit(16.62, 107.80, 0.03, 90)),
    DemoBoat("TTH-90012-TS", "Hải Đăng 02 (demo)", "VK-TTH-01", Orbit(16.93, 108.05, 0.05, 150, 1.0)),
    DemoBoat("TTH-90013-TS", "Thuận An 03 (demo)", "VL-TTH-01", Orbit(16.66, 107.92, 0.06, 150, 2.0)),
    DemoBoat("TTH-90014-TS", "Phú Thuận 04 (demo)", "VL-TTH-01", Orbit(16.66, 107.72, 0.015, 60, 3.0), "underway",
             silent=True),
    DemoBoat("TTH-90015-TS", "Tân Mỹ 05 (demo)", None, Orbit(16.561, 107.628, 0.0, 0.0), "moored"),
)


def seed_vessels(session: Session) -> int:
    """The demo zones and boats (no positions: the feed sends them, through the real intake)."""
    for code, name, ring in ZONES:
        upsert_zone(session, code, name, {"type": "Polygon", "coordinates": [ring]}, is_demo=True,
                    kind="inshore" if code.startswith("VL") else "offshore")
    for boat in FLEET:
        session.add(Vessel(code=boat.code, name=boat.name, zone_code=boat.zone, is_demo=True, created_at=utcnow()))
    session.flush()
    return len(FLEET)


def _message(boat: DemoBoat, t: datetime) -> dict[str, Any]:
    lat, lon, speed, heading = boat.orbit.at(t)
    return {"vessel": boat.code, "at": t.isoformat() + "Z", "lat": lat, "lon": lon, "speed_kn": speed,
            "heading": heading, "nav_status": boat.nav_status}


def simulated(fleet: tuple[DemoBoat, ...], seen: set[str], now: datetime) -> list[dict[str, Any]]:
    """The feed's batch at ``now`` (pure): a boat never seen gets its back track, a silent one nothing more."""
    now = now.replace(microsecond=0)
    batch: list[dict[str, Any]] = []
    for boat in fleet:
        if boat.code not in seen:
            end = now - SILENT_FOR if boat.silent else now
            steps = int(BACK_TRACK / STEP)
            batch.extend(_message(boat, end - STEP * i) for i in range(steps, 0, -1))
            batch.append(_message(boat, end))
        elif not boat.silent:
            batch.append(_message(boat, now))
    return batch


@register("demo.vessel_feed", every_s=60, demo_only=True)
def vessel_feed(runtime: Runtime, now: datetime | None = None) -> IngestResult:
    """Demo mode: the demo boats report through the same intake a real shore station uses."""
    now = now or utcnow()
    with runtime.session() as session:
        seen = set(session.scalars(select(Vessel.code).where(Vessel.is_demo, Vessel.last_at.is_not(None))))
        known = set(session.scalars(select(Vessel.code).where(Vessel.is_demo)))
    fleet = tuple(b for b in FLEET if b.code in known)  # only a database seeded with the demo fleet
    return receive(runtime, simulated(fleet, seen, now), now=now, is_demo=True)
