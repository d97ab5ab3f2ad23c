"""``POST /api/vessels/positions``: shore stations and transponder gateways push fishing-vessel positions.

The body is a JSON list of messages (data/monitoring/vessels.py), or ``{"positions": [...]}``; the key of an API
client of channel ``vessels`` goes in the ``X-API-Key`` header (or ``Authorization: Bearer``). Good rows
are stored and bad ones reported by row number (200, ``rejected``); a batch with no good row at all is a
400, so a client sending the wrong format notices at once. Errors answer ``{"ok": false, "error": ...}``
with a Vietnamese message saying what to fix.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from dashboard.api.device_keys import check_device_key
from data.core.errors import IocError
from data.core.runtime import Runtime
from data.monitoring import vessels

log = logging.getLogger(__name__)
MAX_BODY = 4 * 1024 * 1024  # MAX_BATCH messages of ~300 bytes, with room to spare


def _answer(body: dict[str, object], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _body() -> object:
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw)
    except ValueError as exc:  # bytes that are not UTF-8 fail here too
        raise IocError(f"Nội dung không phải JSON hợp lệ ({exc}). Gửi một danh sách vị trí, "
                       'vd. [{"vessel": "TTH-90123-TS", "at": "2026-12-07T05:30:00Z", "lat": 16.6, "lon": 107.7}].'
                       ) from None


def make_vessel_blueprint(runtime: Runtime) -> Blueprint:
    """The ingest endpoint; mounted at ``/api/vessels`` (its path is open to the login guard: it checks keys)."""
    bp = Blueprint("vessel_api", __name__)

    @bp.before_request
    def _limit_body() -> None:
        request.max_content_length = MAX_BODY  # also enforced while a chunked body streams in

    @bp.errorhandler(IocError)
    def _ioc_error(exc: IocError) -> Response:
        return _answer({"ok": False, "error": exc.message}, exc.status)

    @bp.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        return _answer({"ok": False, "error": f"Lô quá lớn: tối đa {MAX_BODY // 1024 // 1024} MB và "
                                              f"{vessels.MAX_BATCH} vị trí mỗi lần gửi."}, 413)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return _answer({"ok": False, "error": exc.description or exc.name}, exc.code or 500)

    @bp.post("/positions")
    def positions() -> Response:
        check_device_key(runtime, vessels.API_CHANNEL, "vị trí tàu cá")
        raw = _body()
        result = vessels.receive(runtime, raw)
        if result.rejected and not (result.stored or result.duplicates):
            return _answer({"ok": False, "error": "Không có vị trí hợp lệ nào trong lô; xem «rejected» để sửa.",
                            "rejected": [p.as_json() for p in result.rejected]}, 400)
        return _answer(result.as_json(), 200)

    return bp
