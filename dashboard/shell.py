"""The frame around every page: navigation, language switch, user, and the page container."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from dashboard.i18n import lang, t

NAV = (("overview", "/", "nav.overview"), ("map", "/map", "nav.map"),
       ("cameras", "/cameras", "nav.cameras"), ("reports", "/reports", "nav.reports"),
       ("kpis", "/kpis", "nav.kpis"), ("hotline", "/hotline", "nav.hotline"),
       ("imports", "/imports", "nav.imports"), ("warnings", "/warnings", "nav.warnings"),
       ("audit", "/audit", "nav.audit"))


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
        right += [
            dbc.NavItem(html.Span(f"{current_user.full_name} ({current_user.role})",
                                  className="navbar-text px-2", id="shell-user")),
            dbc.NavItem(dbc.NavLink(t("nav.logout"), href="/logout", external_link=True,
                                    id="shell-logout")),
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
    return html.Div([
        dcc.Location(id="shell-url"),
        navbar,
        dbc.Container(dash.page_container, fluid=True, className="ioc-page py-3"),
    ], lang=lang(), id="shell-root")
