"""Zalo Official Account: signed webhook deliveries in, customer-service messages out.

Zalo signs each delivery with ``X-ZEvent-Signature: mac=<hex>`` where the hex is
``sha256(app_id + raw_body + timestamp + OA_secret_key)``; ``app_id`` and ``timestamp`` (milliseconds)
are fields of the body itself. A delivery stamped more than ``IOC_ZALO_TIMESTAMP_WINDOW_S`` away from
now is refused, signed or not: a captured delivery cannot be replayed later.
Citizen messages are the events ``user_send_text``, ``user_send_image`` and
``user_send_location``; ``message.msg_id`` identifies a message across Zalo's retries.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import requests

from data.core.errors import Forbidden, InvalidInput
from data.core.settings import Settings
from data.core.text import ascii_digits
from data.intake import Submission
from data.intake.channels.base import REPLY_TIMEOUT_S, NotConfigured, SendError, header, same_digest
from data.models import Channel

SIGNATURE_HEADER = "X-ZEvent-Signature"
MESSAGE_EVENTS = ("user_send_text", "user_send_image", "user_send_location")


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's webhook signature of one raw body (a plain SHA-256, keyed by the secret at its end)."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def check_fresh(timestamp: str, window_s: float, now: float) -> None:
    """Refuse a delivery stamped (in milliseconds) more than ``window_s`` seconds before or after ``now``."""
    if not ascii_digits(timestamp) or len(timestamp) > 16:
        raise Forbidden(f"timestamp của yêu cầu Zalo «{timestamp[:20]}» không phải số mili giây.")
    drift = abs(now - int(timestamp) / 1000)
    if drift > window_s:
        raise Forbidden(f"timestamp của yêu cầu Zalo lệch {drift:.0f} giây so với giờ máy chủ, quá {window_s:g} "
                        "giây cho phép: có thể là yêu cầu gửi lại từ trước, đã bị từ chối, không có gì được ghi.")


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class ZaloChannel:
    name = Channel.ZALO

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def webhook_setting(self) -> str | None:
        return None if self.settings.zalo_app_secret else "IOC_ZALO_APP_SECRET"

    def missing_setting(self) -> str | None:
        return None if self.settings.zalo_oa_access_token else "IOC_ZALO_OA_ACCESS_TOKEN"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        secret = self.settings.zalo_app_secret
        if not secret:
            raise NotConfigured("Kênh Zalo chưa được cấu hình: đặt IOC_ZALO_APP_SECRET (khoá bí mật của OA).")
        given = header(headers, SIGNATURE_HEADER)
        if given and given.startswith("mac="):
            given = given[4:]
        try:
            fields = json.loads(body)
        except ValueError:
            fields = None
        if not isinstance(fields, dict) or not fields.get("app_id") or not fields.get("timestamp"):
            raise Forbidden("Yêu cầu Zalo thiếu app_id hoặc timestamp nên không thể kiểm tra chữ ký.")
        expected = signature(str(fields["app_id"]), body, str(fields["timestamp"]), secret)
        same_digest(expected, given, SIGNATURE_HEADER)
        check_fresh(str(fields["timestamp"]), self.settings.zalo_timestamp_window_s, time.time())

    def parse(self, payload: Any) -> list[Submission]:
        if not isinstance(payload, dict):
            raise InvalidInput("Nội dung webhook Zalo phải là một đối tượng JSON.")
        if payload.get("event_name") not in MESSAGE_EVENTS:
            return []  # follows, "seen" receipts, OA's own messages: not reports
        message = payload.get("message") or {}
        sender = str((payload.get("sender") or {}).get("id") or "")
        msg_id = str(message.get("msg_id") or "")
        if not sender or not msg_id:
            raise InvalidInput("Tin nhắn Zalo thiếu sender.id hoặc message.msg_id.")
        sub = Submission(channel=Channel.ZALO, description=str(message.get("text") or ""), external_id=msg_id,
                         reply_to=sender, publish_consent=False)
        images: list[str] = []
        for item in message.get("attachments") or []:
            body = item.get("payload") or {}
            if item.get("type") == "image" and body.get("url"):
                images.append(str(body["url"]))
            elif item.get("type") == "location":
                coords = body.get("coordinates") or {}
                sub.lat, sub.lon = _float(coords.get("latitude")), _float(coords.get("longitude"))
        sub.attributes = {"image_urls": images} if images else {}
        return [sub]

    def send(self, recipient: str, text: str) -> None:
        token = self.settings.zalo_oa_access_token
        if not token:
            raise NotConfigured("Chưa đặt IOC_ZALO_OA_ACCESS_TOKEN: không gửi được tin trả lời qua Zalo.")
        url = f"{self.settings.zalo_api_url.rstrip('/')}/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": recipient}, "message": {"text": text}}
        try:
            response = requests.post(url, json=body, headers={"access_token": token}, timeout=REPLY_TIMEOUT_S)
        except requests.RequestException as exc:
            raise SendError(f"Zalo không trả lời: {exc}") from None
        if response.status_code != 200:
            raise SendError(f"Zalo trả lỗi HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError:
            raise SendError(f"Zalo trả nội dung không phải JSON: {response.text[:200]}") from None
        # Zalo answers 200 even on failure; the verdict is its "error" field (0 = sent).
        if not isinstance(answer, dict) or answer.get("error") not in (0, "0"):
            raise SendError(f"Zalo từ chối tin trả lời: {str(answer)[:200]}")
