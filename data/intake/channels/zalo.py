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
from collections.abc import Iterator
from typing import Any

import requests

from data.core.errors import Forbidden, InvalidInput
from data.core.text import ascii_digits
from data.intake.channels.base import REPLY_TIMEOUT_S, SendError
from data.intake.channels.signed_webhook import SignedWebhookChannel
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


def _signed_fields(body: bytes) -> tuple[str, str]:
    """(app_id, timestamp) of a delivery: Zalo signs them with the body, so they must be there."""
    try:
        fields = json.loads(body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict) or not fields.get("app_id") or not fields.get("timestamp"):
        raise Forbidden("Yêu cầu Zalo thiếu app_id hoặc timestamp nên không thể kiểm tra chữ ký.")
    return str(fields["app_id"]), str(fields["timestamp"])


class ZaloChannel(SignedWebhookChannel):
    name = Channel.ZALO
    label = "Zalo"
    secret_setting = "zalo_app_secret"
    secret_hint = " (khoá bí mật của OA)"
    token_setting = "zalo_oa_access_token"
    signature_header = SIGNATURE_HEADER
    message_id_field = "msg_id"
    location_fields = ("latitude", "longitude")

    def given_signature(self, value: str | None) -> str | None:
        return value[4:] if value and value.startswith("mac=") else value

    def signature(self, body: bytes, secret: str) -> str:
        app_id, timestamp = _signed_fields(body)
        return signature(app_id, body, timestamp, secret)

    def check_delivery(self, body: bytes) -> None:
        check_fresh(_signed_fields(body)[1], self.settings.zalo_timestamp_window_s, time.time())

    def messages(self, payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if not isinstance(payload, dict):
            raise InvalidInput("Nội dung webhook Zalo phải là một đối tượng JSON.")
        if payload.get("event_name") not in MESSAGE_EVENTS:
            return  # follows, "seen" receipts, OA's own messages: not reports
        yield str((payload.get("sender") or {}).get("id") or ""), payload.get("message") or {}

    def post_reply(self, token: str, recipient: str, text: str) -> requests.Response:
        url = f"{self.settings.zalo_api_url.rstrip('/')}/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": recipient}, "message": {"text": text}}
        return requests.post(url, json=body, headers={"access_token": token}, timeout=REPLY_TIMEOUT_S)

    def check_answer(self, response: requests.Response) -> None:
        try:
            answer = response.json()
        except ValueError:
            raise SendError(f"Zalo trả nội dung không phải JSON: {response.text[:200]}") from None
        # Zalo answers 200 even on failure; the verdict is its "error" field (0 = sent).
        if not isinstance(answer, dict) or answer.get("error") not in (0, "0"):
            raise SendError(f"Zalo từ chối tin trả lời: {str(answer)[:200]}")
