"""An offline base map: plain grid tiles served by the app itself, for a wall with no tile server.

Set ``IOC_MAP_TILE_URL=/tiles/{z}/{x}/{y}.png`` (and ``IOC_MAP_DARK_TILE_URL=/tiles/dark/{z}/{x}/{y}.png``
for the dark base of the video wall). The tests use them too, since they have no internet.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from flask import Blueprint, Response

from data.core.runtime import Runtime


@lru_cache(maxsize=2)
def grid_tile_png(dark: bool = False) -> bytes:
    """One 256 px tile: a plain background with a faint grid (light, or dark); the same for every x, y, z."""
    background, line = (34, 52) if dark else (238, 215)
    tile = np.full((256, 256, 3), background, dtype=np.uint8)
    tile[::64, :] = line
    tile[:, ::64] = line
    ok, png = cv2.imencode(".png", tile)
    if not ok:  # cv2 always encodes a plain uint8 image; this guards a broken OpenCV build
        raise RuntimeError("OpenCV could not encode a PNG tile")
    return png.tobytes()


def make_tiles_blueprint(runtime: Runtime) -> Blueprint:
    """``/tiles/{z}/{x}/{y}.png`` and ``/tiles/dark/...``; the runtime is not needed (every blueprint is made alike)."""
    bp = Blueprint("tiles", __name__)

    @bp.get("/tiles/<int:z>/<int:x>/<int:y>.png")
    def tile(z: int, x: int, y: int) -> Response:
        return Response(grid_tile_png(), mimetype="image/png", headers={"Cache-Control": "max-age=86400"})

    @bp.get("/tiles/dark/<int:z>/<int:x>/<int:y>.png")
    def dark_tile(z: int, x: int, y: int) -> Response:
        return Response(grid_tile_png(dark=True), mimetype="image/png", headers={"Cache-Control": "max-age=86400"})

    return bp
