"""Where the project lives on disk: the defaults of file settings are relative to it."""

from __future__ import annotations

from pathlib import Path

# data/core/settings/paths.py -> the checkout's root (where app.py and var/ are).
PROJECT_ROOT = Path(__file__).resolve().parents[3]
