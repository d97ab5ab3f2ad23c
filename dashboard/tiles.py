"""An offline base map: plain grid tiles served by the app itself, for a wall with no tile server.

Set ``IOC_MAP_TILE_URL=/tiles/{z}/{x}/{y}.png``. The tests use it too, since they have no internet.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from flask import Flask, Response


@lru_cache(maxsize=1)
def grid_tile_png() -> bytes:
    """One 256 px tile: light background, a faint grid; identical for every x, y, z."""
    tile = np.full((256, 256, 3), 238, dtype=np.uint8)
    tile[::64, :] = 215
    tile[:, ::64] = 215
    ok, png = cv2.imencode(".png", tile)
    if not ok:  # cv2 always encodes a plain uint8 image; this guards a broken OpenCV build
        raise RuntimeError("OpenCV could not encode a PNG tile")
    return png.tobytes()


def init_tiles(server: Flask) -> None:
    def tile(z: int, x: int, y: int) -> Response:
        return Response(grid_tile_png(), mimetype="image/png", headers={"Cache-Control": "max-age=86400"})

    server.add_url_rule("/tiles/<int:z>/<int:x>/<int:y>.png", "tiles", tile)
