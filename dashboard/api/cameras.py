"""The browser's camera API (same origin, login required), forwarded to the stream gateway over loopback.

The browser never learns a camera's URL: it sends an offer for a camera id, and the gateway, which
alone reads the URL from the database, answers. Mounted by the web app at ``/api/cameras``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from flask import Blueprint, Response, jsonify, request, stream_with_context
from flask_login import current_user

from data.core.errors import Forbidden, InvalidInput, IocError
from data.core.runtime import Runtime
from data.reports.queries import camera_rows

TOKEN_HEADER = "X-IOC-Token"
CONNECT_TIMEOUT_S = 3.0
OFFER_TIMEOUT_S = 30.0  # a new camera opens in ~1.5 s; a dead one is given up by the gateway before this
STREAM_READ_TIMEOUT_S = 30.0
MAX_SDP = 32_000
STATUS_FIELDS = ("id", "code", "name", "state", "fps", "last_frame_age_s", "transcoding", "viewers")


class GatewayDown(IocError):
    status = 503
    title = "Máy chủ video không phản hồi"


class GatewayClient:
    """Calls to the gateway's internal API: the token goes with every request."""

    def __init__(self, base_url: str, token: str) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {TOKEN_HEADER: token}

    def request(self, method: str, path: str, timeout: float, **kwargs: Any) -> requests.Response:
        try:
            return requests.request(
                method, f"{self._base}{path}", headers=self._headers, timeout=(CONNECT_TIMEOUT_S, timeout), **kwargs
            )
        except requests.RequestException:
            raise GatewayDown("Máy chủ video không phản hồi, thử lại sau") from None


def _gateway_error(response: requests.Response) -> IocError:
    """The gateway's own ``{"ok": false, "error": ...}`` (it never holds a URL), with its status."""
    try:
        message = str(response.json().get("error") or "")
    except ValueError:
        message = ""
    return IocError(message or "Máy chủ video báo lỗi", status=response.status_code)


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


def make_camera_blueprint(runtime: Runtime) -> Blueprint:
    """Offer/answer, snapshot, MJPEG and status of cameras, for logged-in users only."""
    bp = Blueprint("camera_api", __name__)
    gateway = GatewayClient(runtime.settings.streams_base_url, runtime.settings.streams_internal_token)

    @bp.before_request
    def _require_login() -> Any:
        if not current_user.is_authenticated:
            return jsonify({"ok": False, "error": "Cần đăng nhập"}), 401
        may_open = getattr(current_user, "may_open", None)
        if may_open is not None and not may_open("cameras"):
            raise Forbidden("Tài khoản này không được xem camera")
        return None

    @bp.errorhandler(IocError)
    def _error(exc: IocError) -> Any:
        return jsonify({"ok": False, "error": exc.message}), exc.status

    @bp.post("/<int:camera_id>/offer")
    def offer(camera_id: int) -> Any:
        upstream = gateway.request("POST", f"/internal/cameras/{camera_id}/offer", OFFER_TIMEOUT_S, json=_offer_body())
        if upstream.status_code != 200:
            raise _gateway_error(upstream)
        answer = upstream.json()
        return jsonify({"sdp": answer["sdp"], "type": answer["type"], "transcoding": bool(answer["transcoding"])})

    @bp.get("/<int:camera_id>/snapshot.jpg")
    def snapshot(camera_id: int) -> Any:
        path = f"/internal/cameras/{camera_id}/snapshot.jpg"
        upstream = gateway.request("GET", path, OFFER_TIMEOUT_S, params={"quality": _quality()})
        if upstream.status_code != 200:
            raise _gateway_error(upstream)
        return Response(upstream.content, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @bp.get("/<int:camera_id>/mjpeg")
    def mjpeg(camera_id: int) -> Any:
        path = f"/internal/cameras/{camera_id}/mjpeg"
        upstream = gateway.request("GET", path, STREAM_READ_TIMEOUT_S, params={"quality": _quality()}, stream=True)
        if upstream.status_code != 200:
            error = _gateway_error(upstream)
            upstream.close()
            raise error
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy may buffer a live stream
        content_type = upstream.headers.get("Content-Type", "multipart/x-mixed-replace")
        return Response(stream_with_context(_relay(upstream)), content_type=content_type, headers=headers)

    @bp.get("/status")
    def status() -> Any:
        with runtime.session() as session:
            rows = camera_rows(session)
        return jsonify([{key: row.get(key) for key in STATUS_FIELDS} for row in rows])

    return bp


def _relay(upstream: requests.Response) -> Iterator[bytes]:
    """Pass the gateway's MJPEG bytes through as they come; close it when the browser goes away."""
    try:
        yield from upstream.iter_content(chunk_size=None)
    except requests.RequestException:
        return  # the gateway stopped or went quiet: the tile reconnects by itself
    finally:
        upstream.close()
