"""A vessel's state on the map and its alerts (kind ``vessel``): ``out_of_zone`` when its latest position
lies outside, ``silent`` when it stopped reporting at sea; one per vessel and reason while open."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.alerts.events import OPEN_STATUSES, published, raise_alert
from data.core.jobs import register
from data.core.sla import to_local
from data.models import Alert, Vessel, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

KIND = "vessel"
OUT_OF_ZONE, SILENT = "out_of_zone", "silent"
MOORED = "moored"
STATES = ("ok", OUT_OF_ZONE, SILENT, "in_port")


def vessel_state(last_in_zone: bool | None, nav_status: str | None, silent: bool) -> str:
    """One of STATES, in order of urgency: a silent boat may be in distress, so silence wins.

    ``silent``: the silent check flagged the vessel and it has not reported since (``silenced``)."""
    if silent:
        return SILENT
    if nav_status == MOORED:
        return "in_port"
    return OUT_OF_ZONE if last_in_zone is False else "ok"


def alert_text(vessel: Vessel, reason: str, now: datetime, tz: tzinfo) -> tuple[str, str, str]:
    """(severity, title, message) of a vessel alert, times in ``tz``; never the owner's phone (alerts reach
    many screens)."""
    label = f"{vessel.code}{f' ({vessel.name})' if vessel.name else ''}"
    where = (f"Vị trí cuối {vessel.last_lat:.4f}, {vessel.last_lon:.4f} "
             f"lúc {to_local(vessel.last_at, tz):%d/%m/%Y %H:%M}" if vessel.last_at is not None else "Chưa có vị trí")
    if reason == SILENT:
        minutes = int((now - vessel.last_at).total_seconds() // 60) if vessel.last_at else 0
        return "critical", f"Tàu cá mất tín hiệu {minutes} phút: {label}", f"{where}."
    zone = f"vùng {vessel.zone_code}" if vessel.zone_code else "vùng khai thác được phép"
    speed = f", {vessel.last_speed_kn:g} hải lý/giờ" if vessel.last_speed_kn is not None else ""
    return "warning", f"Tàu cá ra ngoài {zone}: {label}", f"{where}{speed}."


def ensure_alert(session: Session, vessel: Vessel, reason: str, now: datetime, tz: tzinfo) -> Alert | None:
    """Raise the vessel's alert for ``reason`` unless one is still open (a boat out of zone for hours is one alert)."""
    if session.scalar(select(Alert.id).where(
            Alert.kind == KIND, Alert.source == reason, Alert.source_ref == vessel.code,
            Alert.status.in_(OPEN_STATUSES)).limit(1)) is not None:
        return None
    severity, title, message = alert_text(vessel, reason, now, tz)
    return raise_alert(session, kind=KIND, severity=severity, title=title, message=message, source=reason,
                       source_ref=vessel.code, lat=vessel.last_lat, lon=vessel.last_lon, now=now,
                       is_demo=vessel.is_demo)


@register("vessels.check_silent", every_s=300, every_setting="vessel_silent_check_every_s")
def check_silent(runtime: Runtime, now: datetime | None = None) -> list[int]:
    """Raise a ``silent`` alert for each vessel at sea whose last report is older than the threshold."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=runtime.settings.vessel_silent_after_min)
    with runtime.session() as session:
        quiet = session.scalars(select(Vessel).where(
            Vessel.last_at < cutoff, or_(Vessel.nav_status.is_(None), Vessel.nav_status != MOORED))).all()
        raised = [alert for vessel in quiet
                  if (alert := ensure_alert(session, vessel, SILENT, now, runtime.settings.tz)) is not None]
    for alert in raised:
        published(runtime, alert, "raised")
    return [alert.id for alert in raised]


def silenced(session: Session) -> dict[str, datetime]:
    """Vessel code -> when its open ``silent`` alert was raised: the map shows what the check decided
    (with the configured threshold), and a vessel reporting since then is no longer drawn as silent."""
    rows = session.execute(select(Alert.source_ref, Alert.created_at).where(
        Alert.kind == KIND, Alert.source == SILENT, Alert.status.in_(OPEN_STATUSES)))
    return {code: at for code, at in rows if code is not None}
