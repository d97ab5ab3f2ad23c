"""Sessions over HTTP (Flask test client), on SQLite and PostgreSQL: a session lives in the database,
so logging out, a new password or a deactivated account ends it for every copy of its cookie; it
ends by itself when idle or old; the login form carries a CSRF token and logout is a POST; cookies are
Secure over HTTPS; every page refuses to be framed and carries a Content-Security-Policy that still
lets Dash's own inline scripts run."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app import create_app
from dashboard.security_headers import content_policy
from data.accounts import login_guard
from data.accounts import sessions as login_sessions
from data.accounts.sessions import prune_job
from data.accounts.users import change_password, create_user, set_active
from data.core.runtime import Runtime
from data.models import LoginCounter, LoginSession, Role, User, utcnow
from data.runtime import build_runtime
from tests.dbfixtures import settings_for
from tests.factories import report, world
from tests.logins import TOKEN_FIELD, client_login, client_logout, form_token

PASSWORD = "mat-khau-thu-nghiem-1"
PHONE = "0905123456"  # the factories' reporter phone


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(settings_for(db_url))
    with runtime.session() as s:
        report(s, world(s))  # a report with its reporter's phone (factories' users never log in)
        create_user(s, "truongca", PASSWORD, Role.OPERATOR)
    yield runtime
    runtime.close()


@pytest.fixture
def app_client(rt: Runtime) -> FlaskClient:
    return create_app(rt.settings, rt).server.test_client()


EXPORT = "/api/reports/export.csv?period=30d"


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(rt: Runtime, value: str) -> FlaskClient:
    """Another browser (an attacker's) that only has the captured cookie."""
    other = create_app(rt.settings, rt).server.test_client()
    other.set_cookie("session", value)
    return other


def _signed_in(client: FlaskClient) -> FlaskClient:
    assert client_login(client, "truongca", PASSWORD).status_code == 302
    exported = client.get(EXPORT)
    assert exported.status_code == 200 and PHONE in exported.get_data(as_text=True)
    return client


def test_a_cookie_captured_before_logout_is_refused_afterwards(rt: Runtime, app_client: FlaskClient) -> None:
    captured = _cookie(_signed_in(app_client))
    assert client_logout(app_client).status_code == 302
    replayed = _with_cookie(rt, captured).get(EXPORT)
    assert replayed.status_code == 401  # the reporters' phones stay sealed
    assert PHONE not in replayed.get_data(as_text=True)
    assert app_client.get(EXPORT).status_code == 401


def test_a_new_password_or_a_deactivation_ends_every_session_of_the_user(rt: Runtime) -> None:
    for end in ("password", "deactivate"):
        desk = _signed_in(create_app(rt.settings, rt).server.test_client())
        wall = _signed_in(create_app(rt.settings, rt).server.test_client())
        with rt.session() as s:
            user = s.query(User).filter_by(username="truongca").one()
            if end == "password":
                assert change_password(s, user, "mat-khau-moi-0123") == 2
            else:
                assert set_active(s, user, False) == 2
        assert desk.get(EXPORT).status_code == 401
        assert wall.get(EXPORT).status_code == 401
        with rt.session() as s:
            user = s.query(User).filter_by(username="truongca").one()
            set_active(s, user, True)
            change_password(s, user, PASSWORD)


def _set_back(rt: Runtime, **columns: object) -> int:
    """Set the newest session's clock back, as if that much time had passed; its id."""
    with rt.session() as s:
        newest = s.scalars(select(LoginSession.id).order_by(LoginSession.id.desc()).limit(1)).one()
        s.execute(update(LoginSession).where(LoginSession.id == newest).values(columns))
    return newest


def test_sessions_end_when_idle_or_too_old(rt: Runtime) -> None:
    idle, absolute = rt.settings.session_lifetimes.idle, rt.settings.session_lifetimes.absolute
    for column, age in (("last_seen_at", idle), ("created_at", absolute)):
        client = _signed_in(create_app(rt.settings, rt).server.test_client())
        _set_back(rt, **{column: utcnow() - age - timedelta(seconds=5)})
        assert client.get(EXPORT).status_code == 401
    fresh = _signed_in(create_app(rt.settings, rt).server.test_client())
    # Just inside both limits: still signed in, and the visit counts as use.
    newest = _set_back(rt, last_seen_at=utcnow() - idle + timedelta(minutes=1),
                       created_at=utcnow() - absolute + timedelta(minutes=1))
    assert fresh.get(EXPORT).status_code == 200
    with rt.session() as s:
        assert utcnow() - s.get_one(LoginSession, newest).last_seen_at < timedelta(minutes=1)


def test_lifetimes_are_pure_arithmetic() -> None:
    limits = login_sessions.Lifetimes(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    start = utcnow()
    assert login_sessions.alive(start, start + timedelta(minutes=29), start + timedelta(minutes=58), limits)
    assert not login_sessions.alive(start, start, start + timedelta(minutes=31), limits)
    assert not login_sessions.alive(start, start + timedelta(hours=8), start + timedelta(hours=8, seconds=1), limits)


def test_old_sessions_and_passed_windows_are_forgotten(rt: Runtime) -> None:
    limits, now = rt.settings.session_lifetimes, utcnow()
    long_ago = now - login_sessions.KEEP_ENDED - limits.absolute - timedelta(days=1)
    with rt.session() as s:
        user_id = s.query(User.id).filter_by(username="truongca").scalar()
        old = login_sessions.open_session(s, user_id, now=long_ago)
        login_sessions.end(s, old, now=long_ago)
        current = login_sessions.open_session(s, user_id)
        login_guard.failed(s, login_guard.reserve(s, "ai-do", "10.0.0.1", now=long_ago), now=long_ago)
        login_guard.reserve(s, "vanhanh", "10.0.0.2")
    assert prune_job(rt) == 1 + 2  # one session; the old window's user and address
    with rt.session() as s:
        assert [row.token_hash for row in s.query(LoginSession)] == [hashlib.sha256(current.encode()).hexdigest()]
        assert sorted(c.key for c in s.query(LoginCounter)) == ["addr:10.0.0.2", "user:vanhanh"]


def test_the_login_form_needs_its_token(app_client: FlaskClient) -> None:
    form = {"username": "truongca", "password": PASSWORD}
    missing = app_client.post("/login", data=form)
    assert missing.status_code == 400
    assert "Phiên của trang đăng nhập đã hết hạn" in missing.get_data(as_text=True)
    assert form_token(missing.get_data(as_text=True))  # the page answered offers a fresh form
    forged = app_client.post("/login", data=form | {TOKEN_FIELD: "x" * 43})
    assert forged.status_code == 400
    assert app_client.get(EXPORT).status_code == 401
    app_client.set_cookie("lang", "en")
    assert "The login page expired" in app_client.post("/login", data=form).get_data(as_text=True)


def test_logout_is_a_post_with_the_token(app_client: FlaskClient) -> None:
    _signed_in(app_client)
    page = app_client.get("/logout")  # a link (or an image on another site) does not log anyone out
    assert page.status_code == 200 and form_token(page.get_data(as_text=True))
    assert app_client.get(EXPORT).status_code == 200
    assert app_client.post("/logout").status_code == 400
    assert app_client.get(EXPORT).status_code == 200
    assert client_logout(app_client).headers["Location"] == "/login"
    assert app_client.get(EXPORT).status_code == 401


def _components(node: object) -> Iterator[dict[str, Any]]:
    """Every component of a Dash layout (as /_dash-layout answers it), depth first."""
    if isinstance(node, list):
        for child in node:
            yield from _components(child)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _components(node["props"].get("children"))


def test_the_navbar_logs_out_with_a_form(app_client: FlaskClient) -> None:
    _signed_in(app_client)
    layout = app_client.get("/_dash-layout").get_json()
    form = next(c for c in _components(layout) if c["props"].get("action") == "/logout")
    assert form["type"] == "Form" and form["props"]["method"] == "post"
    fields = {c["props"].get("name"): c["props"].get("value") for c in _components(form)}
    token = fields[TOKEN_FIELD]
    assert token and app_client.post("/logout", data={TOKEN_FIELD: token}).status_code == 302
    assert app_client.get(EXPORT).status_code == 401


@pytest.mark.parametrize(("setting", "base", "url", "secure"), [
    ("auto", "http://127.0.0.1:8050", "http://localhost", False),
    ("auto", "https://ioc.hue.gov.vn", "http://localhost", True),  # production: behind the TLS proxy
    ("auto", "http://127.0.0.1:8050", "https://localhost", True),  # served over HTTPS
    ("always", "http://127.0.0.1:8050", "http://localhost", True),
    ("never", "https://ioc.hue.gov.vn", "https://localhost", False),
])
def test_the_session_cookie_is_secure_over_https(sqlite_url: str, setting: str, base: str, url: str,
                                                 secure: bool) -> None:
    runtime = build_runtime(settings_for(sqlite_url, session_cookie_secure=setting, public_base_url=base))
    try:
        client = create_app(runtime.settings, runtime).server.test_client()
        cookies = client.get("/login", base_url=url).headers.getlist("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("session="))
        assert ("; Secure" in session_cookie) is secure
        assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    finally:
        runtime.close()


def test_the_policy_names_the_tile_servers_and_forbids_framing() -> None:
    settings = settings_for("sqlite://")  # the default OpenStreetMap and CARTO tiles
    policy = dict(d.split(" ", 1) for d in content_policy(settings, ["'sha256-abc='"]).split("; "))
    assert policy["img-src"].split() == ["'self'", "data:", "blob:", "https://*.basemaps.cartocdn.com",
                                         "https://tile.openstreetmap.org"]
    assert policy["script-src"].split()[-1] == "'sha256-abc='" and "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    own = settings_for("sqlite://", map_tile_url="/tiles/{z}/{x}/{y}.png",
                       map_dark_tile_url="/tiles/dark/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob:;" in content_policy(own, [])


def _inline_script_hashes(html: str) -> set[str]:
    """The sha256 of every inline script the browser would run (JSON data blocks and comments are not run)."""
    found = set()
    uncommented = re.sub(r"<!--.*?-->", "", html, flags=re.S)  # Dash's "[if IE]" warning is a comment
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", uncommented, flags=re.S):
        if "src=" in attributes or "application/json" in attributes:
            continue
        found.add("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'")
    return found


def test_pages_refuse_framing_and_allow_only_their_own_scripts(app_client: FlaskClient) -> None:
    login_page = app_client.get("/login")
    assert "frame-ancestors 'none'" in login_page.headers["Content-Security-Policy"]
    assert login_page.headers["X-Frame-Options"] == "DENY"
    _signed_in(app_client)
    for path in ("/", "/reports", "/public"):
        page = app_client.get(path)
        policy = page.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert "'unsafe-inline'" not in directives["script-src"]
        inline = _inline_script_hashes(page.get_data(as_text=True))
        assert inline, "Dash renders its start-up script inline"
        assert inline <= set(directives["script-src"].split())
