"""Login, logout, language cookie and the guard that keeps every page but the public one behind a login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, current_app, jsonify, redirect, render_template_string, request
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dashboard.i18n import LANGS, lang, t
from data import audit
from data.models import Role, User
from data.runtime import Runtime
from data.users import PAGE_ROLES, SEES_REPORTER, authenticate

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


def _load_user(user_id: str) -> SessionUser | None:
    with runtime_of().session() as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active:
            return None
        return _session_user(user)


def _session_user(user: User) -> SessionUser:
    return SessionUser(user.id, user.username, user.full_name or user.username, Role(user.role),
                       user.agency_id)


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


LOGIN_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="stylesheet" href="/vendor/bootstrap5/css/bootstrap.min.css">
<link rel="stylesheet" href="/assets/ioc.css"></head>
<body class="ioc-login-body">
<main class="ioc-login card shadow-sm">
  <div class="card-body">
    <h1 class="h4 mb-1">{{ app_title }}</h1>
    <h2 class="h6 text-secondary mb-4">{{ title }}</h2>
    {% if message %}<div class="alert alert-{{ level }}" role="alert" id="login-message">{{ message }}</div>{% endif %}
    <form method="post" action="/login">
      <input type="hidden" name="next" value="{{ next }}">
      <label class="form-label" for="username">{{ username }}</label>
      <input class="form-control mb-3" id="username" name="username" autocomplete="username" required autofocus>
      <label class="form-label" for="password">{{ password }}</label>
      <input class="form-control mb-4" id="password" name="password" type="password"
             autocomplete="current-password" required>
      <button class="btn btn-primary w-100" type="submit" id="login-submit">{{ submit }}</button>
    </form>
    <div class="mt-3 d-flex justify-content-between small">
      <a href="/public">{{ public }}</a><a href="/lang/{{ other }}?next=/login">{{ switch }}</a>
    </div>
  </div>
</main></body></html>"""


def _login_page(message: str = "", level: str = "danger", status: int = 200) -> Response:
    html = render_template_string(
        LOGIN_PAGE, lang=lang(), title=t("login.title"), app_title=t("app.title"),
        username=t("login.username"), password=t("login.password"), submit=t("login.submit"),
        public=t("nav.public"), switch=t("nav.switch"), other="en" if lang() == "vi" else "vi",
        message=message, level=level, next=safe_next(request.values.get("next")),
    )
    return Response(html, status=status, mimetype="text/html")


def login() -> Any:
    if request.method == "GET":
        required = request.args.get("required") == "1"
        return _login_page(t("login.required") if required else "", level="info")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address = request.remote_addr
    if "\x00" in username or "\x00" in password:  # no one types it, and PostgreSQL cannot store it
        return _login_page(t("login.bad_input"), status=400)
    with runtime_of().session() as session:
        if audit.login_blocked(session, username, address):
            # Not even checked: a guesser learns nothing until the window has passed.
            audit.record(session, "login_blocked", username=username, source_ip=address)
            minutes = int(audit.LOGIN_WINDOW.total_seconds() // 60)
            return _login_page(t("login.blocked").format(minutes=minutes), status=429)
        user = authenticate(session, username, password)
        found = _session_user(user) if user is not None else None
        if found is None:
            audit.login_failed(session, username, address)
        else:
            audit.record(session, "login", user_id=int(found.id), username=username, source_ip=address)
    if found is None:
        return _login_page(t("login.failed"), status=401)
    login_user(found)
    return redirect(safe_next(request.form.get("next")))


def logout() -> Any:
    if current_user.is_authenticated:
        audit_action("logout")
    logout_user()
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
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _is_open(path: str) -> bool:
    return path == "/public" or path.startswith(OPEN_PREFIXES)


def guard() -> Any:
    """Run before every request: anonymous visitors reach only the login and public pages."""
    if current_user.is_authenticated:
        return None
    path = request.path
    if path == "/_dash-update-component":
        return None  # each callback's roles, visitors' included: dashboard.callback_guard
    if _is_open(path):
        return None
    if path.startswith("/api/"):
        return jsonify(ok=False, error=t("login.required")), 401
    return redirect(f"/login?required=1&next={path}")


def init_auth(server: Flask) -> None:
    """Wire flask-login, the login/logout/language routes and the guard into the Flask server."""
    manager = LoginManager()
    manager.user_loader(_load_user)
    manager.init_app(server)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout)
    server.add_url_rule("/lang/<code>", "set_language", set_language)
    server.before_request(guard)
