"""The shared database: every table of the IOC as typed SQLAlchemy 2.x models, one module per domain.

Times are stored as naive UTC (``utcnow()``) so that SQLite and PostgreSQL hold the same values.
Demo rows carry ``is_demo=True`` so that they can be told apart from (and removed before) real use.

Everything is importable from here (``from data.models import Report``), and importing this package
registers every table on ``Base.metadata``, which Alembic (data/migrations/env.py) compares against.
"""

from __future__ import annotations

from data.models.accounts import ApiKey, AuditEntry, LoginCounter, LoginSession, Role, User
from data.models.alerts import Alert, AlertEvent, PublicWarning
from data.models.cameras import Camera, CameraGroup, CameraGroupGrant, CameraState, CameraStatus
from data.models.core import NAMING, Base, utcnow
from data.models.geo import AdminUnit, MapFeature
from data.models.intake import ImportRun, Outbox
from data.models.kpis import Indicator, IndicatorValue
from data.models.monitoring import PressArticle, SensorReading, Vessel, VesselPosition
from data.models.reports import (
    OPEN_STATUSES,
    Agency,
    Attachment,
    Category,
    Channel,
    ClassifierModel,
    Rating,
    Report,
    ReportEvent,
    ReportStatus,
    RoutingRule,
)

__all__ = [
    "NAMING",
    "OPEN_STATUSES",
    "AdminUnit",
    "Agency",
    "Alert",
    "AlertEvent",
    "ApiKey",
    "Attachment",
    "AuditEntry",
    "Base",
    "Camera",
    "CameraGroup",
    "CameraGroupGrant",
    "CameraState",
    "CameraStatus",
    "Category",
    "Channel",
    "ClassifierModel",
    "ImportRun",
    "Indicator",
    "IndicatorValue",
    "LoginCounter",
    "LoginSession",
    "MapFeature",
    "Outbox",
    "PressArticle",
    "PublicWarning",
    "Rating",
    "Report",
    "ReportEvent",
    "ReportStatus",
    "Role",
    "RoutingRule",
    "SensorReading",
    "User",
    "Vessel",
    "VesselPosition",
    "utcnow",
]
