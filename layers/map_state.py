"""The map's own URL arguments, beside the shared report filter: where it looks and what it shows.

``?lat=16.46&lon=107.59&z=14&shade=per_1000&layers=boundaries,density&base=dark`` — centre, zoom,
the figure the boundaries are shaded by, the overlays switched on and the base map. Anything unknown
or out of range is dropped, so an old or hand-edited link still opens a map.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from layers.boundaries import DEFAULT_MEASURE, MEASURES

BASES = ("osm", "dark")  # the configured base map (OpenStreetMap by default) and the dark one of the wall
ZOOMS = range(1, 20)


def _number(value: Any, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@dataclass(frozen=True)
class MapState:
    """Centre and zoom (None: the settings' default), the shade, the overlays on (None: each layer's
    default) and the base map."""

    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    shade: str = DEFAULT_MEASURE
    layers: tuple[str, ...] | None = None
    base: str = BASES[0]

    @classmethod
    def from_params(cls, params: Mapping[str, Any], known_layers: Collection[str]) -> MapState:
        """The state a URL's query arguments describe; a centre needs both coordinates."""
        lat, lon = _number(params.get("lat"), -90, 90), _number(params.get("lon"), -180, 180)
        zoom = _number(params.get("z"), ZOOMS.start, ZOOMS.stop - 1)
        raw_layers = params.get("layers")
        layers = None if raw_layers is None else tuple(
            dict.fromkeys(k for k in str(raw_layers).split(",") if k in known_layers))
        return cls(
            lat=lat if lon is not None else None, lon=lon if lat is not None else None,
            zoom=int(zoom) if zoom is not None else None,
            shade=str(params.get("shade")) if params.get("shade") in MEASURES else DEFAULT_MEASURE,
            layers=layers, base=str(params.get("base")) if params.get("base") in BASES else BASES[0],
        )

    def params(self) -> dict[str, str]:
        """The canonical query arguments; defaults are left out so a plain map has a plain URL."""
        out: dict[str, str] = {}
        if self.lat is not None and self.lon is not None:
            # Five decimals: about a metre, and a stable URL while the map is only redrawn.
            out.update(lat=f"{self.lat:.5f}", lon=f"{self.lon:.5f}")
        if self.zoom is not None:
            out["z"] = str(self.zoom)
        if self.shade != DEFAULT_MEASURE:
            out["shade"] = self.shade
        if self.layers is not None:
            out["layers"] = ",".join(self.layers)
        if self.base != BASES[0]:
            out["base"] = self.base
        return out

    def layer_on(self, key: str, default_on: bool) -> bool:
        return default_on if self.layers is None else key in self.layers
