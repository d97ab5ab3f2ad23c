"""Which camera an incident (an alert or a citizen report) should pop onto the video wall."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from data.geo.geometry import distance_m

DEFAULT_RADIUS_M = 300.0


@dataclass(frozen=True)
class CameraPoint:
    """A camera where it stands."""

    id: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Incident:
    """Something that happened at a point: an alert or a report (``kind``), newest has the largest id."""

    kind: str  # "alert" | "report"
    id: int
    lat: float
    lon: float
    title: str = ""
    camera_id: int | None = None  # an alert raised BY a camera (motion, offline) names it


@dataclass(frozen=True)
class Pop:
    """The camera to pop and why."""

    camera_id: int
    incident: Incident
    distance_m: float


def nearest_camera(
    lat: float, lon: float, cameras: Iterable[CameraPoint], within_m: float = DEFAULT_RADIUS_M
) -> tuple[CameraPoint, float] | None:
    """The camera nearest to (lat, lon) and its distance, if one stands within ``within_m`` metres."""
    best: tuple[CameraPoint, float] | None = None
    for camera in cameras:
        d = distance_m(lat, lon, camera.lat, camera.lon)
        if d <= within_m and (best is None or d < best[1] or (d == best[1] and camera.id < best[0].id)):
            best = (camera, d)
    return best


def camera_to_pop(
    incidents: Sequence[Incident], cameras: Sequence[CameraPoint], within_m: float = DEFAULT_RADIUS_M
) -> Pop | None:
    """The newest incident with a camera near it (alerts before reports: alarms outrank reports)."""
    ranked = sorted(incidents, key=lambda i: (i.kind == "alert", i.id), reverse=True)
    by_id = {c.id: c for c in cameras}
    for incident in ranked:
        if incident.camera_id in by_id:  # the camera that saw it, not merely the nearest one
            own = by_id[incident.camera_id]
            return Pop(own.id, incident, distance_m(incident.lat, incident.lon, own.lat, own.lon))
        found = nearest_camera(incident.lat, incident.lon, cameras, within_m)
        if found is not None:
            return Pop(found[0].id, incident, found[1])
    return None
