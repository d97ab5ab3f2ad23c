"""The page's state into the URL: the filter bar's values and the map's view (centre, zoom, shade, overlays,
base) become one query string, written with ``history.replaceState`` so the page is not rebuilt."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from dash import Input, Output, State, no_update

from dashboard.filter_bar import filter_inputs
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.map import ids
from data.reports.filters import FilterChoice
from layers.boundaries import DEFAULT_MEASURE
from layers.map_state import MapState

callbacks = PageCallbacks()


@callbacks.callback(
    Output(ids.QUERY, "data"),
    Output(ids.REPORTS_LINK, "href"),
    *filter_inputs(ids.FILTERS),
    State(ids.QUERY, "data"),
    prevent_initial_call=True,
)
def filters_changed(*values: Any) -> Any:
    *widgets, current = values
    search = FilterChoice.of_widgets(*widgets).search()
    return (no_update if search == current else search), f"/reports{search}"


@callbacks.callback(
    Output(ids.URL, "data"),
    Input(ids.QUERY, "data"),
    Input(ids.SHADE, "value"),
    Input(ids.MAP, "center"),
    Input(ids.MAP, "zoom"),
    Input(ids.LAYERS, "overlays"),
    Input(ids.LAYERS, "baseLayer"),
    State(ids.NAMES, "data"),
)
def view_changed(search: str | None, shade: str | None, centre: Any, zoom: float | None,
                 overlays: list[str] | None, base: str | None, names: dict[str, Any]) -> str:
    lat, lon = (centre.get("lat"), centre.get("lng")) if isinstance(centre, dict) else (centre or [None, None])
    moved = lat is not None and lon is not None and [round(lat, 5), round(lon, 5)] != [
        round(v, 5) for v in names["centre"]]
    layers = None if overlays is None else tuple(names["overlays"][n] for n in overlays if n in names["overlays"])
    state = MapState(
        lat=lat if moved else None, lon=lon if moved else None,
        zoom=int(zoom) if zoom is not None and int(zoom) != names["zoom"] else None,
        shade=shade or DEFAULT_MEASURE, base=names["bases"].get(base, "osm"),
        # The layers control reports its overlays once drawn: only a change from the defaults is news.
        layers=None if layers is None or set(layers) == set(names["defaults"]) else layers,
    )
    params = {**dict(parse_qsl((search or "").lstrip("?"))), **state.params()}
    return f"?{urlencode(params)}" if params else ""


callbacks.clientside(
    """
    function (search) {
        if (search !== null && search !== undefined && window.location.pathname === "/map"
                && search !== window.location.search) {
            window.history.replaceState(window.history.state, "", "/map" + search + window.location.hash);
        }
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.URL_SYNC, "data"),
    Input(ids.URL, "data"),
)
