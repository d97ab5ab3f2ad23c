"""``POST /api/sensors/readings``: environment sensors (or their vendor's gateway) push readings here.

Authenticated by an API key of channel ``sensors`` (``python -m data.apikeys create "Trạm quan trắc"
--channel sensors``) in the ``X-API-Key`` header (dashboard/api/device_keys.py). The body is a JSON array of
readings (data/monitoring/sensors.py). Valid readings are committed even when others in the batch are refused: a
sensor gateway retries the whole batch, and a reading sent twice is stored once, so nothing accepted is
lost and nothing doubles.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from dashboard.api.device_keys import check_device_key
from data.core.errors import IocError
from data.core.runtime import Runtime
from data.monitoring import sensors

CHANNEL = "sensors"


def make_sensor_blueprint(runtime: Runtime) -> Blueprint:
    bp = Blueprint("sensor_api", __name__)

    @bp.errorhandler(IocError)
    def _error(exc: IocError) -> Any:
        return jsonify({"ok": False, "error": exc.message}), exc.status

    @bp.post("/readings")
    def readings() -> Any:
        name = check_device_key(runtime, CHANNEL, "số đo cảm biến")
        raw = request.get_json(silent=True)
        if raw is None:
            raise IocError("Nội dung phải là JSON (Content-Type: application/json): một danh sách số đo.")
        result = sensors.receive(runtime, raw, source=f"api:{name}")
        status = 400 if result.errors and not (result.stored or result.unchanged) else 200
        return jsonify({"ok": status == 200, **result.as_json()}), status

    return bp
