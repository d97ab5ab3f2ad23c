"""Parts both tabs of /imports share (reports and KPI values): who may act, figure cards, past runs."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy import select

from dashboard.auth import runtime_of
from dashboard.components import fmt_number, fmt_time
from dashboard.i18n import t
from data.models import ImportRun


def allowed() -> None:
    """Stop a callback of a visitor who may not import (the page itself is guarded, its callbacks too)."""
    if not (current_user.is_authenticated and current_user.may_open("imports")):
        raise PreventUpdate


def figure_cards(figures: list[tuple[str, str, int]]) -> Any:
    """A card per ``(label key, element id, number)``: the counts of a dry run or an import."""
    return dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([html.Div(t(label), className="small text-secondary"),
                                                   html.Div(fmt_number(n), className="h4 m-0", id=element_id)])),
                            md=2) for label, element_id, n in figures], className="g-2")


def history_table(kind: str, table_id: str, written_label: str) -> Any:
    """The newest 20 runs of this kind (``reports``, ``indicators``), dry runs included."""
    with runtime_of().session() as session:
        runs = session.scalars(select(ImportRun).where(ImportRun.kind == kind)
                               .order_by(ImportRun.id.desc()).limit(20)).all()
        rows = [html.Tr([html.Td(r.id), html.Td(fmt_time(r.started_at)), html.Td(r.filename),
                         html.Td(t("imp.dry_run") if r.dry_run else t("imp.run")),
                         html.Td(fmt_number(r.rows_total)), html.Td(fmt_number(r.rows_imported)),
                         html.Td(fmt_number(r.rows_skipped))]) for r in runs]
    head = html.Thead(html.Tr([html.Th(h) for h in ("#", t("col.time"), t("imp.file"), "", t("imp.rows_total"),
                                                     t(written_label), t("imp.rows_skipped"))]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, id=table_id)


def run_controls(prefix: str) -> list[Any]:
    """Dry run / import / per-row report buttons, the figures and the problems grid; ids start with ``prefix``."""
    return [
        dbc.ButtonGroup([
            dbc.Button(t("imp.dry_run"), id=f"{prefix}-dry-run", color="secondary"),
            dbc.Button(t("imp.run"), id=f"{prefix}-run", color="primary", disabled=True),
            dbc.Button(t("imp.download"), id=f"{prefix}-download-btn", color="link"),
        ], className="my-3"),
        dcc.Loading(html.Div(id=f"{prefix}-summary")),
        dag.AgGrid(id=f"{prefix}-problems", rowData=[], style={"height": "40vh"},
                   columnDefs=[{"field": "row", "headerName": t("imp.row"), "width": 90},
                               {"field": "column", "headerName": t("imp.column"), "width": 180},
                               {"field": "value", "headerName": t("imp.value"), "flex": 1},
                               {"field": "severity", "headerName": t("imp.severity"), "width": 110},
                               {"field": "message", "headerName": t("imp.message"), "flex": 2}],
                   defaultColDef={"sortable": True, "filter": True, "resizable": True}),
    ]
