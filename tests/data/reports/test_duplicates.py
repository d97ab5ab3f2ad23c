"""Likely duplicates, merging and "me too", on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import Forbidden, InvalidInput
from data.core.runtime import Runtime
from data.geo.geometry import distance_m
from data.models import Outbox, Report, ReportEvent, ReportStatus, utcnow
from data.reports.duplicates import METRES_PER_DEGREE, bbox_deltas, features, find_duplicates, jaccard, me_too, merge
from data.reports.workflow import apply
from tests.factories import HUE_LAT, HUE_LON, World, report, world

NOW = utcnow().replace(microsecond=0)


def _at(north_m: float, east_m: float) -> dict[str, float]:
    """A point ``north_m`` and ``east_m`` metres from the citadel."""
    dlat = north_m / METRES_PER_DEGREE
    dlon = east_m / (METRES_PER_DEGREE * math.cos(math.radians(HUE_LAT)))
    return {"lat": HUE_LAT + dlat, "lon": HUE_LON + dlon}


def _near(s: Session, w: World, north_m: float, east_m: float, days: float = 0.0, **fields: Any) -> Report:
    return report(s, w, created_at=NOW + timedelta(days=days), **(_at(north_m, east_m) | fields))


def test_text_features_fold_and_drop_common_words() -> None:
    assert features("Ổ gà trên đường Lê Lợi") == frozenset(
        {"ga", "duong", "le", "loi", "o ga", "ga tren", "tren duong", "duong le", "le loi"})
    same = jaccard(features("Đèn đường bị hỏng"), features("den duong bi hong"))
    assert same == 1.0  # diacritics and case do not matter
    assert jaccard(features("Đèn đường hỏng"), features("Rác thải ven sông")) == 0.0
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_bbox_holds_the_circle() -> None:
    dlat, dlon = bbox_deltas(HUE_LAT, 200)
    assert distance_m(HUE_LAT, HUE_LON, HUE_LAT + dlat, HUE_LON) >= 200
    assert distance_m(HUE_LAT, HUE_LON, HUE_LAT, HUE_LON + dlon) >= 200
    assert dlon > dlat  # a degree of longitude is shorter away from the equator


def test_duplicates_within_radius_days_and_category(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        base = _near(s, w, 0, 0, description="Ổ gà lớn giữa đường Lê Lợi")
        alike = _near(s, w, 50, 0, days=1, description="Đường Lê Lợi có ổ gà lớn")
        other_words = _near(s, w, 30, 0, days=-2, description="Nắp cống bị vỡ trước nhà số 5")
        diagonal_in = _near(s, w, 130, 130)  # 184 m: inside the circle
        resolved = _near(s, w, 20, 0, status=ReportStatus.RESOLVED)  # resolved ones still count
        far = _near(s, w, 0, 260)
        diagonal_out = _near(s, w, 150, 150)  # 212 m: inside the box, outside the circle
        too_old = _near(s, w, 10, 0, days=-9)
        too_new = _near(s, w, 10, 0, days=8)
        other_category = _near(s, w, 5, 0, category_id=w.lights)
        rejected = _near(s, w, 5, 0, status=ReportStatus.REJECTED)
        duplicate = _near(s, w, 5, 0, status=ReportStatus.DUPLICATE)
        no_place = report(s, w, lat=None, lon=None)

        found = find_duplicates(s, base, radius_m=200, days=7, limit=10)
        assert {c.report_id for c in found} == {alike.id, other_words.id, diagonal_in.id, resolved.id}
        order = [c.report_id for c in found]
        assert order.index(alike.id) < order.index(other_words.id)  # the same words outweigh 20 m nearer
        by_id = {c.report_id: c for c in found}
        assert by_id[alike.id].distance_m == pytest.approx(50, abs=0.5)
        assert by_id[alike.id].days_apart == pytest.approx(1)
        assert by_id[alike.id].tracking_code == alike.tracking_code
        assert by_id[alike.id].text_similarity > 0.3 > by_id[other_words.id].text_similarity
        assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
        assert all(0 <= c.score <= 1 for c in found)
        assert len(find_duplicates(s, base, radius_m=200, days=7, limit=2)) == 2
        assert find_duplicates(s, no_place, radius_m=200, days=7) == []
        assert {c.report_id for c in find_duplicates(s, base, radius_m=300, days=10, limit=20)} >= {
            far.id, diagonal_out.id, too_old.id, too_new.id}
        assert not {other_category.id, rejected.id, duplicate.id} & {
            c.report_id for c in find_duplicates(s, base, radius_m=1000, days=30, limit=50)}
        with pytest.raises(InvalidInput):
            find_duplicates(s, base, radius_m=0, days=7)


def test_merge_moves_counts_and_keeps_every_reporter_informed(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        target = report(s, w, status=ReportStatus.ASSIGNED, agency_id=w.agency_a, me_too_count=2,
                        reporter_email="target@example.vn")
        dup = report(s, w, channel="zalo", attributes={"sender_id": "z-dup"}, me_too_count=3)
        earlier = report(s, w, status=ReportStatus.DUPLICATE, duplicate_of_id=dup.id,
                         reporter_email="earlier@example.vn")
        merge(s, dup.id, target.id, w.operator)

        assert (dup.status, dup.duplicate_of_id) == (ReportStatus.DUPLICATE, target.id)
        assert earlier.duplicate_of_id == target.id  # re-pointed: no chains to follow
        assert target.me_too_count == 2 + 1 + 3
        [dup_event] = s.scalars(select(ReportEvent).where(ReportEvent.report_id == dup.id))
        assert (dup_event.action, dup_event.to_status, dup_event.user_id) == ("duplicate", "duplicate",
                                                                              w.operator.user_id)
        assert dup_event.data == {"duplicate_of_id": target.id, "duplicate_of_code": target.tracking_code}
        [target_event] = s.scalars(select(ReportEvent).where(ReportEvent.report_id == target.id))
        assert (target_event.action, target_event.from_status, target_event.to_status) == (
            "merged", "assigned", "assigned")
        assert target_event.data == {"duplicate_id": dup.id, "duplicate_code": dup.tracking_code,
                                     "me_too_added": 4, "repointed_ids": [earlier.id]}
        notices = {n.recipient: n.body for n in s.scalars(select(Outbox))}
        assert set(notices) == {"z-dup", "earlier@example.vn"}  # the target's own reporter: nothing new
        assert target.tracking_code in notices["z-dup"] and target.tracking_code in notices["earlier@example.vn"]

        apply(s, target.id, "start", w.staff_a)
        apply(s, target.id, "resolve", w.staff_a, note="Đã vá")
        resolved = [n for n in s.scalars(select(Outbox).order_by(Outbox.id)) if "Đã vá" in n.body]
        assert {n.recipient for n in resolved} == {"target@example.vn", "z-dup", "earlier@example.vn"}
        assert all(target.tracking_code in n.body for n in resolved)
        assert {n.report_id for n in resolved} == {target.id, dup.id, earlier.id}


def test_merge_refuses_what_cannot_be_merged(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        a, b = report(s, w), report(s, w)
        rejected = report(s, w, status=ReportStatus.REJECTED)
        with pytest.raises(InvalidInput, match="chính nó"):
            merge(s, a.id, a.id, w.operator)
        with pytest.raises(InvalidInput, match="Từ chối"):
            merge(s, a.id, rejected.id, w.operator)
        with pytest.raises(Forbidden):
            merge(s, a.id, b.id, w.staff_a)
        assert (a.status, b.me_too_count) == (ReportStatus.RECEIVED, 0)
        assert s.scalars(select(ReportEvent)).all() == []
        merge(s, a.id, b.id, w.operator)
        with pytest.raises(InvalidInput, match="Trùng lặp"):
            merge(s, a.id, b.id, w.operator)  # already merged


def test_me_too_counts_for_the_surviving_report(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        target, dup = report(s, w), report(s, w)
        assert me_too(s, target.id) == 1
        assert me_too(s, target.id) == 2
        merge(s, dup.id, target.id, w.operator)
        assert me_too(s, dup.id) == 4  # 2 + the merged report itself + this one
        assert (target.me_too_count, dup.me_too_count) == (4, 0)
        rejected = report(s, w, status=ReportStatus.REJECTED)
        with pytest.raises(InvalidInput):
            me_too(s, rejected.id)
