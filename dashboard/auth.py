"""Login, logout, language cookie and the guard that keeps every page but the public one behind a login.

A login opens a server-side session (``data/accounts/sessions.py``): the signed cookie holds its random
token, and every request asks the database whether that session still counts, so logout, a new
password or a deactivation ends it for every copy of the cookie. The login and logout forms carry a
CSRF token kept in the cookie session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

from flask import Flask, Response, current_app, jsonify, redirect, render_template_string, request
from flask import session as browser_session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dashboard.i18n import LANGS, lang, t
from dashboard.security_headers import cookies_secure
from data.accounts import audit, login_guard
from data.accounts import sessions as login_sessions
from data.accounts.users import PAGE_ROLES, SEES_REPORTER, authenticate
from data.core.runtime import Runtime
from data.models import Role, User

# Paths anyone may open. Dash's own endpoints serve the public page too; the callbacks behind
# them are checked one by one in ``dashboard.callback_guard``.
OPEN_PREFIXES = (
    "/login", "/logout", "/lang/", "/public", "/assets/", "/vendor/", "/_dash-layout",
    "/_dash-dependencies", "/_dash-component-suites/", "/_favicon", "/_reload-hash", "/open311/",
    "/tiles/", "/healthz", "/webhooks/", "/phan-anh", "/api/public/",
    # Machines with an API key (checked by the view), not people with a session.
    "/api/sensors/", "/api/vessels/positions",
    # Served by a view that checks, file by file, that the viewer may see it.
    "/media/",
)


@dataclass(frozen=True)
class SessionUser(UserMixin):
    """The logged-in user as the web layer sees it: no password hash, no ORM session."""

    id: int
    username: str
    full_name: str
    role: Role
    agency_id: int | None
    must_change_password: bool = False  # then only the password page answers (``guard``)

    def get_id(self) -> str:
        return str(self.id)

    @property
    def sees_reporter(self) -> bool:
        return self.role in SEES_REPORTER

    def may_open(self, page: str) -> bool:
        return self.role in PAGE_ROLES.get(page, frozenset())


def runtime_of(app: Flask | None = None) -> Runtime:
    """The Runtime this Flask app was built with (``create_app`` stores it in extensions)."""
    runtime: Runtime = (app or current_app).extensions["ioc"]
    return runtime


PASSWORD_PATH = "/password"  # "change your password" (dashboard/password.py)
# What a user who must change their password may still reach: that page, logging out, the language
# switch, and the files the page is drawn with. Callbacks, APIs and every other page wait.
WHILE_CHANGING = (PASSWORD_PATH, "/logout", "/lang/", "/assets/", "/vendor/", "/_favicon")
SESSION_TOKEN_KEY = "ioc_session"  # in the signed cookie: the token of the server-side session
CSRF_KEY = "csrf"  # in the signed cookie: the token the login and logout forms must send back
CSRF_FIELD = "csrf_token"


def session_token() -> str | None:
    """This browser's server-side session token, if it has one."""
    token = browser_session.get(SESSION_TOKEN_KEY)
    return token if isinstance(token, str) else None


def _load_user(user_id: str) -> SessionUser | None:
    token = session_token()
    if token is None:
        return None
    runtime = runtime_of()
    with runtime.session() as session:
        user = login_sessions.signed_in_user(session, token, runtime.settings.session_lifetimes)
        if user is None or str(user.id) != user_id:
            return None
        return session_user_of(user)


def csrf_token() -> str:
    """The form token of this browser (made on first use, kept in its signed cookie)."""
    token = browser_session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = browser_session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_valid() -> bool:
    """Whether the posted form carries this browser's token (a page of another site cannot read it)."""
    expected = browser_session.get(CSRF_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    return isinstance(expected, str) and bool(expected) and secrets.compare_digest(expected.encode(), sent.encode())


def session_user_of(user: User) -> SessionUser:
    return SessionUser(user.id, user.username, user.full_name or user.username, Role(user.role),
                       user.agency_id, user.must_change_password)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login: never an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if any(ord(ch) < 32 for ch in target):  # a NUL or a line break is no path of ours
        return "/"
    return target


# The head of the small card pages outside Dash (login, password change): one look for both.
CARD_PAGE_HEAD = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="stylesheet" href="/vendor/bootstrap5/css/bootstrap.min.css">
<link rel="stylesheet" href="/assets/ioc.css"></head>
<body class="ioc-login-body">
<main class="ioc-login card shadow-sm">
  <div class="card-body">
    <h1 class="h4 mb-1">{{ app_title }}</h1>
"""
LOGIN_PAGE = CARD_PAGE_HEAD + """    <h2 class="h6 text-secondary mb-4">{{ title }}</h2>
    {% if message %}<div class="alert alert-{{ level }}" role="alert" id="login-message">{{ message }}</div>{% endif %}
    {% if logout %}
    <form method="post" action="/logout">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <button class="btn btn-primary w-100" type="submit" id="logout-submit">{{ submit }}</button>
    </form>
    {% else %}
    <form method="post" action="/login">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ next }}">
      <label class="form-label" for="username">{{ username }}</label>
      <input class="form-control mb-3" id="username" name="username" autocomplete="username" required autofocus>
      <label class="form-label" for="password">{{ password }}</label>
      <input class="form-control mb-4" id="password" name="password" type="password"
             autocomplete="current-password" required>
      <button class="btn btn-primary w-100" type="submit" id="login-submit">{{ submit }}</button>
    </form>
    {% endif %}
    <div class="mt-3 d-flex justify-content-between small">
      <a href="/public">{{ public }}</a><a href="/lang/{{ other }}?next=/login">{{ switch }}</a>
    </div>
  </div>
