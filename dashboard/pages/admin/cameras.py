"""Quản lý camera (/admin/cameras, admins only): the cameras with their live state, a form to add, edit, test
and disable one, the import of many from a file, and the groups with who may watch them.

Its parts live beside it (``cameras_list``, ``cameras_form``, ``cameras_import``, ``cameras_groups``, ids in
``cameras_ids``); this module registers the page and hands their callbacks to Dash. Every change is audited
with what it was before and after; camera passwords never reach the browser (URLs are shown masked).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import page_guard
from dashboard.i18n import t
from dashboard.pages.admin import cameras_form, cameras_groups, cameras_ids, cameras_import, cameras_list

PATH = "/admin/cameras"
dash.register_page(__name__, path=PATH, name="admin-cameras", title="IOC – Quản lý camera")
for part in (cameras_list, cameras_form, cameras_import, cameras_groups):
    part.callbacks.register()


def layout(**_: Any) -> Any:
    refused = page_guard("admin", PATH)  # every /admin page: the admin role (PAGE_ROLES["admin"])
    if refused is not None:
        return refused
    options, group_names = cameras_form.pick_options()
    sections = [
        ("cameras", "acam.tab.cameras", dbc.Row([dbc.Col(cameras_form.form_section(options, group_names), lg=5),
                                                 dbc.Col(cameras_list.list_section(), lg=7)], className="g-4")),
        ("import", "acam.tab.import", cameras_import.import_section()),
        ("groups", "acam.tab.groups", cameras_groups.groups_section()),
    ]
    # Sections one under another, with links to each: Bootstrap's tabs (dbc.Tabs) write ARIA that
    # axe-core refuses (ids ending in "null"), and a page of three parts reads well as it is.
    named: dict[str, Any] = {"aria-label": t("acam.title")}
    links = html.Nav(html.Ul([html.Li(html.A(t(label), href=f"#{cameras_ids.P}{key}-section", className="nav-link"),
                                      className="nav-item") for key, label, _ in sections], className="nav"),
                     className="bg-white border rounded", **named)
    return html.Div([
        html.H1(t("acam.title"), className="h4"),
        html.P(t("acam.intro"), className="small text-muted"),
        links,
        dcc.Store(id=cameras_ids.CHANGED),
        dcc.Store(id=cameras_ids.EDITING),
        *[html.Section([html.H2(t(label), className="h5 border-bottom pb-1"), body],
                       id=f"{cameras_ids.P}{key}-section", className="bg-white border rounded p-3 mt-3")
          for key, label, body in sections],
    ])
