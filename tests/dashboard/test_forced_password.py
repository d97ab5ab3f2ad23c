"""A user given a one-time password reaches only /password until they set their own: pages redirect, callbacks
and APIs answer 403, on the server, whatever the browser sends. Over HTTP (Flask test client), on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from data.accounts.audit import Who
from data.accounts.user_admin import create_account
from data.accounts.users import create_user
from data.core.runtime import Runtime
from data.models import LoginSession, Role
from data.runtime import build_runtime
from tests.dbfixtures import settings_for
from tests.logins import TOKEN_FIELD, client_login, form_token

NEW = "sông Hương mùa thu lá vàng"
CALLBACK = {"output": "overview-body.children", "outputs": {"id": "overview-body", "property": "children"},
            "inputs": [{"id": "overview-tick", "property": "n_intervals", "value": 1},
                       {"id": "overview-live", "property": "data", "value": None}],
            "state": [], "changedPropIds": ["overview-tick.n_intervals"]}


@dataclass
class Site:
    rt: Runtime
    client: FlaskClient
    one_time: str  # the password an admin handed to "truongca"


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    runtime = build_runtime(settings_for(db_url))
    with runtime.session() as s:
        create_user(s, "quantri", "mat-khau-quan-tri-01", Role.ADMIN)
        _, password = create_account(s, Who(None, "quantri"), "truongca", {"role": "operator"})
    yield Site(runtime, create_app(runtime.settings, runtime).server.test_client(), password)
    runtime.close()


def _change(client: FlaskClient, current: str, new: str, repeat: str | None = None, next_: str = "/") -> TestResponse:
    token = form_token(client.get("/password").get_data(as_text=True))
    return client.post("/password", data={"current_password": current, "new_password": new,
                                          "repeat_password": new if repeat is None else repeat,
                                          "next": next_, TOKEN_FIELD: token})


def test_only_the_password_page_answers_until_the_password_is_changed(site: Site) -> None:
    rt, client, one_time = site.rt, site.client, site.one_time
    answer = client_login(client, "truongca", one_time)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/password?next=")
    for path in ("/", "/reports", "/map", "/public"):
        page = client.get(path)
        assert page.status_code == 302 and page.headers["Location"].startswith("/password"), path
    for method, path, body in (("post", "/_dash-update-component", CALLBACK), ("get", "/_dash-layout", None),
                               ("get", "/api/reports/export.csv", None), ("get", "/live/events", None)):
        refused = getattr(client, method)(path, json=body)
        assert refused.status_code == 403, path
        assert refused.get_json()["ok"] is False and "/password" in refused.get_json()["error"]
    form = client.get("/password")
    assert form.status_code == 200 and 'id="password-forced"' in form.get_data(as_text=True)
    assert client.get("/assets/ioc.css").status_code == 200  # the page's own style still loads

    weak = _change(client, one_time, "matkhau2025")
    text = weak.get_data(as_text=True)
    assert weak.status_code == 400 and "Mật khẩu mới" in text and 'aria-invalid="true"' in text
    assert client.get("/reports").status_code == 302  # still held

    done = _change(client, one_time, NEW, next_="/reports")
    assert done.status_code == 302 and done.headers["Location"] == "/reports"
    assert client.get("/reports").status_code == 200
    assert client.post("/_dash-update-component", json=CALLBACK).status_code == 200
    with rt.session() as s:  # the session opened with the one-time password ended; this browser has a new one
        reasons = s.scalars(select(LoginSession.end_reason).order_by(LoginSession.id)).all()
    assert reasons == ["password", None]


def test_a_wrong_current_password_counts_towards_the_lock_out(site: Site) -> None:
    client, one_time = site.client, site.one_time
    assert client_login(client, "truongca", one_time).status_code == 302
    for _ in range(5):
        wrong = _change(client, "khong-phai-mat-khau", NEW)
        assert wrong.status_code == 400 and "Mật khẩu hiện tại" in wrong.get_data(as_text=True)
    blocked = _change(client, one_time, NEW)
    assert blocked.status_code == 429
    assert client.get("/reports").status_code == 302  # and the forced change still holds


def test_a_signed_in_user_may_change_their_password_any_time(site: Site) -> None:
    client = site.client
    assert client_login(client, "quantri", "mat-khau-quan-tri-01").status_code == 302
    assert client.get("/reports").status_code == 200
    form = client.get("/password").get_data(as_text=True)
    assert 'id="password-forced"' not in form and 'id="current_password"' in form
    assert _change(client, "mat-khau-quan-tri-01", NEW, repeat=NEW + "!").status_code == 400
    assert _change(client, "mat-khau-quan-tri-01", NEW).status_code == 302
    assert client.get("/reports").status_code == 200
