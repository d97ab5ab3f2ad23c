"""Nhật ký: the audit log for administrators (data/accounts/audit.py): the newest operator actions and security
events, filtered by kind of action; read-only (entries are only ever appended)."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import runtime_of
from dashboard.components import fmt_time, page_guard
from dashboard.i18n import t
from data.accounts import audit

dash.register_page(__name__, path="/audit", name="audit", title="IOC – Nhật ký")

SHOWN = 300
# The kinds an administrator filters by (a prefix of the action), as links: the filter is in the URL.
# "camera.": every view of a camera and every snapshot (Decree 13/2023); "admin.": the admin pages' changes.
KINDS = ("login", "denied", "report.", "export.", "import", "rate_limited", "camera.", "admin.")


def layout(action: str | None = None, **_: Any) -> Any:
    refused = page_guard("audit")
    if refused is not None:
        return refused
    chosen = action if action in KINDS else None
    with runtime_of().session() as session:
        rows = audit.entries(session, limit=SHOWN, action=chosen)
        body = [html.Tr([html.Td(fmt_time(e.at)), html.Td(e.username or ""), html.Td(e.action),
                         html.Td(e.target or ""), html.Td(e.source_ip or ""),
                         html.Td(json.dumps(e.detail, ensure_ascii=False) if e.detail else "", className="small")])
                for e in rows]
    links = [dbc.Button(t("audit.all"), href="/audit", size="sm", color="primary" if chosen is None else "light",
                        className="me-1", id="audit-kind-all")]
    links += [dbc.Button(kind.rstrip("."), href=f"/audit?action={kind}", size="sm", className="me-1",
                         color="primary" if kind == chosen else "light", id=f"audit-kind-{kind.rstrip('.')}")
              for kind in KINDS]
    head = html.Thead(html.Tr([html.Th(t(k)) for k in ("col.time", "audit.user", "audit.action", "audit.target",
                                                         "audit.address", "audit.detail")]))
    return html.Div([
        html.H1(t("audit.title"), className="h4"),
        html.P(t("audit.note").format(n=SHOWN), className="small text-muted"),
        html.Div(links, className="mb-2"),
        dbc.Table([head, html.Tbody(body)], size="sm", striped=True, hover=True, responsive=True, id="audit-table"),
    ])
