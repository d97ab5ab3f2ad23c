"""The detail panel of the report picked in the grid: its facts, photos, place, suggested category,
likely duplicates, the actions the viewer may take, and its history."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import Input, Output, html
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.components import data_attrs, fmt_number, fmt_time
from dashboard.i18n import lang, t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.reports import ids
from dashboard.pages.reports.actions import actor
from data.core.errors import IocError
from data.reports.detail import CONFIRM_CATEGORY, Detail, load_detail

callbacks = PageCallbacks()

callbacks.clientside(
    """
    function (selected) {
        if (!selected || !selected.length) { return window.dash_clientside.no_update; }
        return parseInt(selected[0].id, 10);
    }
    """,
    Output(ids.SELECTED, "data"),
    Input(ids.GRID, "selectedRows"),
)


@callbacks.callback(
    Output(ids.PANEL, "children"),
    Input(ids.SELECTED, "data"),
    Input(ids.VERSION, "data"),
)
def panel(report_id: int | None, _version: int | None) -> Any:
    if not report_id:
        raise PreventUpdate
    settings = runtime_of().settings
    try:
        with runtime_of().session() as session:
            detail = load_detail(session, int(report_id), actor(), radius_m=settings.duplicate_radius_m,
                                 days=settings.duplicate_days)
    except IocError as exc:
        return dbc.Alert(exc.message, color="warning")
    return _panel(detail)


def _panel(detail: Detail) -> Any:
    parts = [_header(detail), _actions(detail), _suggestion(detail), _facts(detail), _photos(detail),
             _map(detail), _duplicates(detail), _timeline(detail)]
    return html.Div(dbc.Card(dbc.CardBody([p for p in parts if p is not None])),
                    **data_attrs(report=detail.view["id"]))


def _name(detail: Detail, key: str) -> str:
    pair = detail.names.get(key)
    if pair is None:
        return "—"
    return pair[1] if lang() == "en" else pair[0]


def _facts(detail: Detail) -> Any:
    v = detail.view
    facts = [
        (t("col.time"), fmt_time(v["created_at"])), (t("col.channel"), t_enum("channel", v["channel"])),
        (t("col.category"), _name(detail, "category")), (t("col.agency"), _name(detail, "agency")),
        (t("rep.area"), _name(detail, "area")), (t("col.deadline"), fmt_time(v["expected_at"]) or "—"),
        (t("rep.address"), v.get("address") or "—"),
    ]
    if v.get("urgency") == "emergency":
        facts.append((t("hot.urgency"), t("hot.emergency")))
    if v.get("me_too_count"):
        facts.append((t("rep.me_too"), str(v["me_too_count"])))
    if v.get("result_text"):
        facts.append((t("col.result"), v["result_text"]))
    if "reporter_phone" in v:  # only in the view of the roles that may see the reporter
        who = " · ".join(x for x in (v.get("reporter_name"), v.get("reporter_phone"), v.get("reporter_email")) if x)
        facts.append((t("rep.reporter"), html.Span(who or "—", id=ids.PANEL_REPORTER)))
    return html.Dl([item for label, value in facts
                    for item in (html.Dt(label, className="col-4"), html.Dd(value, className="col-8 mb-1"))],
                   className="row small mb-2")


def _header(detail: Detail) -> Any:
    v = detail.view
    badges = [html.Span(t_enum("status", v["status"]), id=ids.PANEL_STATUS, className="badge bg-primary me-1",
                        **data_attrs(status=v["status"]))]
    if detail.overdue:
        badges.append(dbc.Badge(t("common.overdue"), color="danger", className="me-1"))
    if v.get("published"):
        badges.append(dbc.Badge(t("rep.published"), color="success"))
    return html.Div([
        html.H2(v["tracking_code"], className="h5 mb-1", id=ids.PANEL_CODE),
        html.Div(badges, className="mb-2"),
        html.P(html.Strong(v.get("title") or ""), className="mb-1"),
        html.P(v.get("description") or "", className="small", style={"whiteSpace": "pre-wrap"}),
    ])


def _photos(detail: Detail) -> Any:
    if not detail.photos:
        return None
    items = []
    for p in detail.photos:
        inner: Any = (html.Img(src=f"/media/{p.key}?thumb=1", alt=p.name, className="img-thumbnail",
                               style={"height": "84px"}) if p.has_thumbnail else f"{p.kind}: {p.name}")
        items.append(html.A(inner, href=f"/media/{p.key}", target="_blank", rel="noopener", className="me-2 mb-2"))
    return html.Div([html.H3(t("rep.photos"), className="h6"), html.Div(items, className="d-flex flex-wrap")],
                    id=ids.PANEL_PHOTOS)


def _map(detail: Detail) -> Any:
    lat, lon = detail.view.get("lat"), detail.view.get("lon")
    if lat is None or lon is None:
        return None
    settings = runtime_of().settings
    return dl.Map([dl.TileLayer(url=settings.map_tile_url, attribution=settings.map_tile_attribution),
                   dl.Marker(position=[lat, lon])],
                  center=[lat, lon], zoom=16, id=ids.PANEL_MAP,
                  style={"height": "200px", "borderRadius": ".5rem"}, className="mb-2")


def _suggestion(detail: Detail) -> Any:
    if "reclassify" not in detail.actions and detail.suggested_category_id is None:
        return None
    parts: list[Any] = []
    if detail.suggested_category_id is not None:
        confidence = f" ({fmt_number((detail.confidence or 0) * 100)}%)"
        parts.append(html.Span([t("rep.suggested"), ": ", html.Strong(_name(detail, "suggested")), confidence],
                               className="me-2"))
    else:
        parts.append(html.Span([t("col.category"), ": ", html.Strong(_name(detail, "category"))], className="me-2"))
    if detail.view.get("category_confirmed"):
        parts.append(dbc.Badge(t("rep.confirmed"), color="success", className="me-2"))
    if "reclassify" in detail.actions:
        if detail.suggested_category_id is not None or detail.view.get("category_id") is not None:
            parts.append(dbc.Button(t("rep.confirm"), id={"type": ids.DIRECT, "action": CONFIRM_CATEGORY},
                                    size="sm", color="success", outline=True, className="me-1"))
        parts.append(dbc.Button(t("act.reclassify"), id={"type": ids.ACTION, "action": "reclassify"},
                                size="sm", color="secondary", outline=True))
    return html.Div(parts, className="mb-2 small", id=ids.PANEL_SUGGESTION)


def _duplicates(detail: Detail) -> Any:
    if not detail.duplicates:
        return None
    rows = []
    for d in detail.duplicates:
        facts = [d.tracking_code, t_enum("status", d.status)]
        if d.distance_m is not None:
            facts.append(f"{fmt_number(d.distance_m)} m")
        if d.score is not None:
            facts.append(f"{fmt_number(d.score * 100)}%")
        rows.append(html.Li([html.Span(" · ".join(facts), className="me-2"),
                             dbc.Button(t("rep.merge"), id={"type": ids.MERGE, "id": d.report_id},
                                        size="sm", color="warning", outline=True)], className="mb-1"))
    return html.Div([html.H3(t("rep.duplicates"), className="h6"),
                     html.Ul(rows, className="list-unstyled small mb-1"),
                     html.Div(t("rep.merge_hint"), className="small text-secondary")],
                    id=ids.PANEL_DUPLICATES, className="mb-2")


def _actions(detail: Detail) -> Any:
    buttons = [dbc.Button(t(f"act.{a}"), id={"type": ids.ACTION, "action": a}, size="sm",
                          color="primary", outline=True, className="me-1 mb-1")
               for a in detail.actions if a != "reclassify"]
    if not buttons:
        return None
    return html.Div(buttons, id=ids.PANEL_ACTIONS, className="mb-2")


def _timeline(detail: Detail) -> Any:
    items = []
    for e in reversed(detail.timeline):  # newest first: what just happened is on top
        change = ""
        if e.to_status and e.to_status != e.from_status:
            change = f" → {t_enum('status', e.to_status)}"
        items.append(html.Li([
            html.Div([html.Strong(t_enum("event", e.action) + change), html.Span(f" · {e.who}")]),
            html.Div(fmt_time(e.at), className="text-secondary"),
            html.Div(e.note, style={"whiteSpace": "pre-wrap"}) if e.note else None,
        ], className="list-group-item small", **data_attrs(action=e.action)))
    return html.Div([html.H3(t("rep.timeline"), className="h6"),
                     html.Ul(items, className="list-group", id=ids.TIMELINE)])
