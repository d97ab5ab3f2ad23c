"""The browser's camera API (same origin, login required), forwarded to the stream gateway over loopback.

The browser never learns a camera's URL: it sends an offer for a camera id, and the gateway, which
alone reads the URL from the database, answers. Every route that serves a camera by id first asks
the one access check (``data.cameras.access.viewable_camera``: agency and ward users see only the
groups granted to them), names the user to the gateway (which checks again), and audits the view
(one entry per viewing session) or the snapshot. Mounted by the web app at ``/api/cameras``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from flask import Blueprint, Response, jsonify, request, stream_with_context
from flask_login import current_user

from dashboard.camera_access import who
from dashboard.gateway_client import GatewayClient, gateway_error
from data.cameras.access import scope_of, viewable_camera
from data.cameras.listing import camera_rows
from data.cameras.views import Viewed, record_view
from data.core.errors import Forbidden, InvalidInput, IocError
from data.core.runtime import Runtime

OFFER_TIMEOUT_S = 30.0  # a new camera opens in ~1.5 s; a dead one is given up by the gateway before this
STREAM_READ_TIMEOUT_S = 30.0
MAX_SDP = 32_000
STATUS_FIELDS = ("id", "code", "name", "state", "fps", "last_frame_age_s", "transcoding", "viewers")


def _offer_body() -> dict[str, str]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Yêu cầu phải là JSON {sdp, type, quality}")
    sdp, kind, quality = body.get("sdp"), body.get("type"), body.get("quality") or "sub"
    if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP or kind != "offer":
        raise InvalidInput("Yêu cầu kết nối video không hợp lệ (offer)")
    if quality not in ("sub", "main"):
        raise InvalidInput("Chất lượng hình phải là 'sub' hoặc 'main'")
    return {"sdp": sdp, "type": "offer", "quality": quality}


def _quality() -> str:
    quality = request.args.get("quality", "sub")
    if quality not in ("sub", "main"):
        raise InvalidInput("Chất lượng hình phải là 'sub' hoặc 'main'")
    return quality


class CameraDoor:
    """The one check in front of every camera route, and the audit of what was watched."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def admit(self, camera_id: int) -> Viewed:
        """The camera, if this user may watch it; a refusal is audited and answered 403 (404: no such camera)."""
        viewer = who()
        try:
            with self._runtime.session() as session:
                return Viewed.of(viewable_camera(session, viewer.user_id, camera_id))
        except Forbidden:
            with self._runtime.session() as session:
                viewer.record(session, "denied", f"camera:{camera_id}")
            raise

    def watched(self, camera: Viewed, how: str, quality: str) -> None:
        with self._runtime.session() as session:
            record_view(session, who(), camera, how, quality, self._runtime.settings.streams_view_audit_window_s)


class CameraRoutes:
    """The routes of the camera API: each admits the user through the door, asks the gateway, audits."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._gateway = GatewayClient(runtime.settings.streams_base_url, runtime.settings.streams_internal_token)
        self._door = CameraDoor(runtime)

    def offer(self, camera_id: int) -> Any:
        body = _offer_body()
        camera = self._door.admit(camera_id)
        upstream = self._gateway.request("POST", f"/internal/cameras/{camera_id}/offer", OFFER_TIMEOUT_S,
                                         user_id=who().user_id, json=body)
        if upstream.status_code != 200:
            raise gateway_error(upstream)
        self._door.watched(camera, "webrtc", body["quality"])
        answer = upstream.json()
        return jsonify({"sdp": answer["sdp"], "type": answer["type"], "transcoding": bool(answer["transcoding"])})

    def snapshot(self, camera_id: int) -> Any:
        quality = _quality()
        camera = self._door.admit(camera_id)
        upstream = self._gateway.request("GET", f"/internal/cameras/{camera_id}/snapshot.jpg", OFFER_TIMEOUT_S,
                                         user_id=who().user_id, params={"quality": quality})
        if upstream.status_code != 200:
            raise gateway_error(upstream)
        self._door.watched(camera, "snapshot", quality)
        return Response(upstream.content, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    def mjpeg(self, camera_id: int) -> Any:
        quality = _quality()
        camera = self._door.admit(camera_id)
        upstream = self._gateway.request("GET", f"/internal/cameras/{camera_id}/mjpeg", STREAM_READ_TIMEOUT_S,
                                         user_id=who().user_id, params={"quality": quality}, stream=True)
        if upstream.status_code != 200:
            error = gateway_error(upstream)
            upstream.close()
            raise error
        self._door.watched(camera, "mjpeg", quality)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy may buffer a live stream
        content_type = upstream.headers.get("Content-Type", "multipart/x-mixed-replace")
        return Response(stream_with_context(_relay(upstream)), content_type=content_type, headers=headers)

    def status(self) -> Any:
        with self._runtime.session() as session:
            rows = camera_rows(session, scope=scope_of(session, who().user_id))
        return jsonify([{key: row.get(key) for key in STATUS_FIELDS} for row in rows])


def _require_login() -> Any:
    if not current_user.is_authenticated:
        return jsonify({"ok": False, "error": "Cần đăng nhập"}), 401
    may_open = getattr(current_user, "may_open", None)
    if may_open is not None and not may_open("cameras"):
        raise Forbidden("Tài khoản này không được xem camera")
    return None


def _error(exc: IocError) -> Any:
    return jsonify({"ok": False, "error": exc.message}), exc.status


def make_camera_blueprint(runtime: Runtime) -> Blueprint:
    """Offer/answer, snapshot, MJPEG and status of cameras, for logged-in users only."""
    bp = Blueprint("camera_api", __name__)
    routes = CameraRoutes(runtime)
    bp.before_request(_require_login)
    bp.register_error_handler(IocError, _error)
    bp.add_url_rule("/<int:camera_id>/offer", "offer", routes.offer, methods=["POST"])
    bp.add_url_rule("/<int:camera_id>/snapshot.jpg", "snapshot", routes.snapshot)
    bp.add_url_rule("/<int:camera_id>/mjpeg", "mjpeg", routes.mjpeg)
    bp.add_url_rule("/status", "status", routes.status)
    return bp


def _relay(upstream: requests.Response) -> Iterator[bytes]:
    """Pass the gateway's MJPEG bytes through as they come; close it when the browser goes away."""
    try:
        yield from upstream.iter_content(chunk_size=None)
    except requests.RequestException:
        return  # the gateway stopped or went quiet: the tile reconnects by itself
    finally:
        upstream.close()
