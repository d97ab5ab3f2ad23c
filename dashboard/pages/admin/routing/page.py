"""The routing tester: its registration, its layout, and its callback handed to Dash."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.auth import runtime_of
from dashboard.i18n import t
from dashboard.pages.admin import menus
from dashboard.pages.admin.common import refused
from dashboard.pages.admin.routing import ids, tester

dash.register_page(__name__, path="/admin/routing", name="admin-routing", title="IOC – Thử định tuyến")
tester.callbacks.register()


def layout(**_: Any) -> Any:
    denied = refused("/admin/routing")
    if denied is not None:
        return denied
    with runtime_of().session() as session:
        categories, units = menus.categories(session), menus.units(session)
    return html.Div([
        html.H1(t("adm.route.title"), className="h4"),
        html.P(t("adm.route.note"), className="small"),
        tester.form(categories, units),
        html.Div(id=ids.ANSWER, role="status"),
    ])
