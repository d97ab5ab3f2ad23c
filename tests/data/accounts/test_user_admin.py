"""Accounts as admins manage them (data/accounts/user_admin.py), on SQLite and PostgreSQL: each change is
audited with before and after, bad input names its field and leaves nothing behind, and of two admins
saving the same account the second is told someone else changed it meanwhile."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from data.accounts import sessions as login_sessions
from data.accounts.audit import Who
from data.accounts.user_admin import (
    accounts,
    create_account,
    edit_account,
    reset_account_password,
    set_account_active,
)
from data.accounts.users import authenticate, create_user
from data.core.errors import Conflict, FieldError
from data.core.runtime import Runtime
from data.models import AuditEntry, LoginSession, Role, User
from tests.factories import world

ADMIN = Who(None, "quantri", "198.51.100.7")


def _audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _users(runtime: Runtime) -> int:
    with runtime.session() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def _refused(runtime: Runtime, field: str, code: str, change: Any) -> FieldError:
    """``change`` (a function of a session) raises a FieldError naming ``field``; nothing is written."""
    users, audited = _users(runtime), len(_audit(runtime, "user.create")) + len(_audit(runtime, "user.edit"))
    with pytest.raises(FieldError) as caught, runtime.session() as s:
        change(s)
    assert (caught.value.field, caught.value.code) == (field, code), caught.value.message
    assert _users(runtime) == users
    assert len(_audit(runtime, "user.create")) + len(_audit(runtime, "user.edit")) == audited
    return caught.value


def test_create_gives_a_one_time_password_that_must_be_changed(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        user, password = create_account(s, ADMIN, "nguyenvana", {"full_name": "Nguyễn Văn A", "role": "agency",
                                                                  "agency_id": str(w.agency_a)})
        user_id = user.id
    assert len(password) == 19 and password.count("-") == 3
    with runtime.session() as s:
        signed_in = authenticate(s, "nguyenvana", password)
        assert signed_in is not None and signed_in.must_change_password
        assert (signed_in.role, signed_in.agency_id) == ("agency", w.agency_a)
    [entry] = _audit(runtime, "user.create")
    assert entry.username == "quantri" and entry.source_ip == "198.51.100.7" and entry.target == f"user:{user_id}"
    assert entry.detail == {"before": None, "after": {
        "username": "nguyenvana", "active": True, "full_name": "Nguyễn Văn A", "role": "agency",
        "agency_id": w.agency_a, "must_change_password": True}}
    assert password not in str(entry.detail)


def test_bad_input_names_the_field_and_applies_nothing(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)  # has "vanhanh", the operator
    refusals = [
        ("username", "taken", lambda s: create_account(s, ADMIN, "VanHanh", {"role": "operator"})),
        ("username", "bad_username", lambda s: create_account(s, ADMIN, "văn hành", {"role": "operator"})),
        ("username", "bad_username", lambda s: create_account(s, ADMIN, "ab", {"role": "operator"})),
        ("role", "unknown_role", lambda s: create_account(s, ADMIN, "moi1", {"role": "superuser"})),
        ("role", "role_required", lambda s: create_account(s, ADMIN, "moi2", {"role": ""})),
        ("agency_id", "agency_required", lambda s: create_account(s, ADMIN, "moi3", {"role": "agency"})),
        ("agency_id", "unknown_agency", lambda s: create_account(s, ADMIN, "moi4", {"role": "agency",
                                                                                     "agency_id": "999"})),
        ("full_name", "too_long", lambda s: create_account(s, ADMIN, "moi5", {"role": "leader",
                                                                               "full_name": "x" * 201})),
    ]
    for field, code, change in refusals:
        _refused(runtime, field, code, change)
    wrong = _refused(runtime, "role", "unknown_role", lambda s: edit_account(
        s, ADMIN, w.operator.user_id, 0, {"role": "root", "full_name": "Đổi tên"}))
    assert "root" in wrong.message and "operator" in wrong.message  # says what exists
    with runtime.session() as s:
        operator = s.get(User, w.operator.user_id)
        assert operator is not None
        # Refused whole: neither the name nor the version moved.
        assert (operator.role, operator.full_name, operator.version) == ("operator", "Vanhanh", 0)


def test_edit_records_before_and_after_and_scopes_agency_to_agency_staff(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
    with runtime.session() as s:
        user = edit_account(s, ADMIN, w.staff_a.user_id, 0, {"role": "operator", "agency_id": str(w.agency_a),
                                                              "full_name": "Trần B", "must_change_password": True})
        assert (user.role, user.agency_id, user.version) == ("operator", None, 1)  # only agency staff have one
    [entry] = _audit(runtime, "user.edit")
    assert entry.detail is not None
    assert entry.detail["before"] == {"username": "donvi-a", "active": True, "full_name": "Donvi-A",
                                     "role": "agency", "agency_id": w.agency_a, "must_change_password": False}
    assert entry.detail["after"] == {"username": "donvi-a", "active": True, "full_name": "Trần B",
                                     "role": "operator", "agency_id": None, "must_change_password": True}


def test_a_second_admin_saving_an_older_version_is_told_and_changes_nothing(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        seen = accounts(s, w.leader.user_id)[0].version  # both admins open the form at this version
    with runtime.session() as s:
        edit_account(s, ADMIN, w.leader.user_id, seen, {"role": "analyst"})
    with pytest.raises(Conflict) as caught, runtime.session() as s:
        edit_account(s, Who(None, "quantri2"), w.leader.user_id, seen, {"role": "operator", "full_name": "X"})
    assert caught.value.status == 409 and "lanhdao" in caught.value.message
    for act in (lambda s: set_account_active(s, ADMIN, w.leader.user_id, seen, False),
                lambda s: reset_account_password(s, ADMIN, w.leader.user_id, seen)):
        with pytest.raises(Conflict), runtime.session() as s:
            act(s)
    with runtime.session() as s:
        row = accounts(s, w.leader.user_id)[0]
    assert (row.role, row.full_name, row.active, row.version) == ("analyst", "Lanhdao", True, seen + 1)
    assert len(_audit(runtime, "user.edit")) == 1


def test_saves_at_the_same_moment_apply_exactly_one(runtime: Runtime) -> None:
    """Eight admins press "save" on the same version at once: one wins, seven are told, none is lost silently."""
    with runtime.session() as s:
        w = world(s)
    barrier, outcomes, lock = threading.Barrier(8), [], threading.Lock()

    def save(n: int) -> None:
        barrier.wait()
        try:
            with runtime.session() as s:
                edit_account(s, Who(None, f"admin{n}"), w.analyst.user_id, 0, {"full_name": f"Tên {n}"})
            outcome = "saved"
        except Conflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["saved"]
    [entry] = _audit(runtime, "user.edit")
    with runtime.session() as s:
        row = accounts(s, w.analyst.user_id)[0]
    assert entry.detail is not None and row.full_name == entry.detail["after"]["full_name"] and row.version == 1


def test_deactivate_ends_sessions_and_reset_hands_out_a_new_one_time_password(runtime: Runtime) -> None:
    with runtime.session() as s:
        user = create_user(s, "truongca", "mat-khau-cu-rat-dai-1", Role.OPERATOR)
        create_user(s, "quantri", "mat-khau-quan-tri-01", Role.ADMIN)
        user_id = user.id
        tokens = [login_sessions.open_session(s, user_id) for _ in range(2)]
    with runtime.session() as s:
        assert set_account_active(s, ADMIN, user_id, 0, False) == 2
    with runtime.session() as s:
        assert all(login_sessions.signed_in_user(s, tok, runtime.settings.session_lifetimes) is None for tok in tokens)
        assert authenticate(s, "truongca", "mat-khau-cu-rat-dai-1") is None
        assert set_account_active(s, ADMIN, user_id, 1, True) == 0
    with runtime.session() as s:
        token = login_sessions.open_session(s, user_id)
    with runtime.session() as s:
        password = reset_account_password(s, ADMIN, user_id, 2)
    with runtime.session() as s:
        assert login_sessions.signed_in_user(s, token, runtime.settings.session_lifetimes) is None
        assert authenticate(s, "truongca", "mat-khau-cu-rat-dai-1") is None
        again = authenticate(s, "truongca", password)
        assert again is not None and again.must_change_password
        ended = s.scalars(select(LoginSession.end_reason).where(LoginSession.user_id == user_id)).all()
    assert sorted(ended) == ["deactivated", "deactivated", "password"]
    actions = [e.detail for e in _audit(runtime, "user.deactivate")]
    assert actions[0] is not None and actions[0]["before"]["active"] and not actions[0]["after"]["active"]
    assert actions[0]["after"]["sessions_ended"] == 2
    [reset] = _audit(runtime, "user.reset_password")
    assert reset.detail is not None and reset.detail["after"]["must_change_password"] is True
    assert password not in str(reset.detail)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(runtime: Runtime) -> None:
    with runtime.session() as s:
        only = create_user(s, "quantri", "mat-khau-quan-tri-01", Role.ADMIN).id
    _refused(runtime, "role", "last_admin", lambda s: edit_account(s, ADMIN, only, 0, {"role": "operator"}))
    _refused(runtime, "active", "last_admin", lambda s: set_account_active(s, ADMIN, only, 0, False))
    with runtime.session() as s:
        second = create_user(s, "quantri2", "mat-khau-quan-tri-02", Role.ADMIN).id
    with runtime.session() as s:
        edit_account(s, ADMIN, only, 0, {"role": "operator"})  # another admin remains
    _refused(runtime, "active", "last_admin", lambda s: set_account_active(s, ADMIN, second, 0, False))
