"""``/password``: a signed-in user sets their own password; one who must (a password an admin handed out)
reaches nothing else until they have (``dashboard.auth.guard``).

The current password is asked again (a borrowed session cannot take the account over) and counted by the
login lock-out like a login. A new password ends every session of the user, this one included; this
browser gets a fresh one, so only sessions opened with the old password die.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, redirect, render_template_string, request
from flask_login import current_user

from dashboard.auth import (
    CARD_PAGE_HEAD,
    PASSWORD_PATH,
    csrf_token,
    csrf_valid,
    runtime_of,
    safe_next,
    session_user_of,
    start_browser_session,
)
from dashboard.i18n import lang, t
from dashboard.messages import error_text
from data.accounts import login_guard
from data.accounts import sessions as login_sessions
from data.accounts.passwords import MIN_PASSWORD, set_own_password
from data.core.errors import FieldError
from data.models import User

FIELDS = ("current_password", "new_password", "repeat_password")
PAGE = CARD_PAGE_HEAD + """    <h2 class="h6 text-secondary mb-3">{{ title }}</h2>
    {% if forced %}<div class="alert alert-warning" role="alert" id="password-forced">{{ forced }}</div>{% endif %}
    {% if message %}<div class="alert alert-danger" role="alert" id="password-message">{{ message }}</div>{% endif %}
    <form method="post" action="{{ action }}">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ next }}">
      {% for name, label, autocomplete in fields %}
      <label class="form-label" for="{{ name }}">{{ label }}</label>
      <input class="form-control mb-3{% if name == wrong %} is-invalid{% endif %}" id="{{ name }}" name="{{ name }}"
             type="password" autocomplete="{{ autocomplete }}" required
             {% if name == wrong %}aria-invalid="true" aria-describedby="password-message"{% endif %}
             {% if loop.first %}autofocus{% endif %}>
      {% endfor %}
      <p class="small text-secondary" id="password-rule">{{ rule }}</p>
      <button class="btn btn-primary w-100" type="submit" id="password-submit">{{ submit }}</button>
    </form>
    <div class="mt-3 d-flex justify-content-between small">
      <a href="/logout">{{ logout }}</a><a href="/lang/{{ other }}?next={{ action }}">{{ switch }}</a>
    </div>
  </div>
</main></body></html>"""


def _page(message: str = "", wrong: str = "", status: int = 200) -> Response:
    html = render_template_string(
        PAGE, lang=lang(), title=t("pw.title"), app_title=t("app.title"), action=PASSWORD_PATH,
        forced=t("pw.forced") if current_user.must_change_password else "", message=message, wrong=wrong,
        csrf=csrf_token(), next=safe_next(request.values.get("next")), rule=t("pw.rule").format(n=MIN_PASSWORD),
        fields=[(name, t(f"field.{name}"), "current-password" if name == FIELDS[0] else "new-password")
                for name in FIELDS],
        submit=t("pw.submit"), logout=t("nav.logout"), switch=t("nav.switch"), other="en" if lang() == "vi" else "vi")
    return Response(html, status=status, mimetype="text/html")


def password_page() -> Any:
    """GET: the form; POST: check and set the new password, then go on to where the user was going."""
    if request.method == "GET":
        return _page()
    if not csrf_valid():
        return _page(t("login.expired"), status=400)
    form = {name: request.form.get(name, "") for name in FIELDS}
    if any("\x00" in value for value in form.values()):
        return _page(t("login.bad_input"), status=400)
    runtime = runtime_of()
    with runtime.session() as session:  # its own transaction: concurrent tries see this one's place
        attempt = login_guard.reserve(session, current_user.username, request.remote_addr)
    if attempt.blocked:
        with runtime.session() as session:
            login_guard.refused(session, attempt)
        return _page(t("login.blocked").format(minutes=attempt.minutes_left), status=429)
    with runtime.session() as session:
        user = session.get(User, int(current_user.id))
        assert user is not None  # the guard found this user's session a moment ago
        try:
            set_own_password(session, user, form["current_password"], form["new_password"],
                             form["repeat_password"], source_ip=request.remote_addr)
        except FieldError as exc:
            if exc.field == "current_password":
                login_guard.failed(session, attempt)
            else:
                login_guard.succeeded(session, attempt)
            error: FieldError | None = exc
        else:
            error = None
            login_guard.succeeded(session, attempt)
            token = login_sessions.open_session(session, user.id, source_ip=request.remote_addr,
                                                user_agent=request.user_agent.string)
            signed_in = session_user_of(user)
    if error is not None:
        return _page(error_text(error), wrong=error.field, status=400)
    start_browser_session(signed_in, token)
    return redirect(safe_next(request.form.get("next")))


def init_password(server: Flask) -> None:
    """Add ``/password`` to the server (after ``init_auth``: its guard keeps visitors out)."""
    server.add_url_rule(PASSWORD_PATH, "password", password_page, methods=["GET", "POST"])
