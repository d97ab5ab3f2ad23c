"""Events and alerts (data/alerts/events.py): the lifecycle rules and the procedure checklist as pure functions,
then the whole life of an alert on SQLite and PostgreSQL with its append-only history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from data.accounts.users import create_user
from data.alerts import events as alerts
from data.core.errors import InvalidInput, NotFound
from data.core.runtime import Runtime
from data.models import Alert, AlertEvent, Role
from tests.dbfixtures import open_runtime

T0 = datetime(2026, 12, 7, 8, 0)


@pytest.mark.parametrize(("status", "action", "after"), [
    ("new", "ack", "acknowledged"),
    ("new", "start", "handling"),
    ("acknowledged", "start", "handling"),
    ("new", "step", "handling"),  # ticking the first step means someone is on it
    ("handling", "step", "handling"),
    ("acknowledged", "assign", "acknowledged"),
    ("handling", "close", "closed"),
    ("new", "close", "closed"),  # a false alarm is closed straight away (with a note)
    ("closed", "reopen", "acknowledged"),
    ("closed", "note", "closed"),
])
def test_allowed_transitions(status: str, action: str, after: str) -> None:
    assert alerts.next_status(status, action) == after


@pytest.mark.parametrize(("status", "action"), [
    ("acknowledged", "ack"), ("handling", "ack"), ("closed", "ack"), ("closed", "start"), ("closed", "step"),
    ("closed", "close"), ("handling", "reopen"), ("new", "raised"), ("new", "explode"),
])
def test_refused_transitions_say_why(status: str, action: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        alerts.next_status(status, action)
    assert action in refused.value.message


def _event(i: int, action: str, step: int | None, user: int, minutes: int) -> AlertEvent:
    return AlertEvent(id=i, alert_id=1, at=T0 + timedelta(minutes=minutes), user_id=user, action=action,
                      status="handling", step=step)


def test_checklist_takes_the_last_tick_or_untick_of_each_step() -> None:
    sop = alerts.sop_for("flood")
    events = [
        _event(1, "raised", None, 0, 0),
        _event(2, "step", 0, 7, 1),
        _event(4, "step", 2, 8, 3),
        _event(5, "unstep", 2, 9, 4),  # undone by someone else
        _event(3, "step", 1, 7, 2),  # out of order in the input: time decides
        _event(6, "note", None, 7, 5),
    ]
    states = alerts.checklist(sop, events)
    assert [s.done for s in states] == [True, True, False, False, False]
    assert (states[0].by, states[0].at) == (7, T0 + timedelta(minutes=1))
    assert (states[2].by, states[2].at) == (9, T0 + timedelta(minutes=4))  # who undid it, and when
    assert states[3].by is None and states[3].at is None


def test_every_kind_the_code_raises_has_its_own_procedure() -> None:
    procedures = alerts.sops()
    for kind in ("camera_offline", "motion", "overdue_report", "kpi", "sensor", "press", "security", "flood",
                 "storm", "vessel", "default"):
        sop = procedures[kind]
        assert sop.steps and all(s.text and s.text_en and s.unit for s in sop.steps), kind
    assert alerts.sop_for("something-new") is procedures["default"]


@pytest.fixture
def rt(db_url: str) -> Runtime:
    with open_runtime(db_url) as runtime:
        yield runtime  # type: ignore[misc]


def test_the_life_of_an_alert_is_written_step_by_step(rt: Runtime) -> None:
    with rt.session() as s:
        operator = create_user(s, "vanhanh", "mat-khau-van-hanh-1", Role.OPERATOR)
        chief = create_user(s, "truongca", "mat-khau-truong-ca-1", Role.OPERATOR)
        s.flush()
        op_id, chief_id = operator.id, chief.id
        alert = alerts.raise_alert(s, kind="flood", severity="critical", title="Nước sông Hương lên nhanh",
                                   lat=16.47, lon=107.58, now=T0)
        alert_id = alert.id
    steps = [("ack", {}), ("assign", {"assignee_id": chief_id}), ("step", {"step": 0}), ("step", {"step": 1}),
             ("unstep", {"step": 1}), ("note", {"note": "Đã gọi Ban Chỉ huy PCTT"})]
    with rt.session() as s:
        for minute, (action, kwargs) in enumerate(steps, start=1):
            alerts.act(s, alert_id, action, user_id=op_id, now=T0 + timedelta(minutes=minute), **kwargs)
    with rt.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        assert (alert.status, alert.assignee_id, alert.acknowledged_by) == ("handling", chief_id, op_id)
        assert alert.acknowledged_at == T0 + timedelta(minutes=1)
        with pytest.raises(InvalidInput, match="Cần ghi chú"):
            alerts.act(s, alert_id, "close", user_id=chief_id, note="   ")
        with pytest.raises(InvalidInput, match="Bước 9"):
            alerts.act(s, alert_id, "step", user_id=chief_id, step=9)
        with pytest.raises(InvalidInput, match="người dùng"):
            alerts.act(s, alert_id, "assign", user_id=chief_id, assignee_id=987654)
        with pytest.raises(NotFound):
            alerts.act(s, 987654, "ack", user_id=chief_id)
    with rt.session() as s:
        alerts.act(s, alert_id, "close", user_id=chief_id, note="Nước đã rút", now=T0 + timedelta(hours=3))
    with rt.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.status == "closed" and alert.closed_at == T0 + timedelta(hours=3)
        history = alerts.history(s, alert_id)
        assert [(e.action, e.status) for e in history] == [
            ("raised", "new"), ("ack", "acknowledged"), ("assign", "acknowledged"), ("step", "handling"),
            ("step", "handling"), ("unstep", "handling"), ("note", "handling"), ("close", "closed")]
        assert [e.user_id for e in history] == [None] + [op_id] * 6 + [chief_id]
        assert history[2].assignee_id == chief_id and history[-1].note == "Nước đã rút"
        done = [st.done for st in alerts.checklist(alerts.sop_for("flood"), history)]
        assert done == [True, False, False, False, False]
        with pytest.raises(InvalidInput):
            alerts.act(s, alert_id, "step", user_id=op_id, step=2)  # closed: no more ticking
    with rt.session() as s:
        alerts.act(s, alert_id, "reopen", user_id=op_id, now=T0 + timedelta(hours=4))
    with rt.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and (alert.status, alert.closed_at) == ("acknowledged", None)
        assert s.scalar(select(func.count()).select_from(AlertEvent).where(AlertEvent.alert_id == alert_id)) == 9
        # the list the wall shows and its badge
        alerts.raise_alert(s, kind="press", severity="info", title="Báo chí: ngập đường Lê Lợi")
        closed = alerts.raise_alert(s, kind="motion", severity="warning", title="Chuyển động")
        s.flush()
        alerts.act(s, closed.id, "close", user_id=op_id, note="Người đi bộ")
        s.flush()
        assert alerts.open_counts(s) == {"critical": 1, "info": 1}
        shown = alerts.open_alerts(s, severities=("critical",))
        assert [a.id for a in shown] == [alert_id]


def test_a_bad_severity_is_refused(rt: Runtime) -> None:
    with rt.session() as s, pytest.raises(InvalidInput, match="Mức độ"):
        alerts.raise_alert(s, kind="flood", severity="apocalyptic", title="?")
