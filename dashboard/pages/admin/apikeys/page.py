"""The API keys page: its registration, its layout, and its callbacks handed to Dash."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.i18n import t
from dashboard.pages.admin.apikeys import ids, keys
from dashboard.pages.admin.common import refused

dash.register_page(__name__, path="/admin/apikeys", name="admin-apikeys", title="IOC – Khoá API")
keys.callbacks.register()


def layout(**_: Any) -> Any:
    denied = refused("/admin/apikeys")
    if denied is not None:
        return denied
    return html.Div([
        html.H1(t("adm.keys.title"), className="h4"),
        html.P(t("adm.keys.note"), className="small"),
        dbc.Row([dbc.Col(html.Div(keys.table(), id=ids.LIST), lg=8), dbc.Col(keys.create_form(), lg=4)],
                className="g-3"),
        dcc.Store(id=ids.CHANGED, data=0),
    ])
