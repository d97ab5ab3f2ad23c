"""The frame around every page: navigation, language switch, user, and the page container."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from dashboard.api.live import TOPICS
from dashboard.auth import CSRF_FIELD, csrf_token
from dashboard.components import data_attrs
from dashboard.i18n import lang, t

NAV = (("overview", "/", "nav.overview"), ("map", "/map", "nav.map"),
       ("cameras", "/cameras", "nav.cameras"), ("alerts", "/alerts", "nav.alerts"),
       ("reports", "/reports", "nav.reports"), ("environment", "/environment", "nav.environment"),
       ("kpis", "/kpis", "nav.kpis"), ("hotline", "/hotline", "nav.hotline"),
       ("imports", "/imports", "nav.imports"), ("warnings", "/warnings", "nav.warnings"),
       ("audit", "/audit", "nav.audit"), ("admin", "/admin", "nav.admin"))


def layout() -> Any:
    """Built on every page load, so the menu fits the user and the language cookie."""
    links = []
    if current_user.is_authenticated:
        links = [dbc.NavItem(dbc.NavLink(t(key), href=href, active="exact", id=f"shell-nav-{name}"))
                 for name, href, key in NAV if current_user.may_open(name)]
    links.append(dbc.NavItem(dbc.NavLink(t("nav.public"), href="/public", active="exact",
                                         id="shell-nav-public")))
    other = "en" if lang() == "vi" else "vi"
    right = [dbc.NavItem(dbc.NavLink(t("nav.switch"), href=f"/lang/{other}", external_link=True,
                                     id="shell-lang"))]
    if current_user.is_authenticated:
        right.insert(0, dbc.NavItem(live_indicator()))
        right += [
            dbc.NavItem(html.A(f"{current_user.full_name} ({current_user.role})", href="/password",
                               title=t("pw.title"), className="nav-link px-2", id="shell-user")),
            dbc.NavItem(logout_form()),
        ]
    else:
        right.append(dbc.NavItem(dbc.NavLink(t("nav.login"), href="/login", external_link=True)))
    navbar = dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand(t("app.short"), href="/", className="fw-bold"),
            dbc.Nav(links, navbar=True, className="me-auto"),
            dbc.Nav(right, navbar=True),
        ], fluid=True),
        color="dark", dark=True, className="ioc-navbar", id="shell-navbar",
    )
    live = []
    if current_user.is_authenticated and current_user.may_open("alerts"):
        live = [html.Div(id="live-ticker", className="ioc-ticker"), html.Div(id="live-popup")]
    return html.Div([
        dcc.Location(id="shell-url"),
        dcc.Store(id="live-event"),  # the last pushed message (assets/ioc_live.js): pages listen to it
        dcc.Store(id="live-tick"),  # ... or, to redraw heavy figures, to this: at most one tick per 2 s
        dcc.Store(id="live-screen"),  # this tab's id: it tells its own actions' echoes from others'
        navbar,
        *live,
        dbc.Container(dash.page_container, fluid=True, className="ioc-page py-3"),
    ], lang=lang(), id="shell-root")


def logout_form() -> Any:
    """Logging out is a POST with the form token (a link could be followed by any page or image)."""
    return html.Form([
        dcc.Input(type="hidden", name=CSRF_FIELD, value=csrf_token(), id="shell-logout-token"),
        html.Button(t("nav.logout"), type="submit", id="shell-logout", className="nav-link btn btn-link"),
    ], method="post", action="/logout", className="d-flex")


def live_indicator() -> Any:
    """The feed's state, drawn by assets/ioc_live.js; its labels and topics travel in data attributes."""
    labels = {key: t(f"live.{key}") for key in ("on", "off", "connecting", "age", "ago", "sound", "ack", "open",
                                                "later", "severe", "none", "new_report")}
    return html.Span([
        html.Span(t("live.connecting"), id="live-indicator", className="badge text-bg-secondary ioc-live",
                  **data_attrs(labels=json.dumps(labels, ensure_ascii=False), topics=json.dumps(TOPICS))),
        html.Button("🔕", id="live-sound", title=t("live.sound"), className="btn btn-sm btn-link ioc-live-sound"),
    ], className="navbar-text px-2 d-flex align-items-center gap-1")
