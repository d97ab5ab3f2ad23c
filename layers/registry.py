"""Every map layer, in drawing order. A new layer is one module and one line here."""

from __future__ import annotations

from layers import alerts, boundaries, cameras, density, pois, sensors, vessels
from layers.base import Layer

LAYERS: tuple[Layer, ...] = (boundaries.LAYER, density.LAYER, pois.LAYER, sensors.LAYER, cameras.LAYER, vessels.LAYER,
                             alerts.LAYER)


def by_key(key: str) -> Layer:
    return next(layer for layer in LAYERS if layer.key == key)
