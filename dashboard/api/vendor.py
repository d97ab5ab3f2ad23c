"""``/vendor/...``: Bootstrap 5's CSS from the bootstrap-flask wheel, so pages need no CDN and work offline."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from data.core.runtime import Runtime


def _bootstrap_static() -> Path:
    import flask_bootstrap

    return Path(flask_bootstrap.__file__).parent / "static"


def make_vendor_blueprint(runtime: Runtime) -> Blueprint:
    """The wheel's static files, cached for a day; the runtime is not needed (every blueprint is made alike)."""
    bp = Blueprint("vendor", __name__)
    folder = _bootstrap_static()

    @bp.get("/vendor/<path:path>")
    def file(path: str) -> Response:
        return send_from_directory(folder, path, max_age=86400)

    return bp
