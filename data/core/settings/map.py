"""Settings of the map page: base maps, where it opens, and where its counts are made."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MapSettings(BaseModel):
    """The map: base maps, the view it opens on, and the in-process copy its counts use."""

    map_copy: bool = Field(default=True, description="the map's density counts on an in-process copy of "
                           "the reports' map columns (data/reports/mirror.py); off: the database counts")
    map_tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="XYZ tile URL of the base map (a city may run its own tile server)",
    )
    map_tile_attribution: str = Field(
        default="© OpenStreetMap contributors",
        description="credit line shown in the corner of the base map: change it with IOC_MAP_TILE_URL, "
                    "as the tiles' provider asks",
    )
    map_dark_tile_url: str = Field(
        default="https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}.png",
        description="XYZ tile URL of the dark base map offered for the video wall; /tiles/dark/{z}/{x}/{y}.png "
        "is a built-in dark grid",
    )
    map_dark_tile_attribution: str = Field(
        default="© OpenStreetMap contributors © CARTO",
        description="credit line of the dark base map: change it with IOC_MAP_DARK_TILE_URL",
    )
    map_center: tuple[float, float] = Field(
        default=(16.4637, 107.5909),
        description="where the map opens: latitude, longitude (JSON list, e.g. [16.4637, 107.5909]); "
                    "set it to your city",
    )
    map_zoom: int = Field(
        default=13, ge=1, le=19,
        description="zoom the map opens at (1 = the whole world, 19 = one street): about 13 shows a city",
    )