</main></body></html>"""


def _login_page(message: str = "", level: str = "danger", status: int = 200, logout: bool = False) -> Response:
    html = render_template_string(
        LOGIN_PAGE, lang=lang(), title=t("logout.question" if logout else "login.title"), app_title=t("app.title"),
        username=t("login.username"), password=t("login.password"),
        submit=t("nav.logout" if logout else "login.submit"), logout=logout, csrf=csrf_token(),
        public=t("nav.public"), switch=t("nav.switch"), other="en" if lang() == "vi" else "vi",
        message=message, level=level, next=safe_next(request.values.get("next")),
    )
    return Response(html, status=status, mimetype="text/html")


def login() -> Any:
    if request.method == "GET":
        required = request.args.get("required") == "1"
        return _login_page(t("login.required") if required else "", level="info")
    if not csrf_valid():
        return _login_page(t("login.expired"), status=400)
    if "\x00" in request.form.get("username", "") + request.form.get("password", ""):
        return _login_page(t("login.bad_input"), status=400)  # no one types it, and PostgreSQL cannot store it
    runtime = runtime_of()
    with runtime.session() as session:  # committed at once: concurrent attempts see this one's place
        attempt = login_guard.reserve(session, request.form.get("username", "").strip(), request.remote_addr)
    if attempt.blocked:
        # Not even checked: a guesser learns nothing until the window has passed.
        with runtime.session() as session:
            login_guard.refused(session, attempt)
        page = _login_page(t("login.blocked").format(minutes=attempt.minutes_left), status=429)
        page.headers["Retry-After"] = str(attempt.minutes_left * 60)
        return page
    signed_in = _check_password(runtime, attempt, request.form.get("password", ""))
    if signed_in is None:
        return _login_page(t("login.failed"), status=401)
    user, token = signed_in
    start_browser_session(user, token)
    if user.must_change_password:  # a password an admin handed out: the user's own comes first
        return redirect(f"{PASSWORD_PATH}?next={quote(safe_next(request.form.get('next')))}")
    return redirect(safe_next(request.form.get("next")))


def start_browser_session(user: SessionUser, token: str) -> None:
    """This browser is now signed in with the server-side session ``token``."""
    browser_session.clear()  # nothing from before the login carries over (no session fixation)
    browser_session[SESSION_TOKEN_KEY] = token
    login_user(user)


def _check_password(runtime: Runtime, attempt: login_guard.Attempt, password: str) -> tuple[SessionUser, str] | None:
    """The user and a new session's token for the right password; None (and a counted failure) otherwise."""
    with runtime.session() as session:
        user = authenticate(session, attempt.username, password)
        if user is None:
            login_guard.failed(session, attempt)
            return None
        login_guard.succeeded(session, attempt)
        audit.record(session, "login", user_id=user.id, username=attempt.username, source_ip=attempt.source_ip)
        token = login_sessions.open_session(session, user.id, source_ip=attempt.source_ip,
                                            user_agent=request.user_agent.string)
        return session_user_of(user), token


def logout() -> Any:
    """GET shows a button (a link or an image elsewhere logs nobody out); POST with the token logs out."""
    if request.method == "GET":
        return _login_page(logout=True) if current_user.is_authenticated else redirect("/login")
    if not csrf_valid():
        return _login_page(t("logout.expired"), status=400, logout=True)
    if current_user.is_authenticated:
        audit_action("logout")
    token = session_token()
    if token is not None:
        with runtime_of().session() as session:
            login_sessions.end(session, token)
    logout_user()
    browser_session.clear()
    return redirect("/login")


def audit_action(action: str, target: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append what the signed-in user just did, from which address, to the audit log."""
    user_id = int(current_user.id) if current_user.is_authenticated else None
    username = current_user.username if current_user.is_authenticated else None
    with runtime_of().session() as session:
        audit.record(session, action, user_id=user_id, username=username, target=target,
                     source_ip=request.remote_addr, detail=detail)


def set_language(code: str) -> Any:
    response = redirect(safe_next(request.args.get("next") or (request.referrer and
                                  urlparse(request.referrer).path)))
    if code in LANGS:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", secure=cookies_secure())
    return response


def _is_open(path: str) -> bool:
    return path == "/public" or path.startswith(OPEN_PREFIXES)


def guard() -> Any:
    """Run before every request: anonymous visitors reach only the login and public pages; a user who
    must change their password reaches only the password page."""
    path = request.path
    if current_user.is_authenticated:
        if not current_user.must_change_password or path.startswith(WHILE_CHANGING):
            return None
        if path.startswith(("/_dash-", "/api/", "/live/", "/open311/", "/media/", "/webhooks/")):
            return jsonify(ok=False, error=t("pw.must_change")), 403
        return redirect(f"{PASSWORD_PATH}?next={quote(safe_next(path))}")
    if path == "/_dash-update-component":
        return None  # each callback's roles, visitors' included: dashboard.callback_guard
    if _is_open(path):
        return None
    if path.startswith(("/api/", "/live/")):  # machines (and the live feed) get a 401, not the login page
        return jsonify(ok=False, error=t("login.required")), 401
    return redirect(f"/login?required=1&next={path}")


def init_auth(server: Flask) -> None:
    """Wire flask-login, the login/logout/language routes and the guard into the Flask server."""
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.init_app(server)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])
    server.add_url_rule("/lang/<code>", "set_language", set_language)
    server.before_request(guard)
