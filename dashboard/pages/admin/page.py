"""Quản trị (/admin): links to the admin pages; a new admin page adds its line to ``SECTIONS``."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.i18n import t
from dashboard.pages.admin.common import refused

dash.register_page(__name__, path="/admin", name="admin", title="IOC – Quản trị")

# (path, key of its title and of its one-line description in the catalogues, id of its card)
SECTIONS = (
    ("/admin/users", "adm.users.title", "adm.users.about", "admin-link-users"),
    ("/admin/apikeys", "adm.keys.title", "adm.keys.about", "admin-link-apikeys"),
    ("/admin/routing", "adm.route.title", "adm.route.about", "admin-link-routing"),
    ("/admin/cameras", "adm.cams.title", "adm.cams.about", "admin-link-cameras"),
)


def layout(**_: Any) -> Any:
    denied = refused("/admin")
    if denied is not None:
        return denied
    cards = [dbc.Col(dcc.Link(dbc.Card(dbc.CardBody([html.H2(t(title), className="h5"),
                                                      html.P(t(about), className="mb-0 text-secondary")])),
                              href=path, id=ident, className="text-decoration-none d-block h-100"),
                     md=6, xl=4, className="mb-3")
             for path, title, about, ident in SECTIONS]
    return html.Div([html.H1(t("adm.title"), className="h4"), html.P(t("adm.about")),
                     dbc.Row(cards, id="admin-sections")])
