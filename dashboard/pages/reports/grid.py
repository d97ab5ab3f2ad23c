"""The grid of reports: AG Grid's infinite row model, answered a block of rows at a time on the server.

A new filter purges the grid's cached blocks; after an action the changed row is redrawn in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_ag_grid as dag
from dash import Input, Output, State

from dashboard.auth import runtime_of
from dashboard.components import fmt_number, fmt_time
from dashboard.filter_bar import viewer_filter
from dashboard.i18n import lang, t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.reports import ids
from data.core.errors import InvalidInput
from data.reports.queries import report_page

GRID_BLOCK_ROWS = 100  # rows the grid asks for at a time; a request for more is answered this many
callbacks = PageCallbacks()


def grid() -> Any:
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
        id=ids.GRID, columnDefs=columns, rowModelType="infinite", getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={"cacheBlockSize": GRID_BLOCK_ROWS, "maxBlocksInCache": 20,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                          "enableClickSelection": True}},
        style={"height": "62vh"})


@callbacks.callback(
    Output(ids.GRID, "getRowsResponse"),
    Output(ids.TOTAL, "children"),
    Output(ids.EXPORT_NOTE, "children"),
    Input(ids.GRID, "getRowsRequest"),
    State(ids.QUERY, "data"),
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
    return {"rowData": [grid_row(r) for r in found], "rowCount": total}, label, note


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


def grid_row(r: dict[str, Any]) -> dict[str, Any]:
    """One report as a grid row."""
    deadline: datetime | None = r["expected_at"]
    overdue = " ⚠" if r["overdue"] else ""
    return {
        "id": str(r["id"]), "tracking_code": r["tracking_code"], "created": fmt_time(r["created_at"]),
        "category": r["category"] or "", "title": r["title"] or "",
        "status_text": t_enum("status", r["status"]) + overdue, "status": r["status"],
        "channel_text": t_enum("channel", r["channel"]), "agency": r["agency"] or "",
        "deadline": fmt_time(deadline),
    }


# A new filter: the grid drops its cached blocks and asks again (getRowsRequest) from row 0.
callbacks.clientside(
    """
    function (search) {
        try {
            window.dash_ag_grid.getApi(__GRID__).purgeInfiniteCache();
        } catch (e) { /* not drawn yet: it asks for its first rows by itself */ }
        return window.dash_clientside.no_update;
    }
    """.replace("__GRID__", f'"{ids.GRID}"'),
    Output(ids.GRID_SYNC, "data"),
    Input(ids.QUERY, "data"),
    prevent_initial_call=True,
)

# After an action: the changed row is redrawn in place (the infinite model keeps its other rows).
callbacks.clientside(
    """
    function (row) {
        if (!row) { return window.dash_clientside.no_update; }
        try {
            var api = window.dash_ag_grid.getApi(__GRID__);
            var node = api.getRowNode(String(row.id));
            if (node) { node.setData(row); } else { api.refreshInfiniteCache(); }
        } catch (e) { /* the grid is gone (another page): nothing to redraw */ }
        return window.dash_clientside.no_update;
    }
    """.replace("__GRID__", f'"{ids.GRID}"'),
    Output(ids.GRID_SYNC, "data", allow_duplicate=True),
    Input(ids.UPDATED_ROW, "data"),
    prevent_initial_call=True,
)
