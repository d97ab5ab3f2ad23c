"""Playback: the filter's period in days or hours, a slider over them and a play button that moves it.

The steps are stored in the page (``ids.WINDOWS``), so every callback shows the same one; each step is
just another (cached) filter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import Input, Output, State

from dashboard.auth import runtime_of
from dashboard.filter_bar import viewer_filter
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.map import ids
from data.models import utcnow
from data.reports.filters import ReportFilter
from layers.density import STEP_UNITS, at_window, playback_windows

PLAY_EVERY_MS = 1200
callbacks = PageCallbacks()


def windows_of(search: str, unit: str) -> dict[str, Any]:
    """The playback steps of a filter, as the page stores them."""
    found = playback_windows(viewer_filter(search), unit, utcnow(), runtime_of().settings.tz)
    return {"query": search, "unit": unit, "windows": [[a.isoformat(), b.isoformat()] for a, b in found]}


def shown_filter(windows: dict[str, Any], step: int | None) -> ReportFilter:
    """The filter the map shows: the URL's, or one playback step of it (the last position = all)."""
    f = viewer_filter(windows["query"])
    steps = windows["windows"]
    if step is None or not 0 <= step < len(steps):
        return f
    start, end = steps[step]
    return at_window(f, (datetime.fromisoformat(start), datetime.fromisoformat(end)))


def step_label(windows: dict[str, Any], step: int | None) -> str:
    steps = windows["windows"]
    if step is None or not 0 <= step < len(steps):
        return t("map.play.all")
    local = datetime.fromisoformat(steps[step][0]).replace(tzinfo=UTC).astimezone(runtime_of().settings.tz)
    return local.strftime("%d/%m/%Y" if windows["unit"] == "day" else "%H:00 %d/%m/%Y")


def slider(windows: dict[str, Any]) -> tuple[int, dict[int, str]]:
    """The slider's top position (all steps) and its marks."""
    n = len(windows["windows"])
    return n, {0: t("map.play.first"), n: t("map.play.all")}


@callbacks.callback(
    Output(ids.WINDOWS, "data"),
    Output(ids.STEP, "max"),
    Output(ids.STEP, "marks"),
    Output(ids.STEP, "value", allow_duplicate=True),
    Input(ids.QUERY, "data"),
    Input(ids.STEP_UNIT, "value"),
    prevent_initial_call=True,
)
def period_changed(search: str | None, unit: str | None) -> Any:
    windows = windows_of(search or "", unit if unit in STEP_UNITS else "day")
    top, marks = slider(windows)
    return windows, top, marks, top


# Play / pause: the timer moves the slider.
callbacks.clientside(
    """
    function (clicks, disabled, value, top) {
        var playing = disabled;  // a click on a stopped timer starts it
        var start = playing && value >= top ? 0 : window.dash_clientside.no_update;
        return [!playing, playing ? "⏸" : "▶", start];
    }
    """,
    Output(ids.TIMER, "disabled"),
    Output(ids.PLAY, "children"),
    Output(ids.STEP, "value", allow_duplicate=True),
    Input(ids.PLAY, "n_clicks"),
    State(ids.TIMER, "disabled"),
    State(ids.STEP, "value"),
    State(ids.STEP, "max"),
    prevent_initial_call=True,
)

callbacks.clientside(
    """
    function (n, value, top) {
        var next = (value || 0) + 1;
        var done = next >= top;
        return [next, done, done ? "▶" : window.dash_clientside.no_update];
    }
    """,
    Output(ids.STEP, "value", allow_duplicate=True),
    Output(ids.TIMER, "disabled", allow_duplicate=True),
    Output(ids.PLAY, "children", allow_duplicate=True),
    Input(ids.TIMER, "n_intervals"),
    State(ids.STEP, "value"),
    State(ids.STEP, "max"),
    prevent_initial_call=True,
)
