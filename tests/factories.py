"""Hand-built test data: two agencies, two categories, one user per role, and reports on demand.

Use ``world(session)`` once per test, then ``report(session, w, ...)`` for each report needed::

    with runtime.session() as s:
        w = world(s)
        r = report(s, w, status=ReportStatus.ASSIGNED, agency_id=w.agency_a)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data.models import AdminUnit, Agency, Category, Report, ReportStatus, Role, User, utcnow
from data.reports.workflow import Actor

# Hue's citadel: reports of the tests sit around it.
HUE_LAT, HUE_LON = 16.4698, 107.5786
_codes = itertools.count(1)


@dataclass(frozen=True)
class World:
    """The ids of the hand-built rows, and an Actor for each kind of user."""

    agency_a: int
    agency_b: int
    roads: int  # category: roads and pavements
    lights: int  # category: street lights
    ward: int
    ward_2: int
    operator: Actor
    admin: Actor
    leader: Actor
    analyst: Actor
    staff_a: Actor  # agency staff of agency_a
    staff_b: Actor


def _user(session: Session, username: str, role: Role, agency_id: int | None = None) -> Actor:
    # A placeholder hash: these users never log in, and argon2 would only slow the tests down.
    user = User(username=username, full_name=username.title(), password_hash="x", role=role, agency_id=agency_id)
    session.add(user)
    session.flush()
    return Actor.of(user)


def world(session: Session) -> World:
    """Agencies, categories, wards and users for one test; flushed, so every id is set."""
    a = Agency(code="cong-trinh", name="Ban Quản lý công trình", email="ct@hue.gov.vn")
    b = Agency(code="chieu-sang", name="Công ty Chiếu sáng", email="cs@hue.gov.vn")
    session.add_all([a, b])
    session.flush()
    roads = Category(code="roads", name="Giao thông", name_en="Roads", default_agency_id=a.id)
    lights = Category(code="lights", name="Chiếu sáng", name_en="Street lights", default_agency_id=b.id)
    ward = AdminUnit(level="ward", code="19900", name="Phường Thuận Hòa")
    ward_2 = AdminUnit(level="ward", code="19901", name="Phường Tây Lộc")
    session.add_all([roads, lights, ward, ward_2])
    session.flush()
    return World(
        agency_a=a.id, agency_b=b.id, roads=roads.id, lights=lights.id, ward=ward.id, ward_2=ward_2.id,
        operator=_user(session, "vanhanh", Role.OPERATOR), admin=_user(session, "quantri", Role.ADMIN),
        leader=_user(session, "lanhdao", Role.LEADER), analyst=_user(session, "phantich", Role.ANALYST),
        staff_a=_user(session, "donvi-a", Role.AGENCY, a.id), staff_b=_user(session, "donvi-b", Role.AGENCY, b.id),
    )  # fmt: skip


def report(session: Session, w: World, *, status: str = ReportStatus.RECEIVED, created_at: datetime | None = None,
           **fields: Any) -> Report:
    """A report of category ``roads`` in ``ward`` at the citadel, overridable field by field; flushed."""
    values: dict[str, Any] = {
        "tracking_code": f"T-{next(_codes):06d}",
        "channel": "web",
        "category_id": w.roads,
        "admin_unit_id": w.ward,
        "status": status,
        "description": "Ổ gà lớn giữa đường Lê Lợi, xe máy dễ ngã",
        "lat": HUE_LAT,
        "lon": HUE_LON,
        "reporter_name": "Nguyễn Văn An",
        "reporter_phone": "0905123456",
        "reporter_email": "an@example.vn",
        "created_at": created_at or utcnow(),
    }
    row = Report(**(values | fields))
    session.add(row)
    session.flush()
    return row
