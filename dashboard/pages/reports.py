"""Phản ánh: every report in a server-side paged grid, with filters and breakdown charts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html
from flask_login import current_user

from dashboard.auth import runtime_of
from dashboard.components import fmt_time, page_guard
from dashboard.i18n import lang, t, t_enum
from data.models import OPEN_STATUSES, Channel, Report, ReportStatus, Role, utcnow
from data.queries import ReportFilter, choices, counts_by, report_page

dash.register_page(__name__, path="/reports", name="reports", title="IOC – Phản ánh")

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}


def layout(**_: Any) -> Any:
    refused = page_guard("reports")
    if refused is not None:
        return refused
    with runtime_of().session() as session:
        menus = choices(session)
        by_channel = counts_by(session, Report.channel, since=utcnow() - timedelta(days=365))
        by_status = counts_by(session, Report.status, since=utcnow() - timedelta(days=365))
    en = lang() == "en"
    columns = [
        {"field": "tracking_code", "headerName": t("col.code"), "width": 150},
        {"field": "created", "headerName": t("col.time"), "width": 140, "colId": "created_at"},
        {"field": "category", "headerName": t("col.category"), "sortable": False},
        {"field": "title", "headerName": t("col.title"), "flex": 2, "sortable": False},
        {"field": "status_text", "headerName": t("col.status"), "colId": "status", "width": 150},
        {"field": "channel_text", "headerName": t("col.channel"), "colId": "channel", "width": 130},
        {"field": "agency", "headerName": t("col.agency"), "flex": 1, "sortable": False},
        {"field": "deadline", "headerName": t("col.deadline"), "colId": "expected_at", "width": 140},
    ]
    filters = dbc.Row([
        dbc.Col(dcc.Dropdown(id="reports-period", value="30", clearable=False,
                             options=[{"label": f"{d} {'days' if en else 'ngày'}", "value": k}
                                      for k, d in PERIODS.items()]), md=2),
        dbc.Col(dcc.Dropdown(id="reports-category", multi=True, placeholder=t("col.category"),
                             options=[{"label": e if en else v, "value": i}
                                      for i, v, e in menus["categories"]]), md=3),
        dbc.Col(dcc.Dropdown(id="reports-status", multi=True, placeholder=t("col.status"),
                             options=[{"label": t_enum("status", s), "value": s.value}
                                      for s in ReportStatus]), md=3),
        dbc.Col(dcc.Dropdown(id="reports-channel", multi=True, placeholder=t("col.channel"),
                             options=[{"label": t_enum("channel", c), "value": c.value}
                                      for c in Channel]), md=2),
        dbc.Col(dbc.Checkbox(id="reports-overdue", label=t("common.overdue"), value=False), md=2),
    ], className="g-2 mb-2")
    return html.Div([
        html.H1(t("rep.title"), className="h4"),
        filters,
        html.Div(id="reports-total", className="text-secondary small mb-1"),
        dag.AgGrid(id="reports-grid", columnDefs=columns, rowModelType="infinite",
                   defaultColDef={"sortable": True, "resizable": True},
                   dashGridOptions={"cacheBlockSize": 100, "maxBlocksInCache": 20,
                                    "rowSelection": {"mode": "singleRow"}},
                   style={"height": "60vh"}),
        dbc.Row([
            dbc.Col(_pie(by_channel, "channel", t("rep.by_channel"), "reports-by-channel"), md=6),
            dbc.Col(_pie(by_status, "status", t("rep.by_status"), "reports-by-status"), md=6),
        ], className="mt-3"),
    ])


def _pie(counts: list[tuple[str, int]], prefix: str, title: str, ident: str) -> Any:
    figure = go.Figure(go.Pie(labels=[t_enum(prefix, k) for k, _ in counts],
                              values=[n for _, n in counts], hole=0.45))
    figure.update_layout(title=title, height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return dcc.Graph(figure=figure, id=ident, config={"displayModeBar": False})


def _filter(period: str | None, categories: list[int] | None, statuses: list[str] | None,
            channels: list[str] | None, overdue: bool | None) -> ReportFilter:
    days = PERIODS.get(period or "30", 30)
    agency = current_user.agency_id if current_user.role == Role.AGENCY else None
    if current_user.role == Role.AGENCY and agency is None:
        agency = -1  # an agency account without an agency sees nothing rather than everything
    return ReportFilter(since=utcnow() - timedelta(days=days), category_ids=tuple(categories or ()),
                        statuses=tuple(statuses or ()), channels=tuple(channels or ()),
                        agency_id=agency, overdue_only=bool(overdue))


@callback(
    Output("reports-grid", "getRowsResponse"),
    Output("reports-total", "children"),
    Input("reports-grid", "getRowsRequest"),
    Input("reports-period", "value"),
    Input("reports-category", "value"),
    Input("reports-status", "value"),
    Input("reports-channel", "value"),
    Input("reports-overdue", "value"),
)
def rows(request: dict[str, Any] | None, period: str | None, categories: list[int] | None,
         statuses: list[str] | None, channels: list[str] | None, overdue: bool | None) -> Any:
    request = request or {"startRow": 0, "endRow": 100, "sortModel": []}
    sort = (request.get("sortModel") or [{"colId": "created_at", "sort": "desc"}])[0]
    with runtime_of().session() as session:
        found, total = report_page(session, _filter(period, categories, statuses, channels, overdue),
                                   int(request["startRow"]), int(request["endRow"]),
                                   sort=sort["colId"], descending=sort["sort"] == "desc")
    data = [_grid_row(r) for r in found]
    label = f"{total:,}".replace(",", ".") + (" reports" if lang() == "en" else " phản ánh")
    return {"rowData": data, "rowCount": total}, label


def _grid_row(r: dict[str, Any]) -> dict[str, Any]:
    deadline: datetime | None = r["expected_at"]
    overdue = " ⚠" if r["overdue"] else ""
    return {
        "id": r["id"], "tracking_code": r["tracking_code"], "created": fmt_time(r["created_at"]),
        "category": r["category"] or "", "title": r["title"] or "",
        "status_text": t_enum("status", r["status"]) + overdue,
        "channel_text": t_enum("channel", r["channel"]), "agency": r["agency"] or "",
        "deadline": fmt_time(deadline), "open": r["status"] in {s.value for s in OPEN_STATUSES},
    }
