"""The map page's component ids, for its layout and callbacks alike.

Every id starts with ``map-``: the callback guard gives a callback to the page its output ids name
(dashboard/callback_guard.py), and the browser tests find the page's parts by these ids.
"""

from __future__ import annotations

FILTERS = "map"  # the prefix of the shared filter bar's ids: ``map-period``, ``map-dates``... (dashboard/filter_bar.py)

# The map and what is on it
MAP = "map-map"
LAYERS = "map-layers"  # the layers control: base maps and overlays
DRAW = "map-draw"
BOUNDARIES = "map-layer-boundaries"  # drawn by layers/boundaries.py; a click on a unit opens its panel
BASE_PREFIX = "map-base-"
LEGEND = "map-legend"
LEGEND_TITLE = "map-legend-title"
BADGES = "map-badges"  # report layers that could not be drawn
BADGES_STATIC = "map-badges-static"  # the other layers that could not be drawn

# The toolbar
SHADE = "map-shade"
EXPORT_CSV = "map-export-csv"
EXPORT_GEOJSON = "map-export-geojson"
REPORTS_LINK = "map-reports-link"
PLAY = "map-play"
STEP_UNIT = "map-step-unit"
STEP = "map-step"
STEP_LABEL = "map-step-label"
TIMER = "map-timer"

# The side column: selection, export message, a ward's panel
SELECTION = "map-selection"
SELECTION_COUNT = "map-selection-count"
SELECTION_ERROR = "map-selection-error"
EXPORT_MESSAGE = "map-export-message"
DOWNLOAD = "map-download"
PANEL = "map-panel"
PANEL_NAME = "map-panel-name"
PANEL_CATEGORIES = "map-panel-categories"
PANEL_STATUSES = "map-panel-statuses"
PANEL_LINK = "map-panel-link"

# Stores
QUERY = "map-query"  # the filter's query string
WINDOWS = "map-windows"  # the playback steps of the filter
NAMES = "map-names"  # layer and base names as the layers control shows them, and the default view
URL = "map-url"  # the query string the page's state makes
URL_SYNC = "map-url-sync"  # a dummy output of the clientside callback that writes the URL
UNIT = "map-unit"  # the clicked unit's id
LIVE = "map-live"  # a live tick that concerns a live layer
REPORTS_LIVE = "map-reports-live"  # a live tick that concerns the report layers
RENDERED = "map-rendered"  # what the report layers show now: a redraw of the same is skipped


def overlay(layer_key: str) -> str:
    """The layer group one map layer is drawn into."""
    return f"map-overlay-{layer_key}"


def base(name: str) -> str:
    """A base map (``osm``, ``dark``)."""
    return f"{BASE_PREFIX}{name}"


def failed(layer_key: str) -> str:
    """The badge of a layer that could not be drawn."""
    return f"map-failed-{layer_key}"


def panel_figure(key: str) -> str:
    """One figure of a ward's panel (``reports``, ``open``, ``per-1000``...)."""
    return f"map-panel-{key}"
