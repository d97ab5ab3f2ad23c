"""The filter bar into the URL: one query string, written with ``history.replaceState`` (the page is not
rebuilt), held in ``ids.QUERY`` for the grid and the charts, and carried by the export and map links."""

from __future__ import annotations

from dash import Output, State

from dashboard.filter_bar import filter_inputs
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.reports import ids
from data.reports.filters import DEFAULT_PERIOD

callbacks = PageCallbacks()

callbacks.clientside(
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
    Output(ids.QUERY, "data"),
    Output(ids.EXPORT_CSV, "href"),
    Output(ids.MAP_LINK, "href"),
    *filter_inputs(ids.FILTERS),
    State(ids.QUERY, "data"),
    # The layout already holds the URL's query and links. Called on load too, it would answer the same
    # query as no_update, and Dash would then never make the charts' first call (which waits on it).
    prevent_initial_call=True,
)
