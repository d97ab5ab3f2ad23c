"""The audit log and login protection over HTTP (Flask test client), on SQLite and PostgreSQL: logins,
logouts and exports are recorded with the address; five failed logins lock the username and the
address for a while, raise one security alert, and even the right password is refused meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from data.accounts import login_guard
from data.accounts.users import create_user
from data.core.runtime import Runtime
from data.models import Alert, AuditEntry, Role, utcnow
from data.runtime import build_runtime
from tests.dashboard.test_report_form import serve
from tests.dbfixtures import settings_for
from tests.logins import client_login, client_logout, form_token

PASSWORD = "mat-khau-thu-nghiem-1"


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(settings_for(db_url))
    with runtime.session() as s:
        create_user(s, "vanhanh", PASSWORD, Role.OPERATOR)
        create_user(s, "quantri", PASSWORD, Role.ADMIN)
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> FlaskClient:
    return create_app(rt.settings, rt).server.test_client()


def _log(rt: Runtime) -> list[tuple[str, str | None, str | None, str | None]]:
    with rt.session() as s:
        return [(e.action, e.username, e.source_ip, e.target) for e in
                s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _login(client: FlaskClient, username: str, password: str = PASSWORD, **kwargs: Any) -> int:
    return client_login(client, username, password, **kwargs).status_code


def test_logins_logouts_and_exports_are_recorded_with_the_address(rt: Runtime, client: FlaskClient) -> None:
    assert _login(client, "vanhanh") == 302
    assert client.get("/api/reports/export.csv?period=30d").status_code == 200
    client_logout(client)
    assert _login(client, "vanhanh", "sai-mat-khau") == 401
    assert _log(rt) == [("login", "vanhanh", "127.0.0.1", None), ("export.csv", "vanhanh", "127.0.0.1", None),
                        ("logout", "vanhanh", "127.0.0.1", None), ("login_failed", "vanhanh", "127.0.0.1", None)]
    with rt.session() as s:
        export = s.scalar(select(AuditEntry).where(AuditEntry.action == "export.csv"))
        assert export is not None  # an operator's export holds reporters' names and phones: said so
        assert export.detail == {"query": "period=30d", "reporters": True}


def test_five_failed_logins_lock_the_user_and_raise_one_alert(rt: Runtime, client: FlaskClient) -> None:
    for _ in range(login_guard.FAILURES_MAX):
        assert _login(client, "vanhanh", "doan-mo-mat-khau") == 401
    blocked = client_login(client, "vanhanh", PASSWORD)  # the right one
    assert blocked.status_code == 429 and "tạm khoá 15 phút" in blocked.get_data(as_text=True)
    assert _login(client, "quantri") == 429  # the same address is locked too
    actions = [a for a, *_ in _log(rt)]
    assert actions == ["login_failed"] * 5 + ["login_blocked"] * 2
    with rt.session() as s:
        alerts = s.scalars(select(Alert).where(Alert.kind == "security")).all()
        assert len(alerts) == 1 and alerts[0].source_ref == "vanhanh" and "127.0.0.1" in alerts[0].title


def test_the_lock_lifts_after_the_window(rt: Runtime) -> None:
    long_ago = utcnow() - login_guard.WINDOW - timedelta(minutes=1)
    with rt.session() as s:
        for _ in range(login_guard.FAILURES_MAX):
            attempt = login_guard.reserve(s, "vanhanh", "10.0.0.9", now=long_ago)
            assert not attempt.blocked
            login_guard.failed(s, attempt, now=long_ago)
        assert login_guard.reserve(s, "vanhanh", "10.0.0.9", now=long_ago).blocked
        assert not login_guard.reserve(s, "vanhanh", "10.0.0.9").blocked  # 16 minutes later
        assert not login_guard.reserve(s, "quantri", "10.0.0.10", now=long_ago).blocked  # someone else, elsewhere
    nearly = utcnow() - login_guard.WINDOW + timedelta(seconds=50)
    with rt.session() as s:  # the lock lasts as long as the window that locks it, whatever else is fresh
        for _ in range(login_guard.FAILURES_MAX):
            login_guard.failed(s, login_guard.reserve(s, "phantich", "10.0.0.11", now=nearly), now=nearly)
        from_elsewhere = login_guard.reserve(s, "phantich", "10.0.0.12")
        assert from_elsewhere.blocked and from_elsewhere.minutes_left == 1


def test_concurrent_guesses_get_five_password_checks_not_more(rt: Runtime) -> None:
    """Guesses sent at once from one address, each in its own connection, against a real threaded server:
    only five passwords are checked; the others are refused before their check."""
    guesses = 16
    with serve(rt) as base:
        browsers = [requests.Session() for _ in range(guesses)]
        tokens = [form_token(b.get(f"{base}/login", timeout=60).text) for b in browsers]
        start = threading.Barrier(guesses)

        def guess(i: int) -> int:
            start.wait()
            return browsers[i].post(f"{base}/login", allow_redirects=False, timeout=300, data={
                "username": "vanhanh", "password": f"doan-mo-{i:04d}", "csrf_token": tokens[i]}).status_code

        with ThreadPoolExecutor(guesses) as pool:
            codes = sorted(pool.map(guess, range(guesses)))
    assert codes == [401] * login_guard.FAILURES_MAX + [429] * (guesses - login_guard.FAILURES_MAX)
    assert [a for a, *_ in _log(rt)].count("login_failed") == login_guard.FAILURES_MAX
    with rt.session() as s:
        assert len(s.scalars(select(Alert).where(Alert.kind == "security")).all()) == 1


def test_blocked_logins_leave_a_few_audit_rows_with_their_count(rt: Runtime, client: FlaskClient) -> None:
    for _ in range(login_guard.FAILURES_MAX):
        assert _login(client, "vanhanh", "doan-mo-mat-khau") == 401
    for _ in range(25):
        assert _login(client, "vanhanh", "doan-tiep") == 429
    with rt.session() as s:
        blocked = s.scalars(select(AuditEntry).where(AuditEntry.action == "login_blocked")
                            .order_by(AuditEntry.id)).all()
    # The first refusal, then one row at the 10th (then 100th, ...): a flood cannot fill the log.
    assert [(e.username, e.source_ip, (e.detail or {}).get("attempts")) for e in blocked] == [
        ("vanhanh", "127.0.0.1", 1), ("vanhanh", "127.0.0.1", 10)]


def test_behind_a_trusted_proxy_the_clients_address_is_logged_and_never_otherwise(db_url: str) -> None:
    forged = {"X-Forwarded-For": "203.0.113.7"}
    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        runtime = build_runtime(settings_for(db_url, trusted_proxies=hops))
        try:
            client = create_app(runtime.settings, runtime).server.test_client()
            _login(client, "ai-do", "x" * 12, headers=forged)
            assert [ip for _, _, ip, _ in _log(runtime)][-1] == expected
        finally:
            runtime.close()
