"""The reports page's component ids, for its layout and callbacks alike.

Every id starts with ``reports-``: the callback guard gives a callback to the page its output ids name
(dashboard/callback_guard.py), and the browser tests find the page's parts by these ids.
"""

from __future__ import annotations

FILTERS = "reports"  # the prefix of the shared filter bar's ids (dashboard/filter_bar.py)

# The grid, its total and the exports
GRID = "reports-grid"
TOTAL = "reports-total"
EXPORT_CSV = "reports-export-csv"
EXPORT_XLSX = "reports-export-xlsx"
EXPORT_NOTE = "reports-export-note"  # "too many rows for Excel"
EXPORT_MESSAGE = "reports-export-message"
EXPORT_REFUSED = "reports-export-refused"
MAP_LINK = "reports-map-link"

# Charts of the filtered set
CHART_CATEGORY = "reports-chart-category"
CHART_CHANNEL = "reports-chart-channel"
CHART_AGENCY = "reports-chart-agency"
CHART_TREND = "reports-chart-trend"

# The detail panel
PANEL = "reports-panel"
PANEL_CODE = "reports-panel-code"
PANEL_STATUS = "reports-panel-status"
PANEL_REPORTER = "reports-panel-reporter"
PANEL_PHOTOS = "reports-panel-photos"
PANEL_MAP = "reports-panel-map"
PANEL_SUGGESTION = "reports-panel-suggestion"
PANEL_DUPLICATES = "reports-panel-duplicates"
PANEL_ACTIONS = "reports-panel-actions"
TIMELINE = "reports-timeline"

# Actions: buttons (pattern-matching ids: {"type": ..., "action" or "id": ...}), the form and its outcome
ACTION = "reports-action"  # an action that opens the form
DIRECT = "reports-direct"  # an action done at once (confirming the category)
MERGE = "reports-merge"  # merging into a suggested duplicate
FORM = "reports-form"
FORM_TITLE = "reports-form-title"
FORM_NOTE = "reports-form-note"
FORM_NOTE_LABEL = "reports-form-note-label"
FORM_SUBMIT = "reports-form-submit"
FORM_CANCEL = "reports-form-cancel"
ACTION_MESSAGE = "reports-action-message"
ACTION_DONE = "reports-action-done"
ACTION_ERROR = "reports-action-error"

# Stores
QUERY = "reports-query"  # the filter's query string
SELECTED = "reports-selected"  # the id of the report in the panel
VERSION = "reports-version"  # counts actions done: the panel redraws after each
PENDING = "reports-pending"  # the action the open form is for
UPDATED_ROW = "reports-updated-row"  # the grid row of the report an action changed
GRID_SYNC = "reports-grid-sync"  # a dummy output of the clientside callbacks that drive the grid
EXPORT_TEXTS = "reports-export-texts"  # the Excel download's messages, in the reader's language


def form_field(name: str) -> str:
    """One field of the action form (``agency``, ``category``, ``area``, ``rating``, ``duplicate``)."""
    return f"{FORM}-{name}"


def form_box(name: str) -> str:
    """The box around a form field, hidden when the action does not need the field."""
    return f"{FORM}-{name}-box"
