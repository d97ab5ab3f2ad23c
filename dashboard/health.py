"""The service's health as its doors show it: ``/healthz``, and 503 with Retry-After while the database is down.

While the database is unreachable every door (pages, Dash callbacks, Open311, the form, the APIs, the
login) answers 503 with ``Retry-After``, each in its own error format (the blueprint's ``IocError``
handler renders it), instead of a 500 that says "our bug". Nothing needs a restart when the database
returns: the pool checks each connection before lending it (``pool_pre_ping``).

``/healthz`` is for load balancers and operators: 503 when this process cannot serve (the database is
down), 200 otherwise, with what is degraded named in the body: Redis (reports are still taken; jobs
and live push wait for it) and the sweep that processes new reports (late when none has started for
``IOC_JOB_STALL_AFTER_S``; operators also get an alert, ``data/core/job_runs.py``).
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from markupsafe import escape
from sqlalchemy import text

from dashboard.i18n import lang, t
from data.core.db import database_outage
from data.core.errors import ServiceUnavailable
from data.core.runtime import Runtime
from data.models import utcnow
from data.monitoring.sweeps import SWEEP

log = logging.getLogger(__name__)
DEFAULT_LATE_S = 60  # /healthz calls a sweep late after this when the stall alert is switched off


class IocFlask(Flask):
    """Flask whose every error path knows that a database outage is a 503 to retry, not a 500."""

    def handle_user_exception(self, e: Exception) -> Any:
        if database_outage(e):
            log.warning("database unavailable: %s %s: %s", request.method, request.path, _first_line(e))
            e = ServiceUnavailable(t("app.unavailable.database").format(seconds=ServiceUnavailable.retry_after_s))
        answer = super().handle_user_exception(e)
        if isinstance(e, ServiceUnavailable):
            response: Response = self.make_response(answer)
            response.headers["Retry-After"] = str(e.retry_after_s)
            return response
        return answer


# Plain formatting, not a Jinja template: Flask-Login's template context would load the user, from the
# database that is down.
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/vendor/bootstrap5/css/bootstrap.min.css"></head>
<body class="p-4"><main class="container" style="max-width: 40rem">
<h1 class="h4">{title}</h1><p id="unavailable-message">{message}</p>
<a class="btn btn-primary" href="">{retry}</a>
</main></body></html>"""


def wants_page() -> bool:
    """A browser navigating (it prefers HTML), not a script or a Dash callback."""
    return request.accept_mimetypes.best == "text/html"


def unavailable_page(exc: ServiceUnavailable) -> Response:
    html = UNAVAILABLE_PAGE.format(lang=lang(), title=escape(t("app.unavailable.title")),
                                   message=escape(exc.message), retry=escape(t("app.unavailable.retry")))
    return Response(html, status=exc.status, mimetype="text/html")


def health(runtime: Runtime) -> tuple[dict[str, Any], int]:
    """The body and status of ``/healthz``."""
    database = _database(runtime)
    redis_state, sweep = _redis_and_sweep(runtime)
    now = utcnow()
    limit = runtime.settings.job_stall_after_s or DEFAULT_LATE_S
    started = sweep.started if sweep else None
    late = started is None or (now - started).total_seconds() > limit
    down = [name for name, state in (("database", database), ("redis", redis_state)) if state == "down"]
    body = {
        "ok": not down and not late,
        "down": down,
        "database": database,
        "redis": redis_state,
        "jobs": {SWEEP: {"last_started": _city_time(runtime, started), "late": late}},
    }
    return body, 503 if database == "down" else 200


def healthz(runtime: Runtime) -> Response:
    body, status = health(runtime)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(ServiceUnavailable.retry_after_s)
    return response


def _database(runtime: Runtime) -> str:
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - whatever the reason, this process cannot serve
        log.warning("healthz: database unavailable: %s", _first_line(exc))
        return "down"


def _redis_and_sweep(runtime: Runtime) -> tuple[str, Any]:
    """Redis's state ("ok", "down", "unused") and the sweep's last run (None when unknown or never)."""
    try:
        if runtime.redis is not None:
            runtime.redis.ping()
        return ("ok" if runtime.redis is not None else "unused"), runtime.job_runs.last().get(SWEEP)
    except Exception as exc:  # noqa: BLE001 - Redis down: the sweep's stamp is unknown too
        log.warning("healthz: Redis unavailable: %s", exc)
        return "down", None


def _first_line(exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip()
    return reason.splitlines()[0] if reason else type(exc).__name__


def _city_time(runtime: Runtime, at: Any) -> str | None:
    return at.replace(tzinfo=UTC).astimezone(runtime.settings.tz).isoformat() if at is not None else None


def make_health_blueprint(runtime: Runtime) -> Blueprint:
    """``/healthz`` (open to anyone: it names states, never addresses or reasons)."""
    bp = Blueprint("health", __name__)
    bp.add_url_rule("/healthz", "healthz", lambda: healthz(runtime))
    return bp
