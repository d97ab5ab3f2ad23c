"""Phản ánh: every report in a server-side paged grid, its filters in the URL, a detail panel with the
report's history and actions, charts of the filtered set, and its export to CSV / Excel.

The filters' one form is the URL query string (``ReportFilter.from_query``): the page reads it in
``layout``, a clientside callback writes it back with ``history.replaceState`` (a ``dcc.Location``
change would rebuild the page) and the grid, the charts and the export links all use it. What a
user may see is decided on the server (``ReportFilter.seen_by``, ``workflow.visible_reports``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_leaflet as dl
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.auth import audit_action, runtime_of
from dashboard.components import fmt_number, fmt_time, page_guard
from dashboard.filter_bar import filter_bar, filter_inputs, filter_menus, viewer_filter
from dashboard.i18n import lang, t, t_enum
from data.core.errors import InvalidInput, IocError
from data.reports.detail import (
    ACTION_FIELDS,
    CONFIRM_CATEGORY,
    MERGE_WITH,
    ActionForm,
    Detail,
    act,
    load_detail,
    report_row,
)
from data.reports.filters import DEFAULT_PERIOD, FilterChoice
from data.reports.queries import breakdown, choices, daily_trend, report_page
from data.reports.workflow import TRANSITIONS, Actor

dash.register_page(__name__, path="/reports", name="reports", title="IOC – Phản ánh")

FORM_FIELDS = ("agency", "category", "area", "rating", "duplicate")
HIDDEN = {"display": "none"}
CHART_LAYOUT = {"height": 320, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}


def _actor() -> Actor:
    return Actor(current_user.id, str(current_user.role), current_user.agency_id, current_user.full_name)


GRID_BLOCK_ROWS = 100  # rows the grid asks for at a time; a request for more is answered this many


def _grid() -> Any:
    columns = [
        {"field": "tracking_code", "headerName": t("col.code"), "width": 150},
        {"field": "created", "headerName": t("col.time"), "width": 135, "colId": "created_at"},
        {"field": "category", "headerName": t("col.category"), "width": 160, "sortable": False},
        {"field": "title", "headerName": t("col.title"), "flex": 2, "minWidth": 200, "sortable": False},
        {"field": "status_text", "headerName": t("col.status"), "colId": "status", "width": 145},
        {"field": "channel_text", "headerName": t("col.channel"), "colId": "channel", "width": 120},
        {"field": "agency", "headerName": t("col.agency"), "flex": 1, "minWidth": 160, "sortable": False},
        {"field": "deadline", "headerName": t("col.deadline"), "colId": "expected_at", "width": 135},
    ]
    return dag.AgGrid(
        id="reports-grid", columnDefs=columns, rowModelType="infinite", getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={"cacheBlockSize": GRID_BLOCK_ROWS, "maxBlocksInCache": 20,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                          "enableClickSelection": True}},
        style={"height": "62vh"})


def _action_form(menus: dict[str, list[dict[str, Any]]]) -> Any:
    """One small form for every action; the fields an action does not need stay hidden."""
    ratings = [{"label": "★" * n, "value": n} for n in range(5, 0, -1)]
    fields = [
        html.Div([dbc.Label(t("col.agency")), dcc.Dropdown(id="reports-form-agency", options=menus["agencies"])],
                 id="reports-form-agency-box", className="mb-2"),
        html.Div([dbc.Label(t("col.category")),
                  dcc.Dropdown(id="reports-form-category", options=menus["categories"])],
                 id="reports-form-category-box", className="mb-2"),
        html.Div([dbc.Label(t("rep.area")), dcc.Dropdown(id="reports-form-area", options=menus["areas"])],
                 id="reports-form-area-box", className="mb-2"),
        html.Div([dbc.Label(t("col.rating")), dcc.Dropdown(id="reports-form-rating", options=ratings)],
                 id="reports-form-rating-box", className="mb-2"),
        html.Div([dbc.Label(t("rep.form.duplicate_of")), dbc.Input(id="reports-form-duplicate", maxLength=32)],
                 id="reports-form-duplicate-box", className="mb-2"),
        html.Div([dbc.Label(t("rep.form.note"), id="reports-form-note-label"),
                  dbc.Textarea(id="reports-form-note", rows=3, maxLength=4000)], className="mb-2"),
    ]
    return dbc.Card(dbc.CardBody([
        html.H3(id="reports-form-title", className="h6"),
        *fields,
        dbc.Button(t("rep.form.submit"), id="reports-form-submit", color="primary", size="sm", className="me-2"),
        dbc.Button(t("rep.form.cancel"), id="reports-form-cancel", color="secondary", outline=True, size="sm"),
    ]), id="reports-form", style=HIDDEN, className="mt-2 border-primary")


def layout(**query: Any) -> Any:
    refused = page_guard("reports")
    if refused is not None:
        return refused
    choice = FilterChoice.from_params(query)
    search = choice.search()
    menus = filter_menus()
    export = html.Span([
        html.A(t("rep.export.csv"), id="reports-export-csv", href=f"/api/reports/export.csv{search}",
               className="btn btn-outline-secondary btn-sm me-2", **{"data-dash-is-loading": None}),
        html.Button(t("rep.export.xlsx"), id="reports-export-xlsx", className="btn btn-outline-secondary btn-sm"),
        html.Span(id="reports-export-note", className="small text-secondary ms-2"),
        html.A(t("rep.on_map"), id="reports-map-link", href=f"/map{search}",
               className="btn btn-outline-primary btn-sm ms-2"),
    ])
    panel = html.Div([
        html.Div(id="reports-action-message", role="status"),
        html.Div(dbc.Alert(t("rep.panel.pick"), color="light"), id="reports-panel"),
        _action_form(menus),
    ], className="ioc-report-panel", style={"maxHeight": "78vh", "overflowY": "auto"})
    return html.Div([
        html.H1(t("rep.title"), className="h4"),
        filter_bar("reports", choice, menus),
        html.Div([html.Span(id="reports-total", className="text-secondary small me-3"), export],
                 className="d-flex align-items-center mb-2"),
        html.Div(id="reports-export-message", role="status"),
        dbc.Row([dbc.Col(_grid(), lg=7), dbc.Col(panel, lg=5)], className="g-3"),
        dbc.Row([
            dbc.Col(_graph("reports-chart-category"), lg=6), dbc.Col(_graph("reports-chart-channel"), lg=6),
            dbc.Col(_graph("reports-chart-agency"), lg=6), dbc.Col(_graph("reports-chart-trend"), lg=6),
        ], className="mt-3 g-3"),
        dcc.Store(id="reports-query", data=search),
        dcc.Store(id="reports-selected"),
        dcc.Store(id="reports-version", data=0),
        dcc.Store(id="reports-pending"),
        dcc.Store(id="reports-updated-row"),
        dcc.Store(id="reports-grid-sync"),
        dcc.Store(id="reports-export-texts", data={"working": t("rep.export.working"), "failed": t("rep.export.failed"),
                                                   "csv": t("rep.export.csv")}),
    ])


def _graph(ident: str) -> Any:
    return dcc.Graph(id=ident, config={"displayModeBar": False}, figure=go.Figure(layout=CHART_LAYOUT))


# ---------------------------------------------------------------------------------------------
# Filters -> URL -> grid, charts, export links
# ---------------------------------------------------------------------------------------------

clientside_callback(
    """
    function (period, start, end, categories, statuses, channels, agencies, areas, overdue, q, current) {
        var p = new URLSearchParams();
        if (start || end) {
            if (start) { p.set("from", String(start).slice(0, 10)); }
            if (end) { p.set("to", String(end).slice(0, 10)); }
        } else if (period && period !== "__DEFAULT__") {
            p.set("period", period);
        }
        var list = function (key, values) { if (values && values.length) { p.set(key, values.join(",")); } };
        list("category", categories); list("status", statuses); list("channel", channels);
        list("agency", agencies); list("area", areas);
        if (overdue) { p.set("overdue", "1"); }
        if (q && q.trim()) { p.set("q", q.trim()); }
        var search = p.toString() ? "?" + p.toString() : "";
        if (window.location.pathname === "/reports" && search !== window.location.search) {
            window.history.replaceState(window.history.state, "", "/reports" + search + window.location.hash);
        }
        var same = search === current;
        return [same ? window.dash_clientside.no_update : search, "/api/reports/export.csv" + search, "/map" + search];
    }
    """.replace("__DEFAULT__", DEFAULT_PERIOD),
    Output("reports-query", "data"),
    Output("reports-export-csv", "href"),
    Output("reports-map-link", "href"),
    *filter_inputs("reports"),
    State("reports-query", "data"),
    # The layout already holds the URL's query and links. Called on load too, it would answer the same
    # query as no_update, and Dash would then never make the charts' first call (which waits on it).
    prevent_initial_call=True,
)

# Excel is fetched, not linked: over the cap (or on any failure) the server's message, in the reader's
# language, shows in the page with the CSV link, instead of a JSON body replacing the page.
clientside_callback(
    """
    async function (clicks, search, texts) {
        var dc = window.dash_clientside;
        if (!clicks) { return dc.no_update; }
        search = search || "";
        var refusal = function (message) {
            var csv = {namespace: "dash_html_components", type: "A",
                       props: {href: "/api/reports/export.csv" + search, children: texts.csv}};
            return {namespace: "dash_bootstrap_components", type: "Alert",
                    props: {id: "reports-export-refused", color: "warning", className: "small py-2 mb-2",
                            children: [message, " ", csv]}};
        };
        dc.set_props("reports-export-xlsx", {disabled: true});
        dc.set_props("reports-export-message", {children: texts.working});
        try {
            var response = await fetch("/api/reports/export.xlsx" + search, {credentials: "same-origin"});
            if (!response.ok) {
                var body = await response.json().catch(function () { return {}; });
                return refusal(body.error || texts.failed);
            }
            var named = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
            var link = document.createElement("a");
            link.href = URL.createObjectURL(await response.blob());
            link.download = named ? named[1] : "phan-anh.xlsx";
            document.body.appendChild(link);
            link.click();
            link.remove();
            setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);  // after the download took it
            return null;
        } catch (e) {
            return refusal(texts.failed);
        } finally {
            dc.set_props("reports-export-xlsx", {disabled: false});
        }
    }
    """,
    Output("reports-export-message", "children"),
    Input("reports-export-xlsx", "n_clicks"),
    State("reports-query", "data"),
    State("reports-export-texts", "data"),
    prevent_initial_call=True,
)

# A new filter: the grid drops its cached blocks and asks again (getRowsRequest) from row 0.
clientside_callback(
    """
    function (search) {
        try {
            window.dash_ag_grid.getApi("reports-grid").purgeInfiniteCache();
        } catch (e) { /* not drawn yet: it asks for its first rows by itself */ }
        return window.dash_clientside.no_update;
    }
    """,
    Output("reports-grid-sync", "data"),
    Input("reports-query", "data"),
    prevent_initial_call=True,
)


@callback(
    Output("reports-grid", "getRowsResponse"),
    Output("reports-total", "children"),
    Output("reports-export-note", "children"),
    Input("reports-grid", "getRowsRequest"),
    State("reports-query", "data"),
)
def rows(request: dict[str, Any] | None, search: str | None) -> Any:
    request = request or {"startRow": 0, "endRow": GRID_BLOCK_ROWS, "sortModel": []}
    start, end = grid_window(request)
    sort = (request.get("sortModel") or [{"colId": "created_at", "sort": "desc"}])[0]
    with runtime_of().session() as session:
        found, total = report_page(session, viewer_filter(search), start, end,
                                   sort=sort.get("colId", "created_at"), descending=sort.get("sort") == "desc")
    label = fmt_number(total) + (" reports" if lang() == "en" else " phản ánh")
    cap = runtime_of().settings.export_xlsx_max_rows
    note = t("rep.export.too_many").format(n=fmt_number(cap)) if total > cap else ""
    return {"rowData": [_grid_row(r) for r in found], "rowCount": total}, label, note


def grid_window(request: dict[str, Any]) -> tuple[int, int]:
    """The rows ``start``..``end`` a grid request asks for, cut to ``GRID_BLOCK_ROWS``: any ``endRow``
    would otherwise have the server read (and send) that many rows."""
    try:
        start, end = int(request.get("startRow", 0)), int(request.get("endRow", GRID_BLOCK_ROWS))
    except (TypeError, ValueError):
        raise InvalidInput(t("rep.grid.bad_rows")) from None
    if start < 0 or end < start:
        raise InvalidInput(t("rep.grid.bad_rows"))
    return start, min(end, start + GRID_BLOCK_ROWS)


def _grid_row(r: dict[str, Any]) -> dict[str, Any]:
    deadline: datetime | None = r["expected_at"]
    overdue = " ⚠" if r["overdue"] else ""
    return {
        "id": str(r["id"]), "tracking_code": r["tracking_code"], "created": fmt_time(r["created_at"]),
        "category": r["category"] or "", "title": r["title"] or "",
        "status_text": t_enum("status", r["status"]) + overdue, "status": r["status"],
        "channel_text": t_enum("channel", r["channel"]), "agency": r["agency"] or "",
        "deadline": fmt_time(deadline),
    }


@callback(
    Output("reports-chart-category", "figure"),
    Output("reports-chart-channel", "figure"),
    Output("reports-chart-agency", "figure"),
    Output("reports-chart-trend", "figure"),
    Input("reports-query", "data"),
)
def charts(search: str | None) -> Any:
    f = viewer_filter(search)
    en = lang() == "en"
    with runtime_of().session() as session:
        menus = choices(session)
        by_category = breakdown(session, f, "category")
        by_channel = breakdown(session, f, "channel")
        by_agency = breakdown(session, f, "agency", limit=15)
        trend = daily_trend(session, f, runtime_of().settings.tz)
    categories = {i: (e if en else v) for i, v, e in menus["categories"]}
    agencies = {i: (e if en else v) for i, v, e in menus["agencies"]}
    return (
        _bars([(categories.get(k, t("rep.none")), n) for k, n in by_category], t("rep.by_category")),
        _pie([(t_enum("channel", k), n) for k, n in by_channel], t("rep.by_channel")),
        _bars([(agencies.get(k, t("rep.unassigned")), n) for k, n in by_agency], t("rep.by_agency")),
        _trend(trend),
    )


def _bars(counts: list[tuple[str, int]], title: str) -> go.Figure:
    counts = list(reversed(counts))  # largest on top
    figure = go.Figure(go.Bar(y=[k for k, _ in counts], x=[n for _, n in counts], orientation="h"))
    figure.update_layout(title=title, **CHART_LAYOUT)
    figure.update_yaxes(automargin=True)
    return figure


def _pie(counts: list[tuple[str, int]], title: str) -> go.Figure:
    figure = go.Figure(go.Pie(labels=[k for k, _ in counts], values=[n for _, n in counts], hole=0.45))
    figure.update_layout(title=title, **CHART_LAYOUT)
    return figure


def fill_days(rows: list[tuple[date, int, int]]) -> list[tuple[date, int, int]]:
    """The daily series with the days that had no report as zeros (a line must not jump over them)."""
    if not rows:
        return []
    known = {day: (a, b) for day, a, b in rows}
    first, last = rows[0][0], rows[-1][0]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [(d, *known.get(d, (0, 0))) for d in days]


def _trend(rows: list[tuple[date, int, int]]) -> go.Figure:
    series = fill_days(rows)
    days = [d.isoformat() for d, _, _ in series]
    figure = go.Figure([
        go.Scatter(x=days, y=[a for _, a, _ in series], mode="lines", name=t("rep.trend.received")),
        go.Scatter(x=days, y=[b for _, _, b in series], mode="lines", name=t("rep.trend.resolved")),
    ])
    figure.update_layout(title=t("rep.by_day"), legend={"orientation": "h", "y": -0.15}, **CHART_LAYOUT)
    return figure


# ---------------------------------------------------------------------------------------------
# Detail panel
# ---------------------------------------------------------------------------------------------

clientside_callback(
    """
    function (selected) {
        if (!selected || !selected.length) { return window.dash_clientside.no_update; }
        return parseInt(selected[0].id, 10);
    }
    """,
    Output("reports-selected", "data"),
    Input("reports-grid", "selectedRows"),
)

# After an action: the changed row is redrawn in place (the infinite model keeps its other rows).
clientside_callback(
    """
    function (row) {
        if (!row) { return window.dash_clientside.no_update; }
        try {
            var api = window.dash_ag_grid.getApi("reports-grid");
            var node = api.getRowNode(String(row.id));
            if (node) { node.setData(row); } else { api.refreshInfiniteCache(); }
        } catch (e) { /* the grid is gone (another page): nothing to redraw */ }
        return window.dash_clientside.no_update;
    }
    """,
    Output("reports-grid-sync", "data", allow_duplicate=True),
    Input("reports-updated-row", "data"),
    prevent_initial_call=True,
)


@callback(
    Output("reports-panel", "children"),
    Input("reports-selected", "data"),
    Input("reports-version", "data"),
)
def panel(report_id: int | None, _version: int | None) -> Any:
    if not report_id:
        raise PreventUpdate
    settings = runtime_of().settings
    try:
        with runtime_of().session() as session:
            detail = load_detail(session, int(report_id), _actor(), radius_m=settings.duplicate_radius_m,
                                 days=settings.duplicate_days)
    except IocError as exc:
        return dbc.Alert(exc.message, color="warning")
    return _panel(detail)


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
        facts.append((t("rep.reporter"), html.Span(who or "—", id="reports-panel-reporter")))
    return html.Dl([item for label, value in facts
                    for item in (html.Dt(label, className="col-4"), html.Dd(value, className="col-8 mb-1"))],
                   className="row small mb-2")


def _header(detail: Detail) -> Any:
    v = detail.view
    badges = [html.Span(t_enum("status", v["status"]), id="reports-panel-status", className="badge bg-primary me-1",
                        **{"data-status": v["status"]})]
    if detail.overdue:
        badges.append(dbc.Badge(t("common.overdue"), color="danger", className="me-1"))
    if v.get("published"):
        badges.append(dbc.Badge(t("rep.published"), color="success"))
    return html.Div([
        html.H2(v["tracking_code"], className="h5 mb-1", id="reports-panel-code"),
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
                    id="reports-panel-photos")


def _map(detail: Detail) -> Any:
    lat, lon = detail.view.get("lat"), detail.view.get("lon")
    if lat is None or lon is None:
        return None
    settings = runtime_of().settings
    return dl.Map([dl.TileLayer(url=settings.map_tile_url, attribution=settings.map_tile_attribution),
                   dl.Marker(position=[lat, lon])],
                  center=[lat, lon], zoom=16, id="reports-panel-map",
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
            parts.append(dbc.Button(t("rep.confirm"), id={"type": "reports-direct", "action": CONFIRM_CATEGORY},
                                    size="sm", color="success", outline=True, className="me-1"))
        parts.append(dbc.Button(t("act.reclassify"), id={"type": "reports-action", "action": "reclassify"},
                                size="sm", color="secondary", outline=True))
    return html.Div(parts, className="mb-2 small", id="reports-panel-suggestion")


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
                             dbc.Button(t("rep.merge"), id={"type": "reports-merge", "id": d.report_id},
                                        size="sm", color="warning", outline=True)], className="mb-1"))
    return html.Div([html.H3(t("rep.duplicates"), className="h6"),
                     html.Ul(rows, className="list-unstyled small mb-1"),
                     html.Div(t("rep.merge_hint"), className="small text-secondary")],
                    id="reports-panel-duplicates", className="mb-2")


def _actions(detail: Detail) -> Any:
    buttons = [dbc.Button(t(f"act.{a}"), id={"type": "reports-action", "action": a}, size="sm",
                          color="primary", outline=True, className="me-1 mb-1")
               for a in detail.actions if a != "reclassify"]
    if not buttons:
        return None
    return html.Div(buttons, id="reports-panel-actions", className="mb-2")


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
        ], className="list-group-item small", **{"data-action": e.action}))
    return html.Div([html.H3(t("rep.timeline"), className="h6"),
                     html.Ul(items, className="list-group", id="reports-timeline")])


def _panel(detail: Detail) -> Any:
    parts = [_header(detail), _actions(detail), _suggestion(detail), _facts(detail), _photos(detail),
             _map(detail), _duplicates(detail), _timeline(detail)]
    return html.Div(dbc.Card(dbc.CardBody([p for p in parts if p is not None])), **{"data-report": detail.view["id"]})


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------


def _clicked() -> bool:
    """A real click: pattern-matched buttons also 'fire' with n_clicks None when they are drawn."""
    return any(item.get("value") for item in ctx.triggered)


@callback(
    Output("reports-pending", "data"),
    Output("reports-form", "style"),
    Output("reports-form-title", "children"),
    Output("reports-form-note-label", "children"),
    *[Output(f"reports-form-{name}-box", "style") for name in FORM_FIELDS],
    Output("reports-action-message", "children"),
    Input({"type": "reports-action", "action": ALL}, "n_clicks"),
    Input("reports-form-cancel", "n_clicks"),
    Input("reports-selected", "data"),
    prevent_initial_call=True,
)
def open_form(_clicks: list[int | None], _cancel: int | None, _selected: int | None) -> Any:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict):  # cancel, or another report: the form closes
        return None, HIDDEN, "", "", *[HIDDEN] * len(FORM_FIELDS), None
    if not _clicked():
        raise PreventUpdate
    action = str(trigger["action"])
    wanted = ACTION_FIELDS.get(action, ())
    rule = TRANSITIONS.get(action)
    note = t("rep.form.note_required") if rule is not None and rule.needs_note else t("rep.form.note")
    styles = [None if name in wanted else HIDDEN for name in FORM_FIELDS]
    return action, None, t(f"act.{action}"), note, *styles, None


@callback(
    Output("reports-action-message", "children", allow_duplicate=True),
    Output("reports-version", "data"),
    Output("reports-updated-row", "data"),
    Output("reports-form", "style", allow_duplicate=True),
    Output("reports-form-note", "value"),
    Input("reports-form-submit", "n_clicks"),
    Input({"type": "reports-direct", "action": ALL}, "n_clicks"),
    Input({"type": "reports-merge", "id": ALL}, "n_clicks"),
    State("reports-selected", "data"),
    State("reports-pending", "data"),
    State("reports-version", "data"),
    State("reports-form-note", "value"),
    *[State(f"reports-form-{name}", "value") for name in FORM_FIELDS],
    prevent_initial_call=True,
)
def run_action(_submit: int | None, _direct: list[int | None], _merge: list[int | None], report_id: int | None,
               pending: str | None, version: int | None, note: str | None, agency: int | None,
               category: int | None, area: int | None, rating: int | None, duplicate: str | None) -> Any:
    if not _clicked() or not report_id:
        raise PreventUpdate
    trigger = ctx.triggered_id
    form = ActionForm(note=note, agency_id=_int(agency), category_id=_int(category), admin_unit_id=_int(area),
                      rating=_int(rating), duplicate_code=duplicate)
    if isinstance(trigger, dict) and trigger.get("type") == "reports-merge":
        action, form = MERGE_WITH, ActionForm(note=note, duplicate_id=int(trigger["id"]))
    elif isinstance(trigger, dict):
        action = str(trigger["action"])
    elif pending:
        action = pending
    else:
        raise PreventUpdate
    runtime = runtime_of()
    try:
        statuses = act(runtime, int(report_id), action, _actor(), form)
        with runtime.session() as session:
            row = report_row(session, int(report_id))
    except IocError as exc:
        alert = dbc.Alert(exc.message, color="danger", dismissable=True, id="reports-action-error")
        return alert, dash.no_update, dash.no_update, dash.no_update, dash.no_update
    audit_action(f"report.{action}", target=f"report:{report_id}",
                 detail={"statuses": {str(k): v for k, v in statuses.items()}})
    done = t("rep.done").format(action=t(f"act.{action}"), status=t_enum("status", statuses.get(int(report_id))))
    alert = dbc.Alert(done, color="success", dismissable=True, duration=6000, id="reports-action-done")
    return alert, (version or 0) + 1, _grid_row(row) if row else None, HIDDEN, ""


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
