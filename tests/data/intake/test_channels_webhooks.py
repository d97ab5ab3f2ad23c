"""Zalo and Facebook webhooks over real HTTP, on SQLite and PostgreSQL, with the platforms on loopback.

The real platforms are on the internet, so a tiny HTTP server started here plays their API: it takes
the replies (Zalo's ``/v3.0/oa/message/cs``, Graph's ``/me/messages``) and serves the photos whose
addresses the deliveries carry. It is the only stand-in; the app, its jobs and databases are real.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from PIL import Image
from sqlalchemy import func, select, update
from werkzeug.serving import make_server

from app import create_app
from data.core.runtime import Runtime
from data.intake.channels.media import attach_pending, fetch_media, fetch_media_pending
from data.intake.channels.outbox import MAX_ATTEMPTS, send_pending
from data.models import Attachment, Outbox, Report, utcnow
from tests.browser import free_port
from tests.dbfixtures import fresh_pg_database, open_runtime

ZALO_SECRET = "zalo-oa-secret-key-thu-nghiem"
ZALO_APP_ID = "4302183729187659412"
FB_SECRET = "facebook-app-secret-thu-nghiem"
FB_VERIFY = "ioc-hue-verify-token"
HUE = (16.4637, 107.5909)
CITY_BOX = (107.40, 16.30, 107.80, 16.60)


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 140, 90)).save(out, format="JPEG")
    return out.getvalue()


@dataclass
class Platform:
    """The loopback stand-in for Zalo's and Facebook's APIs."""

    port: int
    failing: bool = False
    serves_later: bool = False  # /img/later.jpg: 503 until True
    replies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent_to(self, recipient: str) -> list[str]:
        with self.lock:
            return [r["text"] for r in self.replies if r["recipient"] == recipient]


def platform_handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    photo = jpeg_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path.startswith("/img/photo"):
                self._answer(200, photo, "image/jpeg")
            elif path == "/img/program.jpg":
                self._answer(200, b"MZ\x90\x00" + b"\x00" * 300, "image/jpeg")
            elif path == "/img/flaky.jpg":
                self._answer(503, b"busy", "text/plain")
            elif path == "/img/later.jpg":
                if platform.serves_later:
                    self._answer(200, photo, "image/jpeg")
                else:
                    self._answer(503, b"busy", "text/plain")
            else:
                self._answer(404, b"gone", "text/plain")

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if platform.failing:
                self._answer(500, b'{"error": "internal"}')
                return
            if url.path == "/v3.0/oa/message/cs":
                assert self.headers["access_token"] == "zalo-oa-token"
                reply = {"recipient": body["recipient"]["user_id"], "text": body["message"]["text"], "via": "zalo"}
                answer = {"error": 0, "message": "Success", "data": {"message_id": "oa-msg-1"}}
            elif url.path == "/me/messages":
                assert parse_qs(url.query)["access_token"] == ["fb-page-token"]
                reply = {"recipient": body["recipient"]["id"], "text": body["message"]["text"], "via": "facebook"}
                answer = {"recipient_id": body["recipient"]["id"], "message_id": "m_reply"}
            else:
                self._answer(404, b"{}")
                return
            with platform.lock:
                platform.replies.append(reply)
            self._answer(200, json.dumps(answer).encode())

    return Handler


@dataclass
class Live:
    url: str
    runtime: Runtime
    platform: Platform


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    platform = Platform(free_port())
    api = ThreadingHTTPServer(("127.0.0.1", platform.port), platform_handler(platform))
    threading.Thread(target=api.serve_forever, daemon=True).start()
    tmp = tmp_path_factory.mktemp("webhooks")
    settings = {
        "zalo_app_secret": ZALO_SECRET, "zalo_oa_access_token": "zalo-oa-token", "zalo_api_url": platform.url,
        "facebook_app_secret": FB_SECRET, "facebook_verify_token": FB_VERIFY,
        "facebook_page_token": "fb-page-token", "facebook_graph_url": platform.url,
        "intake_bbox": CITY_BOX, "upload_dir": tmp / "uploads",
    }
    with _database(request.param, tmp) as url, open_runtime(url, **settings) as runtime:
        app = create_app(runtime.settings, runtime)
        port = free_port()
        web = make_server("127.0.0.1", port, app.server, threaded=True)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        yield Live(f"http://127.0.0.1:{port}", runtime, platform)
        web.shutdown()
    api.shutdown()


def _database(kind: str, tmp: Path) -> Any:
    if kind == "postgres":
        return fresh_pg_database()
    from contextlib import nullcontext

    return nullcontext(f"sqlite:///{tmp / 'hooks.sqlite3'}")


# ---------------------------------------------------------------------------------------------
# Deliveries as the platforms send them
# ---------------------------------------------------------------------------------------------


def zalo_event(event: str, sender: str, msg_id: str, text: str = "",
               attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"msg_id": msg_id, "text": text}
    if attachments:
        message["attachments"] = attachments
    return {"app_id": ZALO_APP_ID, "user_id_by_app": f"app-{sender}", "event_name": event,
            "timestamp": str(int(time.time() * 1000)), "sender": {"id": sender},
            "recipient": {"id": "579745863508352884"}, "message": message}


def post_zalo(live: Live, payload: dict[str, Any], signature: str | None = "good") -> requests.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        mac = hashlib.sha256(ZALO_APP_ID.encode() + body + payload["timestamp"].encode() + ZALO_SECRET.encode())
        headers["X-ZEvent-Signature"] = f"mac={mac.hexdigest()}"
    elif signature is not None:
        headers["X-ZEvent-Signature"] = signature
    return requests.post(f"{live.url}/webhooks/zalo", data=body, headers=headers, timeout=30)


def fb_message(sender: str, mid: str, text: str | None = None,
               attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = attachments
    return {"sender": {"id": sender}, "recipient": {"id": "109876543210"},
            "timestamp": int(time.time() * 1000), "message": message}


def post_fb(live: Live, events: list[dict[str, Any]], secret: str = FB_SECRET) -> requests.Response:
    payload = {"object": "page", "entry": [{"id": "109876543210", "time": int(time.time() * 1000),
                                             "messaging": events}]}
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return requests.post(f"{live.url}/webhooks/facebook", data=body, timeout=30,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"})


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def reports_of(live: Live, sender: str) -> list[Report]:
    with live.runtime.session() as s:
        rows = list(s.scalars(select(Report).where(Report.attributes["sender_id"].as_string() == sender)))
        s.expunge_all()
        return rows


def attachments_of(live: Live, report_id: int) -> int:
    with live.runtime.session() as s:
        return int(s.scalar(select(func.count()).select_from(Attachment).where(Attachment.report_id == report_id))
                   or 0)


def counts(live: Live) -> tuple[int, int]:
    with live.runtime.session() as s:
        return (int(s.scalar(select(func.count()).select_from(Report)) or 0),
                int(s.scalar(select(func.count()).select_from(Outbox)) or 0))


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_zalo_messages_gather_into_one_report_and_the_reply_is_delivered(live: Live) -> None:
    sender = "2468458835296117922"
    text = zalo_event("user_send_text", sender, "zl-text-1", "Cống thoát nước bị tắc, nước tràn ra đường Trần Hưng Đạo")
    first = post_zalo(live, text)
    assert first.status_code == 200, first.text
    assert first.json()["messages"][0]["outcome"] == "created"
    code = first.json()["messages"][0]["tracking_code"]
    assert code.startswith("HUE-")

    location = zalo_event("user_send_location", sender, "zl-loc-1", attachments=[
        {"type": "location", "payload": {"coordinates": {"latitude": str(HUE[0]), "longitude": str(HUE[1])}}}])
    image = zalo_event("user_send_image", sender, "zl-img-1", "ảnh hiện trường", attachments=[
        {"type": "image", "payload": {"thumbnail": f"{live.platform.url}/img/photo-s.jpg",
                                      "url": f"{live.platform.url}/img/photo-1.jpg"}}])
    for delivery in (location, image):
        answer = post_zalo(live, delivery)
        assert answer.status_code == 200 and answer.json()["messages"][0] == {
            "outcome": "joined", "tracking_code": code, "error": None}
    retried = post_zalo(live, text)  # Zalo delivering the first message again
    assert retried.json()["messages"][0]["outcome"] == "repeat"

    [report] = reports_of(live, sender)
    assert (report.channel, report.external_id, report.tracking_code) == ("zalo", "zl-text-1", code)
    assert (report.lat, report.lon) == HUE
    assert report.description.startswith("Cống thoát nước bị tắc") and report.description.endswith("ảnh hiện trường")
    assert report.attributes and report.attributes["message_ids"] == ["zl-text-1", "zl-loc-1", "zl-img-1"]
    assert report.reporter_name is None and not report.publish_consent

    # The photo is fetched by the background job (queued by the webhook), as real JPEG bytes.
    wait_for(lambda: attachments_of(live, report.id) == 1, "the Zalo photo to be attached")
    [report] = reports_of(live, sender)
    assert "pending_media" not in (report.attributes or {})
    # The replies (tracking code, then what was added) reach the platform through the outbox job.
    wait_for(lambda: any(code in t for t in live.platform.sent_to(sender)) and len(live.platform.sent_to(sender)) >= 4,
             "the Zalo replies")
    assert any(f"Mã theo dõi: {code}" in t for t in live.platform.sent_to(sender))


def test_bad_signatures_are_refused_and_write_nothing(live: Live) -> None:
    before = counts(live)
    payload = zalo_event("user_send_text", "999", "zl-forged", "giả mạo")
    for signature in (None, "mac=" + "0" * 64, "not-a-mac"):
        answer = post_zalo(live, payload, signature=signature)
        assert answer.status_code == 403
        assert answer.json()["ok"] is False and "X-ZEvent-Signature" in answer.json()["error"]
    forged = post_fb(live, [fb_message("998", "m_forged", "giả mạo")], secret="not-the-secret")
    assert forged.status_code == 403 and "X-Hub-Signature-256" in forged.json()["error"]
    assert counts(live) == before
    garbage = requests.post(f"{live.url}/webhooks/zalo", data=b"{not json", timeout=10,
                            headers={"X-ZEvent-Signature": "mac=00"})
    assert garbage.status_code == 403 and counts(live) == before


def test_a_replayed_or_future_zalo_delivery_is_refused(live: Live) -> None:
    """A well-signed delivery stamped outside the freshness window (a replay, or a wrong clock) is a 403."""
    before = counts(live)
    for minutes in (-10, 10):
        payload = zalo_event("user_send_text", "7777", f"zl-replay{minutes}", "Cống thoát nước bị tắc")
        payload["timestamp"] = str(int((time.time() + minutes * 60) * 1000))
        answer = post_zalo(live, payload)
        assert answer.status_code == 403, answer.text
        assert "timestamp" in answer.json()["error"] and "300" in answer.json()["error"], answer.json()
    assert counts(live) == before
    fresh = post_zalo(live, zalo_event("user_send_text", "7777", "zl-fresh", "Cống thoát nước bị tắc"))
    assert fresh.status_code == 200 and fresh.json()["messages"][0]["outcome"] == "created"


def test_a_nul_in_a_chat_message_is_dropped_not_a_crash(live: Live) -> None:
    """The platform retries anything but a 2xx, so a NUL no one typed is dropped from the text."""
    sender = "8888008888"
    answer = post_zalo(live, zalo_event("user_send_text", sender, "zl-nul\u0000", "Ổ gà\u0000 lớn giữa đường"))
    assert answer.status_code == 200 and answer.json()["messages"][0]["outcome"] == "created", answer.text
    [report] = reports_of(live, sender)
    assert report.description == "Ổ gà lớn giữa đường" and report.external_id == "zl-nul"


def test_facebook_handshake_batch_photos_and_retries(live: Live) -> None:
    ok = requests.get(f"{live.url}/webhooks/facebook", timeout=10, params={
        "hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = requests.get(f"{live.url}/webhooks/facebook", timeout=10, params={
        "hub.mode": "subscribe", "hub.verify_token": "khac", "hub.challenge": "1"})
    assert wrong.status_code == 403

    psid, other = "7312045566778899", "7312045566770000"
    img = live.platform.url + "/img"
    batch = [
        fb_message(psid, "m_fb_1", "Cây xanh đổ chắn lối đi trước trường học"),
        fb_message(psid, "m_fb_2", attachments=[{"type": "location", "payload": {
            "coordinates": {"lat": HUE[0], "long": HUE[1]}}}]),
        fb_message(psid, "m_fb_3", attachments=[
            {"type": "image", "payload": {"url": f"{img}/photo-a.jpg"}},
            {"type": "image", "payload": {"url": f"{img}/program.jpg"}},
            {"type": "image", "payload": {"url": f"{img}/missing.jpg"}},
        ]),
        {"sender": {"id": "109876543210"}, "recipient": {"id": psid}, "timestamp": 1,
         "message": {"mid": "m_echo", "is_echo": True, "text": "trả lời của trang"}},
        fb_message(other, "m_fb_9", "Vỉa hè bị lấn chiếm"),
    ]
    answer = post_fb(live, batch)
    assert answer.status_code == 200, answer.text
    assert [m["outcome"] for m in answer.json()["messages"]] == ["created", "joined", "joined", "created"]
    again = post_fb(live, batch)  # Facebook retrying the whole delivery
    assert [m["outcome"] for m in again.json()["messages"]] == ["repeat"] * 4

    [report] = reports_of(live, psid)
    assert (report.channel, report.external_id, report.lat) == ("facebook", "m_fb_1", HUE[0])
    assert len(reports_of(live, other)) == 1
    wait_for(lambda: "pending_media" not in (reports_of(live, psid)[0].attributes or {}), "the photos")
    assert attachments_of(live, report.id) == 1  # the JPEG; the program and the gone file are noted
    problems = (reports_of(live, psid)[0].attributes or {})["media_problems"]
    assert sorted(p["url"].rsplit("/", 1)[1] for p in problems) == ["missing.jpg", "program.jpg"]
    wait_for(lambda: any(report.tracking_code in t for t in live.platform.sent_to(psid)), "the Messenger reply")


def test_a_place_outside_the_city_is_answered_not_stored(live: Live) -> None:
    sender = "1357913579"
    before = counts(live)
    answer = post_zalo(live, zalo_event("user_send_location", sender, "zl-hanoi", attachments=[
        {"type": "location", "payload": {"coordinates": {"latitude": "21.0285", "longitude": "105.8542"}}}]))
    assert answer.status_code == 200 and answer.json()["messages"][0]["outcome"] == "refused"
    assert counts(live)[0] == before[0]
    wait_for(lambda: any("ngoài địa bàn" in t for t in live.platform.sent_to(sender)), "the refusal reply")


def test_a_failing_platform_is_retried_with_backoff_then_sent(live: Live) -> None:
    sender = "8642086420"
    live.platform.failing = True
    try:
        answer = post_zalo(live, zalo_event("user_send_text", sender, "zl-down-1", "Ổ gà lớn giữa đường"))
        assert answer.status_code == 200  # the report does not wait for the reply
        [report] = reports_of(live, sender)

        def rows() -> list[Outbox]:
            with live.runtime.session() as s:
                found = list(s.scalars(select(Outbox).where(Outbox.report_id == report.id).order_by(Outbox.id)))
                s.expunge_all()
                return found

        # Claimed rows show attempts=1 before the send fails: wait for the recorded failures.
        wait_for(lambda: len(rows()) == 2 and all(r.attempts == 1 and r.last_error for r in rows()),
                 "the first, failed tries")
        for row in rows():
            assert row.status == "pending" and "HTTP 500" in (row.last_error or "")
            assert row.next_attempt_at > utcnow() + timedelta(seconds=20)  # backing off, not hammering
        assert send_pending(live.runtime) == 0  # not due yet
    finally:
        live.platform.failing = False
    with live.runtime.session() as s:  # the backoff has passed
        s.execute(update(Outbox).where(Outbox.report_id == report.id).values(next_attempt_at=utcnow()))
    assert send_pending(live.runtime) == 2
    assert {r.status for r in rows()} == {"sent"} and all(r.attempts == 2 for r in rows())
    assert any(report.tracking_code in t for t in live.platform.sent_to(sender))

    # A reply that keeps failing is given up after MAX_ATTEMPTS, not retried for ever.
    live.platform.failing = True
    try:
        with live.runtime.session() as s:
            s.add(Outbox(channel="zalo", recipient=sender, report_id=report.id, body="thử lần cuối",
                         attempts=MAX_ATTEMPTS - 1, next_attempt_at=utcnow()))
        assert send_pending(live.runtime) == 0
    finally:
        live.platform.failing = False
    assert rows()[-1].status == "failed" and rows()[-1].attempts == MAX_ATTEMPTS


def test_a_passing_download_failure_is_retried(live: Live) -> None:
    sender = "5555000011"
    post_zalo(live, zalo_event("user_send_image", sender, "zl-flaky", attachments=[
        {"type": "image", "payload": {"url": f"{live.platform.url}/img/flaky.jpg"}}]))
    [report] = reports_of(live, sender)
    assert report.description.startswith("(Phản ánh qua Zalo")
    assert attach_pending(live.runtime, report.id) == 0
    pending = (reports_of(live, sender)[0].attributes or {})["pending_media"]
    assert pending[0]["tries"] >= 1 and "503" in pending[0]["last_error"]


def test_a_photo_served_later_is_attached_by_the_media_jobs(live: Live) -> None:
    """``channels.fetch_media`` (queued by the webhook) keeps a photo the platform cannot serve yet; the
    ``channels.fetch_media_pending`` sweep attaches it once the platform serves it."""
    sender = "5555000022"
    post_zalo(live, zalo_event("user_send_image", sender, "zl-later", attachments=[
        {"type": "image", "payload": {"url": f"{live.platform.url}/img/later.jpg"}}]))
    [report] = reports_of(live, sender)

    def tries() -> int:
        pending = (reports_of(live, sender)[0].attributes or {}).get("pending_media", [])
        return int(pending[0].get("tries", 0)) if pending else -1

    wait_for(lambda: tries() >= 1, "the queued fetch to try once")
    assert fetch_media(live.runtime, report_id=report.id) == 0 and tries() >= 2  # still 503: kept for later
    live.platform.serves_later = True
    try:
        assert fetch_media_pending(live.runtime) >= 1
    finally:
        live.platform.serves_later = False
    assert attachments_of(live, report.id) == 1
    assert "pending_media" not in (reports_of(live, sender)[0].attributes or {})


def test_a_channel_without_its_secret_says_which_setting_to_set(tmp_path: Path) -> None:
    with open_runtime(f"sqlite:///{tmp_path / 'bare.sqlite3'}", upload_dir=tmp_path / "u") as runtime:
        client = create_app(runtime.settings, runtime).server.test_client()
        answer = client.post("/webhooks/zalo", data=b"{}")
        assert answer.status_code == 503 and "IOC_ZALO_APP_SECRET" in answer.get_json()["error"]
        answer = client.post("/webhooks/facebook", data=b"{}")
        assert answer.status_code == 503 and "IOC_FACEBOOK_APP_SECRET" in answer.get_json()["error"]
        assert client.post("/webhooks/viber", data=b"{}").status_code == 404
