"""The IOC web app. ``python app.py`` runs web, stream gateway and jobs in one process (embedded mode).

In production: ``gunicorn 'app:server'`` for the web (several workers), ``python -m streams`` for
the gateways and ``python -m data.worker`` for the jobs, all sharing PostgreSQL and Redis.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import dash
from flask import Flask, jsonify
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import shell
from dashboard.api.blueprints import BLUEPRINTS
from dashboard.auth import init_auth
from dashboard.callback_guard import init_callback_guard
from dashboard.health import IocFlask, unavailable_page, wants_page
from dashboard.i18n import lang
from dashboard.password import init_password
from dashboard.security_headers import IocSessionInterface, init_security_headers
from data.accounts.users import create_demo_accounts, ensure_admin
from data.core.db import startup_lock
from data.core.errors import ConfigError, IocError, ServiceUnavailable
from data.core.runtime import Runtime
from data.core.settings import Settings, load_settings
from data.models import Agency
from data.runtime import build_runtime, watch_sweeps

ROOT = Path(__file__).resolve().parent
log = logging.getLogger("ioc")


def prepare_database(runtime: Runtime) -> None:
    """First admin from the environment; demo data and demo accounts into an empty demo database."""
    with startup_lock(runtime.engine):
        _prepare_database(runtime)


def _prepare_database(runtime: Runtime) -> None:
    settings = runtime.settings
    with runtime.session() as session:
        if ensure_admin(session, settings.admin_username, settings.admin_password):
            log.info("created admin %s", settings.admin_username)
    if not settings.demo:
        return
    from data.demo import seed_demo

    summary = seed_demo(runtime, settings)
    if summary:
        log.info("demo data seeded: %s", summary)
    with runtime.session() as session:
        agency_id = session.scalar(select(Agency.id).order_by(Agency.id).limit(1))
        accounts = create_demo_accounts(session, agency_id)
    if accounts:
        _announce_demo_accounts(settings, accounts)


def _announce_demo_accounts(settings: Settings, accounts: dict[str, str]) -> None:
    """Random passwords, shown once on the console and kept in var/ (never a default in the code)."""
    lines = [f"{user:10} {password}" for user, password in accounts.items()]
    path = ROOT / "var" / "demo-accounts.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    print("Tài khoản demo / demo accounts (also in var/demo-accounts.txt):", *lines, sep="\n  ",
          flush=True)


def create_server(settings: Settings, runtime: Runtime | None = None) -> Flask:
    """The Flask server with auth, error handling and the non-Dash routes."""
    runtime = runtime or build_runtime(settings, run_jobs_here=settings.run_workers)
    server = IocFlask(__name__)  # a database outage is a 503 with Retry-After at every door
    server.config.update(SECRET_KEY=settings.secret_key, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_HTTPONLY=True,
                         MAX_CONTENT_LENGTH=int(settings.intake_max_request_mb * 1024 * 1024))
    server.extensions["ioc"] = runtime
    server.session_interface = IocSessionInterface()  # Secure cookies over HTTPS (IOC_SESSION_COOKIE_SECURE)
    if settings.trusted_proxies:
        # Behind nginx & co. the socket's address is the proxy's: take the client's from the headers
        # the trusted hops set (rate limits and the audit log need the real one), never from more.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                   x_proto=settings.trusted_proxies)
    init_auth(server)
    init_password(server)

    @server.errorhandler(IocError)
    def _ioc_error(exc: IocError) -> Any:
        if isinstance(exc, ServiceUnavailable) and wants_page():
            return unavailable_page(exc)
        return jsonify(exc.as_json()), exc.status

    for mount in BLUEPRINTS:
        server.register_blueprint(mount.make(runtime), url_prefix=mount.url_prefix)
    return server


class IocDash(dash.Dash):
    """Dash whose page says its language (``<html lang>``): screen readers and the tile player read it."""

    def interpolate_index(self, *args: Any, **kwargs: Any) -> str:
        page = str(super().interpolate_index(*args, **kwargs))
        return page.replace("<html>", f'<html lang="{lang()}">', 1)


def create_app(settings: Settings, runtime: Runtime | None = None) -> dash.Dash:
    """The Dash app on its Flask server; pages live in ``dashboard/pages``."""
    server = create_server(settings, runtime)
    prepare_database(server.extensions["ioc"])
    app = IocDash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash takes a Flask server, whatever its annotation says
        use_pages=True,
        pages_folder=str(ROOT / "dashboard" / "pages"),
        assets_folder=str(ROOT / "assets"),
        external_stylesheets=["/vendor/bootstrap5/css/bootstrap.min.css"],
        title="IOC",
        suppress_callback_exceptions=True,
        update_title=None,  # type: ignore[arg-type]  # None: the tab's title stays while callbacks run
    )
    app.layout = shell.layout
    init_callback_guard(app)  # after Dash's own set-up hooks, so every callback is registered when it runs
    init_security_headers(server, app.csp_hashes)
    server.extensions["ioc"].jobs.start()
    watch_sweeps(server.extensions["ioc"])  # an alert when new reports stop being processed
    return app


def settle() -> None:
    """Move everything built at start-up out of the garbage collector's way: it lives as long as the
    process, and each full collection walked all of it, a ≈ 100 ms pause every few dozen requests
    (bench/map_density.py). Only for a serving process: tests build many apps in one."""
    gc.collect()
    gc.freeze()


def web_only(settings: Settings) -> Settings:
    """Settings for a gunicorn web process: it serves pages and never runs jobs. Each of its worker
    processes builds the app, so jobs here would run once per process (and a worker child each)."""
    if settings.run_workers:
        log.warning("gunicorn serves the web only: run the jobs with `python -m data.worker` "
                    "(IOC_RUN_WORKERS applies to `python app.py`)")
    return settings.model_copy(update={"run_workers": False})


def __getattr__(name: str) -> Any:
    """``gunicorn 'app:server'`` builds the app on first access, not at import time."""
    if name == "server":
        server = create_app(web_only(load_settings())).server
        settle()
        return server
    raise AttributeError(name)


def main() -> int:
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        app = create_app(settings)
        settle()
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    runtime: Runtime = app.server.extensions["ioc"]
    gateway = None
    if settings.run_streams:
        from streams.gateway import run_gateway_in_thread

        try:
            gateway = run_gateway_in_thread(runtime)
        except OSError as exc:
            print(f"error: the stream gateway cannot listen on {settings.streams_host}:{settings.streams_port} "
                  f"(IOC_STREAMS_HOST / IOC_STREAMS_PORT): {exc.strerror or exc}", file=sys.stderr)
            runtime.close()
            return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"IOC đang chạy / running at http://{settings.host}:{settings.port}/", flush=True)
    try:
        app.run(host=settings.host, port=settings.port, debug=False, threaded=True)
    finally:
        if gateway is not None:
            gateway.stop()
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
