"""The filtered reports as a file: a CSV link, and an Excel button that fetches the file.

Excel is fetched, not linked: over the cap (or on any failure) the server's message, in the reader's
language, shows in the page with the CSV link, instead of a JSON body replacing the page.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, html

from dashboard.components import data_attrs
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.reports import ids

callbacks = PageCallbacks()


def export_links(search: str) -> Any:
    """The CSV link, the Excel button, the cap's note and the link to the same filter on the map."""
    return html.Span([
        html.A(t("rep.export.csv"), id=ids.EXPORT_CSV, href=f"/api/reports/export.csv{search}",
               className="btn btn-outline-secondary btn-sm me-2", **data_attrs(dash_is_loading=None)),
        html.Button(t("rep.export.xlsx"), id=ids.EXPORT_XLSX, className="btn btn-outline-secondary btn-sm"),
        html.Span(id=ids.EXPORT_NOTE, className="small text-secondary ms-2"),
        html.A(t("rep.on_map"), id=ids.MAP_LINK, href=f"/map{search}",
               className="btn btn-outline-primary btn-sm ms-2"),
    ])


def export_texts() -> dict[str, str]:
    """What the Excel download may say, in the reader's language (the page stores it: the browser shows it)."""
    return {"working": t("rep.export.working"), "failed": t("rep.export.failed"), "csv": t("rep.export.csv")}


callbacks.clientside(
    """
    async function (clicks, search, texts) {
        var dc = window.dash_clientside;
        if (!clicks) { return dc.no_update; }
        search = search || "";
        var refusal = function (message) {
            var csv = {namespace: "dash_html_components", type: "A",
                       props: {href: "/api/reports/export.csv" + search, children: texts.csv}};
            return {namespace: "dash_bootstrap_components", type: "Alert",
                    props: {id: __REFUSED__, color: "warning", className: "small py-2 mb-2",
                            children: [message, " ", csv]}};
        };
        dc.set_props(__BUTTON__, {disabled: true});
        dc.set_props(__MESSAGE__, {children: texts.working});
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
            dc.set_props(__BUTTON__, {disabled: false});
        }
    }
    """.replace("__REFUSED__", f'"{ids.EXPORT_REFUSED}"').replace("__BUTTON__", f'"{ids.EXPORT_XLSX}"')
       .replace("__MESSAGE__", f'"{ids.EXPORT_MESSAGE}"'),
    Output(ids.EXPORT_MESSAGE, "children"),
    Input(ids.EXPORT_XLSX, "n_clicks"),
    State(ids.QUERY, "data"),
    State(ids.EXPORT_TEXTS, "data"),
    prevent_initial_call=True,
)
