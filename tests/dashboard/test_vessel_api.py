"""``POST /api/vessels/positions`` over real HTTP (a live server per database, SQLite and PostgreSQL):
keys checked (401 without, 403 wrong, revoked or of another channel), bad JSON a 400, good rows kept
and bad ones reported, a resent batch stored once, and nothing stored by a refused request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from data.accounts.apikeys import create_api_key, revoke_api_key
from data.core.runtime import Runtime
from data.models import Vessel, VesselPosition, utcnow
from data.monitoring.vessels import API_CHANNEL
from tests.browser import free_port
from tests.dbfixtures import open_runtime


@dataclass
class Live:
    url: str
    runtime: Runtime
    key: str
    open311_key: str
    revoked_key: str

    def post(self, body: object, key: str | None = "") -> requests.Response:
        """``body`` as JSON, with this test's vessels key, another key, or (None) none."""
        headers = {"X-API-Key": self.key if key == "" else key} if key is not None else {}
        return requests.post(self.url, json=body, headers=headers, timeout=30)

    def send(self, data: bytes) -> requests.Response:
        """Raw bytes, with the right key."""
        return requests.post(self.url, data=data, timeout=30,
                             headers={"X-API-Key": self.key, "Content-Type": "application/json"})

    def positions(self) -> int:
        with self.runtime.session() as s:
            return s.scalar(select(func.count(VesselPosition.id))) or 0


@pytest.fixture
def live(db_url: str) -> Iterator[Live]:
    with open_runtime(db_url) as runtime:
        with runtime.session() as s:
            _, key = create_api_key(s, "Trạm bờ Thuận An", API_CHANNEL)
            _, open311_key = create_api_key(s, "Ứng dụng Hue-S")
            revoked, revoked_key = create_api_key(s, "Trạm cũ", API_CHANNEL)
            revoke_api_key(s, revoked.id)
        app = create_app(runtime.settings, runtime)
        port = free_port()
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(f"http://127.0.0.1:{port}/api/vessels/positions", runtime, key, open311_key, revoked_key)
        finally:
            server.shutdown()


def _msg(vessel: str = "TTH-90123-TS", minutes_ago: int = 5, **extra: object) -> dict[str, object]:
    at = (utcnow() - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    return {"vessel": vessel, "at": at.isoformat() + "Z", "lat": 16.65, "lon": 107.75, "speed_kn": 5.0, **extra}


def test_keys_are_checked_before_anything_is_read(live: Live) -> None:
    batch = [_msg()]
    missing = live.post(batch, key=None)
    assert missing.status_code == 401
    assert missing.json()["ok"] is False and "X-API-Key" in missing.json()["error"]
    for key, words in ((live.open311_key, "kênh «open311»"), (live.revoked_key, "thu hồi"), ("ioc311_sai", "sai")):
        refused = live.post(batch, key=key)
        assert refused.status_code == 403, key
        assert words in refused.json()["error"]
    assert live.positions() == 0
    bearer = requests.post(live.url, json=batch, headers={"Authorization": f"Bearer {live.key}"}, timeout=30)
    assert bearer.status_code == 200 and bearer.json()["stored"] == 1


def test_bad_json_and_wrong_shapes_are_400_with_a_message(live: Live) -> None:
    broken = live.send(b'[{"vessel": "TTH-1-TS", ')
    assert broken.status_code == 400
    assert broken.json()["error"].startswith("Nội dung không phải JSON hợp lệ")
    not_a_list = live.post({"vessel": "TTH-1-TS"})
    assert not_a_list.status_code == 400 and "danh sách vị trí" in not_a_list.json()["error"]
    all_bad = live.post([_msg(lat=91), _msg(minutes_ago=-120)])
    assert all_bad.status_code == 400
    assert [(r["row"], r["field"]) for r in all_bad.json()["rejected"]] == [(1, "lat"), (2, "at")]
    assert live.positions() == 0


def test_good_rows_are_kept_bad_ones_reported_and_a_resend_stored_once(live: Live) -> None:
    batch = [_msg(minutes_ago=6), _msg(minutes_ago=5, name="Minh Phát"), _msg(vessel="TTH 1", minutes_ago=4),
             _msg(minutes_ago=3, lat=16.95, lon=108.2)]  # the last one off every zone: there are none here
    first = live.post(batch)
    assert first.status_code == 200
    body = first.json()
    assert (body["ok"], body["stored"], body["duplicates"], body["vessels_created"]) == (True, 3, 0, 1)
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [(3, "vessel")]
    assert "TTH-90123-TS" in body["rejected"][0]["error"]  # says what a registration looks like
    again = live.post(batch)
    assert (again.status_code, again.json()["stored"], again.json()["duplicates"]) == (200, 0, 3)
    assert live.positions() == 3
    with live.runtime.session() as s:
        vessel = s.scalar(select(Vessel))
        assert vessel is not None and (vessel.name, vessel.last_lat, vessel.last_in_zone) == ("Minh Phát", 16.95, None)


def test_an_oversized_body_is_refused_with_413(live: Live) -> None:
    huge = live.send(b"[" + b" " * (5 * 1024 * 1024) + b"]")
    assert huge.status_code == 413 and "tối đa" in huge.json()["error"]
