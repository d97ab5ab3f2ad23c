"""The users page: its registration, its layout, and the callbacks of its modules handed to Dash."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import runtime_of
from dashboard.i18n import t
from dashboard.pages.admin import menus
from dashboard.pages.admin.common import refused
from dashboard.pages.admin.users import create, ids, panel, table

dash.register_page(__name__, path="/admin/users", name="admin-users", title="IOC – Tài khoản")
for part in (table, create, panel):
    part.callbacks.register()


def layout(**_: Any) -> Any:
    denied = refused("/admin/users")
    if denied is not None:
        return denied
    with runtime_of().session() as session:
        choices = {"roles": menus.roles(), "agencies": menus.agencies(session), "units": menus.units(session)}
    return html.Div([
        html.H1(t("adm.users.title"), className="h4"),
        html.P(t("adm.users.note"), className="small"),
        dbc.Row([
            dbc.Col(html.Div(table.table(), id=ids.LIST), lg=8),
            dbc.Col([create.create_form(choices), html.Div(panel.panel(choices), className="mt-3")], lg=4),
        ], className="g-3"),
        dcc.Store(id=ids.TARGET),
        dcc.Store(id=ids.CHANGED, data=0),
    ])
