"""The report workflow on SQLite and PostgreSQL: transitions, history, agency isolation, notices, escalation."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.core.errors import Forbidden, InvalidInput
from data.core.runtime import Runtime
from data.core.sla import deadline_for
from data.models import Alert, Attachment, Category, Outbox, Rating, Report, ReportEvent, ReportStatus, utcnow
from data.reports.overdue import flag_overdue
from data.reports.workflow import (
    SEALED_FIELDS,
    STATUS_VI,
    TRANSITIONS,
    Actor,
    allowed_actions,
    apply,
    report_view,
    visible_reports,
)
from tests.factories import report, world

T0 = utcnow().replace(microsecond=0) - timedelta(days=3)


def _events(s: Session, report_id: int) -> list[tuple[Any, ...]]:
    rows = s.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id))
    return [(e.id, e.at, e.user_id, e.action, e.from_status, e.to_status, e.agency_id, e.note, e.data) for e in rows]


def _outbox(s: Session, report_id: int | None = None) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id)
    if report_id is not None:
        query = query.where(Outbox.report_id == report_id)
    return list(s.scalars(query))


def _photo(s: Session, report_id: int, key: str) -> int:
    row = Attachment(report_id=report_id, kind="photo", storage_key=key, content_type="image/jpeg",
                     size_bytes=10, sha256="0" * 64)
    s.add(row)
    s.flush()
    return row.id


def test_happy_path_writes_one_append_only_event_per_step(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        rid = report(s, w, created_at=T0).id
        photo = _photo(s, rid, "after-1")
        steps: list[tuple[str, Actor, dict[str, Any]]] = [
            ("verify", w.operator, {}),
            ("assign", w.operator, {"agency_id": w.agency_a}),
            ("start", w.staff_a, {}),
            ("resolve", w.staff_a, {"note": "Đã vá ổ gà.", "after_photo_ids": [photo], "require_after_photo": True}),
            ("rate", Actor.citizen(), {"rating": 4, "note": "Nhanh"}),
        ]
        history: list[tuple[Any, ...]] = []
        for hour, (action, actor, kwargs) in enumerate(steps, start=1):
            apply(s, rid, action, actor, now=T0 + timedelta(hours=hour), **kwargs)
            events = _events(s, rid)
            assert events[: len(history)] == history  # earlier events are never changed
            assert len(events) == len(history) + 1  # one event per step
            history = events

    assert [(e[3], e[4], e[5]) for e in history] == [
        ("verified", "received", "verified"),
        ("assigned", "verified", "assigned"),
        ("started", "assigned", "in_progress"),
        ("resolved", "in_progress", "resolved"),
        ("rated", "resolved", "closed"),
    ]
    assert [e[2] for e in history] == [w.operator.user_id, w.operator.user_id, w.staff_a.user_id,
                                       w.staff_a.user_id, None]  # who; the citizen has no user id
    assert [e[1] for e in history] == [T0 + timedelta(hours=h) for h in range(1, 6)]  # when
    assert history[1][6] == w.agency_a and history[3][7] == "Đã vá ổ gà."
    assert history[3][8] == {"after_photo_ids": [photo]}
    assert history[4][8] == {"score": 4, "by": "citizen"}
    with runtime.session() as s:
        r = s.get_one(Report, rid)
        assert (r.status, r.agency_id, r.result_text, r.rating) == ("closed", w.agency_a, "Đã vá ổ gà.", 4)
        assert r.resolved_at == T0 + timedelta(hours=4) and r.closed_at == T0 + timedelta(hours=5)
        assert s.get_one(Attachment, photo).kind == "after_photo"
        assert [(x.score, x.comment) for x in s.scalars(select(Rating))] == [(4, "Nhanh")]
        notices = _outbox(s, rid)
    # The reporter hears of the assignment and the result, not of the internal steps.
    assert [(n.channel, n.recipient) for n in notices] == [("email", "an@example.vn")] * 2
    assert "Ban Quản lý công trình" in notices[0].body and "Đã vá ổ gà." in notices[1].body
    assert all(r.tracking_code in n.body for n in notices)


def test_every_illegal_transition_is_invalid_input(runtime: Runtime) -> None:
    args: dict[str, Any] = {"note": "Ghi chú", "rating": 3}
    with runtime.session() as s:
        w = world(s)
        target = report(s, w)
        args |= {"duplicate_of_id": target.id}
        for status in ReportStatus:
            r = report(s, w, status=status, agency_id=w.agency_a, published=True)
            for action, rule in TRANSITIONS.items():
                if status in rule.sources:
                    continue
                extra: dict[str, Any] = {"agency_id": w.agency_b, "category_id": w.lights}
                with pytest.raises(InvalidInput, match=STATUS_VI[status]):
                    apply(s, r.id, action, w.admin, **args, **extra)
            assert s.get_one(Report, r.id).status == status
        assert s.scalar(select(func.count(ReportEvent.id))) == 0
        assert s.scalar(select(func.count(Outbox.id))) == 0


def test_conditions_beyond_status(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        private = report(s, w, publish_consent=False)
        with pytest.raises(InvalidInput, match="không đồng ý công khai"):
            apply(s, private.id, "publish", w.operator)
        assert "publish" not in allowed_actions(private, w.operator)
        r = report(s, w)
        apply(s, r.id, "publish", w.operator)
        assert r.published and allowed_actions(r, w.operator).count("unpublish") == 1
        with pytest.raises(InvalidInput):
            apply(s, r.id, "publish", w.operator)
        apply(s, r.id, "unpublish", w.operator)
        assert not r.published
        apply(s, r.id, "escalate", w.operator)
        with pytest.raises(InvalidInput, match="vượt cấp"):
            apply(s, r.id, "escalate", Actor.system())
        with pytest.raises(InvalidInput, match="không tồn tại"):
            apply(s, r.id, "fly", w.operator)


def test_agency_staff_act_and_see_only_their_agency(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        mine = report(s, w, status=ReportStatus.ASSIGNED, agency_id=w.agency_a)
        theirs = report(s, w, status=ReportStatus.ASSIGNED, agency_id=w.agency_b)
        unassigned = report(s, w)
        published = report(s, w, published=True, agency_id=w.agency_b)
        with pytest.raises(Forbidden):
            apply(s, theirs.id, "start", w.staff_a)
        with pytest.raises(Forbidden):
            apply(s, mine.id, "verify", w.staff_a)  # an operator's step
        with pytest.raises(Forbidden):
            apply(s, mine.id, "resolve", w.leader, note="x")  # leaders watch, they do not act
        with pytest.raises(Forbidden):
            apply(s, unassigned.id, "assign", Actor.citizen(), agency_id=w.agency_a)
        no_agency = Actor(99, "agency", None)
        with pytest.raises(Forbidden):
            apply(s, mine.id, "start", no_agency)
        assert allowed_actions(theirs, w.staff_a) == []
        assert allowed_actions(mine, w.staff_a) == ["start", "resolve", "mark_not_responsible", "refer"]
        apply(s, mine.id, "start", w.staff_a)

        def ids(actor: Actor) -> set[int]:
            return set(s.scalars(visible_reports(select(Report.id), actor)))

        everything = {mine.id, theirs.id, unassigned.id, published.id}
        assert ids(w.staff_a) == {mine.id}
        assert ids(w.staff_b) == {theirs.id, published.id}
        assert ids(no_agency) == set()
        assert ids(w.operator) == ids(w.admin) == ids(w.leader) == ids(w.analyst) == everything
        assert ids(Actor.citizen()) == {published.id}
        assert ids(Actor(None, None, None)) == set()


def test_report_view_seals_the_reporter(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        r = report(s, w, channel="zalo", attributes={"sender_id": "z-42"}, agency_id=w.agency_a)
        for actor in (w.operator, w.admin):
            view = report_view(r, actor)
            assert (view["reporter_name"], view["reporter_phone"], view["reporter_email"]) == (
                "Nguyễn Văn An", "0905123456", "an@example.vn")
            assert view["attributes"] == {"sender_id": "z-42"}
        for actor in (w.staff_a, w.leader, w.analyst, Actor.citizen(), Actor.system()):
            view = report_view(r, actor)
            assert not set(SEALED_FIELDS) & set(view)
            assert "0905123456" not in repr(view) and "z-42" not in repr(view)
            assert view["tracking_code"] == r.tracking_code and view["status_label"] == "Mới tiếp nhận"


def test_resolve_needs_a_note_and_maybe_an_after_photo(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        r = report(s, w, status=ReportStatus.IN_PROGRESS, agency_id=w.agency_a)
        other = report(s, w)
        for note in (None, "", "   "):
            with pytest.raises(InvalidInput, match="Cần ghi rõ"):
                apply(s, r.id, "resolve", w.staff_a, note=note)
        with pytest.raises(InvalidInput, match="ảnh sau"):
            apply(s, r.id, "resolve", w.staff_a, note="Xong", require_after_photo=True)
        with pytest.raises(InvalidInput, match="không thuộc"):
            apply(s, r.id, "resolve", w.staff_a, note="Xong", after_photo_ids=[_photo(s, other.id, "o-1")])
        with pytest.raises(InvalidInput, match="không thuộc"):
            apply(s, r.id, "resolve", w.staff_a, note="Xong", after_photo_ids=[987654])
        for action in ("reject", "refer", "mark_not_responsible"):
            assert TRANSITIONS[action].needs_note
        assert s.get_one(Report, r.id).status == ReportStatus.IN_PROGRESS
        apply(s, r.id, "resolve", w.staff_a, note="Xong")  # photos are optional unless required
        assert r.status == ReportStatus.RESOLVED


def test_rating_is_one_to_five_and_only_after_resolution(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        early = report(s, w, status=ReportStatus.IN_PROGRESS)
        with pytest.raises(InvalidInput, match="Đang xử lý"):
            apply(s, early.id, "rate", Actor.citizen(), rating=5)
        for score in (1, 5):
            r = report(s, w, status=ReportStatus.RESOLVED)
            for bad in (0, 6, -1, None, True):
                with pytest.raises(InvalidInput, match="từ 1 đến 5"):
                    apply(s, r.id, "rate", Actor.citizen(), rating=bad)
            apply(s, r.id, "rate", Actor.citizen(), rating=score)
            assert (r.rating, r.status) == (score, ReportStatus.CLOSED)
        assert sorted(s.scalars(select(Rating.score))) == [1, 5]
        with pytest.raises(Forbidden):
            apply(s, r.id, "rate", w.staff_a, rating=5)  # an agency cannot grade its own work


def test_reopen_counts_and_notifies(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        r = report(s, w, status=ReportStatus.RESOLVED, agency_id=w.agency_a, resolved_at=T0)
        r.expected_at, r.escalated_at = T0, T0
        reopened_at = datetime(2027, 2, 5, 9, 0)  # Friday before Tết 2027 (6–10 Feb are holidays)
        apply(s, r.id, "reopen", Actor.citizen(), note="Ổ gà lại xuất hiện", now=reopened_at)
        assert (r.status, r.reopen_count, r.resolved_at) == (ReportStatus.REOPENED, 1, None)
        # A fresh deadline counted in working days from the reopening, and escalation re-armed.
        category = s.get(Category, r.category_id)
        assert category is not None
        assert r.expected_at == deadline_for(reopened_at, category.sla_working_days, category.sla_emergency_hours,
                                             r.urgency, ZoneInfo("Asia/Ho_Chi_Minh"))
        assert r.expected_at > reopened_at + timedelta(days=category.sla_working_days) and r.escalated_at is None
        apply(s, r.id, "start", w.staff_a)
        apply(s, r.id, "resolve", w.staff_a, note="Vá lại")
        apply(s, r.id, "close", Actor.system())
        apply(s, r.id, "reopen", w.operator)
        assert (r.status, r.reopen_count, r.closed_at) == (ReportStatus.REOPENED, 2, None)
        assert [e[3] for e in _events(s, r.id)] == ["reopened", "started", "resolved", "closed", "reopened"]
        bodies = [n.body for n in _outbox(s, r.id)]
        assert len(bodies) == 3 and "mở lại" in bodies[0] and "mở lại" in bodies[2]
        with pytest.raises(InvalidInput):
            apply(s, r.id, "reopen", Actor.citizen())


def test_reroute_keeps_the_old_values_in_history(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        r = report(s, w, status=ReportStatus.IN_PROGRESS, agency_id=w.agency_a)
        event = apply(s, r.id, "reroute", w.operator, category_id=w.lights, agency_id=w.agency_b,
                      admin_unit_id=w.ward_2, note="Là đèn đường, không phải mặt đường")
        assert event.data == {
            "old": {"category_id": w.roads, "agency_id": w.agency_a, "admin_unit_id": w.ward},
            "new": {"category_id": w.lights, "agency_id": w.agency_b, "admin_unit_id": w.ward_2},
        }
        assert (event.from_status, event.to_status, event.action) == ("in_progress", "assigned", "rerouted")
        assert (r.category_id, r.agency_id, r.admin_unit_id) == (w.lights, w.agency_b, w.ward_2)
        assert r.category_confirmed and r.status == ReportStatus.ASSIGNED
        with pytest.raises(Forbidden):
            apply(s, r.id, "start", w.staff_a)  # no longer theirs
        apply(s, r.id, "start", w.staff_b)
        with pytest.raises(InvalidInput, match="nothing to change"):
            apply(s, r.id, "reroute", w.operator, category_id=w.lights)
        fresh = report(s, w)
        apply(s, fresh.id, "reroute", w.operator, category_id=w.lights)
        assert fresh.status == ReportStatus.RECEIVED  # the place or category only: the status stays
        apply(s, fresh.id, "reclassify", w.operator, category_id=w.lights)
        assert [e[8] for e in _events(s, fresh.id)][-1] == {"old_category_id": w.lights, "category_id": w.lights}
        with pytest.raises(InvalidInput, match="Lĩnh vực"):
            apply(s, fresh.id, "reclassify", w.operator, category_id=424242)


def test_refer_moves_the_report_to_another_agency(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        r = report(s, w, status=ReportStatus.IN_PROGRESS, agency_id=w.agency_a)
        with pytest.raises(InvalidInput, match="Cần ghi rõ"):
            apply(s, r.id, "refer", w.staff_a, agency_id=w.agency_b)
        with pytest.raises(InvalidInput, match="đơn vị khác"):
            apply(s, r.id, "refer", w.staff_a, agency_id=w.agency_a, note="?")
        with pytest.raises(InvalidInput, match="Đơn vị"):
            apply(s, r.id, "refer", w.staff_a, agency_id=424242, note="?")
        event = apply(s, r.id, "refer", w.staff_a, agency_id=w.agency_b, note="Thuộc hệ thống chiếu sáng")
        assert (event.to_status, event.agency_id, event.data) == ("referred", w.agency_b,
                                                                  {"from_agency_id": w.agency_a})
        assert (r.status, r.agency_id) == (ReportStatus.REFERRED, w.agency_b)
        with pytest.raises(Forbidden):
            apply(s, r.id, "start", w.staff_a)
        apply(s, r.id, "start", w.staff_b)
        [notice] = _outbox(s, r.id)
        assert "Công ty Chiếu sáng" in notice.body and "Thuộc hệ thống chiếu sáng" in notice.body


def test_notices_go_to_the_channel_the_reporter_used(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        zalo = report(s, w, channel="zalo", attributes={"sender_id": "z-1"})
        facebook = report(s, w, channel="facebook", attributes={"sender_id": "fb-2"}, reporter_email=None)
        no_sender = report(s, w, channel="facebook", attributes={})  # falls back to e-mail
        silent = report(s, w, channel="hotline", reporter_email=None)
        for r in (zalo, facebook, no_sender, silent):
            apply(s, r.id, "reject", w.operator, note="Không đủ thông tin")
        rows = {(n.report_id, n.channel, n.recipient) for n in _outbox(s)}
        assert rows == {(zalo.id, "zalo", "z-1"), (facebook.id, "facebook", "fb-2"),
                        (no_sender.id, "email", "an@example.vn")}
        for n in _outbox(s):
            assert "Không đủ thông tin" in n.body and n.status == "pending"
        # Steps the citizen does not care about queue nothing.
        quiet = report(s, w, channel="zalo", attributes={"sender_id": "z-3"})
        apply(s, quiet.id, "verify", w.operator)
        apply(s, quiet.id, "publish", w.operator)
        assert _outbox(s, quiet.id) == []


def test_allowed_actions_per_role_without_a_database() -> None:
    def r(status: str, agency: int | None = 1) -> Report:
        return Report(status=status, agency_id=agency, published=False, publish_consent=True, escalated_at=None)

    operator, citizen = Actor(1, "operator", None), Actor.citizen()
    assert allowed_actions(r("received"), operator) == [
        "verify", "assign", "reject", "mark_duplicate", "refer", "reroute", "reclassify", "merge", "publish",
        "escalate"]  # fmt: skip
    assert allowed_actions(r("resolved"), citizen) == ["rate", "reopen"]
    assert allowed_actions(r("received"), citizen) == []
    assert allowed_actions(r("in_progress"), Actor(2, "leader", None)) == []
    assert allowed_actions(r("assigned", 2), Actor(3, "agency", 1)) == []
    assert allowed_actions(r("closed"), Actor.system()) == []


def test_escalation_job_raises_one_alert_per_report(runtime: Runtime) -> None:
    now = utcnow()
    with runtime.session() as s:
        w = world(s)
        late = report(s, w, status=ReportStatus.ASSIGNED, agency_id=w.agency_a, expected_at=now - timedelta(days=1))
        seeded = report(s, w, status=ReportStatus.REOPENED, expected_at=now - timedelta(hours=2))
        report(s, w, status=ReportStatus.IN_PROGRESS, expected_at=now + timedelta(days=1))  # not yet due
        report(s, w, status=ReportStatus.RESOLVED, expected_at=now - timedelta(days=3))  # done: never late
        # An alert the demo seeded for a report not escalated yet: escalated now, not alerted twice.
        s.add(Alert(kind="overdue_report", title="seeded", source="reports", source_ref=seeded.tracking_code))
        ids = (late.id, seeded.id)
    assert flag_overdue(runtime) == 1
    assert flag_overdue(runtime) == 0
    with runtime.session() as s:
        alerts = list(s.scalars(select(Alert).order_by(Alert.id)))
        late_code = s.get_one(Report, ids[0]).tracking_code
        assert [(a.kind, a.source_ref) for a in alerts[1:]] == [("overdue_report", late_code)]
        for rid in ids:
            r = s.get_one(Report, rid)
            assert r.escalated_at is not None and r.status in ("assigned", "reopened")
            [event] = [e for e in _events(s, rid) if e[3] == "escalated"]
            assert event[2] is None and event[8]["by"] == "system" and event[4] == event[5] == r.status
        assert s.scalar(select(func.count(ReportEvent.id))) == 2


def test_two_operators_cannot_race_a_transition(pg_runtime: Runtime) -> None:
    """PostgreSQL only: SQLite has no row locks (it serialises writers on the whole file instead)."""
    with pg_runtime.session() as s:
        w = world(s)
        rid = report(s, w).id
    first = pg_runtime.sessions()
    apply(first, rid, "verify", w.operator)  # holds the row lock until it commits
    outcome: dict[str, Exception] = {}

    def second() -> None:
        try:
            with pg_runtime.session() as s2:
                apply(s2, rid, "verify", w.admin)
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(1.0)
    assert thread.is_alive()  # waiting for the lock, not verifying a second time
    first.commit()
    first.close()
    thread.join(10)
    assert isinstance(outcome.get("error"), InvalidInput)
    with pg_runtime.session() as s:
        assert [e[3] for e in _events(s, rid)] == ["verified"]
