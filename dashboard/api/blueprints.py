"""Every Flask blueprint of the web app, with where it is mounted: ``app.py`` registers them in one loop.

A new door (an API, a webhook, a file route) is one module making its blueprint and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint

from dashboard.api.cameras import make_camera_blueprint
from dashboard.api.live import make_live_blueprint
from dashboard.api.media import make_media_blueprint
from dashboard.api.open311 import make_open311_blueprint
from dashboard.api.report_export import make_report_export_blueprint
from dashboard.api.sensors import make_sensor_blueprint
from dashboard.api.tiles import make_tiles_blueprint
from dashboard.api.vendor import make_vendor_blueprint
from dashboard.api.vessels import make_vessel_blueprint
from dashboard.api.webhooks import make_webhooks_blueprint
from dashboard.health import make_health_blueprint
from dashboard.report_form import make_report_form_blueprint
from data.core.runtime import Runtime


@dataclass(frozen=True)
class Mount:
    """A blueprint's factory (it gets the process's runtime) and its URL prefix (None: its own paths)."""

    make: Callable[[Runtime], Blueprint]
    url_prefix: str | None = None


BLUEPRINTS: tuple[Mount, ...] = (
    Mount(make_vendor_blueprint),  # /vendor/...
    Mount(make_health_blueprint),  # /healthz
    Mount(make_tiles_blueprint),  # /tiles/...
    Mount(make_camera_blueprint, "/api/cameras"),
    Mount(make_webhooks_blueprint, "/webhooks"),
    Mount(make_report_form_blueprint),  # /phan-anh
    Mount(make_media_blueprint),  # /media/...
    Mount(make_report_export_blueprint),  # /api/reports/export.*
    Mount(make_open311_blueprint, "/open311/v2"),
    Mount(make_sensor_blueprint, "/api/sensors"),
    Mount(make_live_blueprint, "/live"),
    Mount(make_vessel_blueprint, "/api/vessels"),
)
