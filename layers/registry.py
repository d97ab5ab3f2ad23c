"""Every map layer, in drawing order. A new layer is one module in ``layers/`` (defining ``LAYER``) and one
line in ``LAYER_MODULES``."""

from __future__ import annotations

from importlib import import_module

from layers.base import Layer

# One line per layer, bottom first: the module under layers/ whose ``LAYER`` is drawn.
LAYER_MODULES = (
    "boundaries",
    "density",
    "pois",
    "sensors",
    "cameras",
    "vessels",
    "alerts",
)

LAYERS: tuple[Layer, ...] = tuple(import_module(f"layers.{name}").LAYER for name in LAYER_MODULES)


def by_key(key: str) -> Layer:
    return next(layer for layer in LAYERS if layer.key == key)
