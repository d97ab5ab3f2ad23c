"""Facebook Messenger: the page's signed webhook deliveries in, Send API messages out.

Facebook signs each POST with ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, keyed by
the app secret>``; the subscription is confirmed once by a GET echoing ``hub.challenge`` when
``hub.verify_token`` matches ours. One delivery may batch several entries and messages;
``message.mid`` identifies a message across retries.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any

import requests

from data.core.errors import Forbidden, InvalidInput
from data.intake.channels.base import REPLY_TIMEOUT_S, NotConfigured
from data.intake.channels.signed_webhook import SignedWebhookChannel
from data.models import Channel

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 Facebook puts after ``sha256=``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FacebookChannel(SignedWebhookChannel):
    name = Channel.FACEBOOK
    label = "Facebook"
    secret_setting = "facebook_app_secret"
    token_setting = "facebook_page_token"
    signature_header = SIGNATURE_HEADER
    message_id_field = "mid"
    location_fields = ("lat", "long")

    # X-Hub-Signature-256 signs the body alone, with no timestamp, so no freshness window can be
    # checked (Zalo's can): a replayed delivery is recognised by its message ids (mid) instead.

    def given_signature(self, value: str | None) -> str | None:
        if value is not None and not value.startswith("sha256="):
            raise Forbidden(f"Chữ ký {SIGNATURE_HEADER} phải có dạng sha256=<hex>.")
        return value[7:] if value else None

    def signature(self, body: bytes, secret: str) -> str:
        return signature(body, secret)

    def subscribe(self, mode: str | None, token: str | None, challenge: str | None) -> str:
        """The GET handshake: the challenge to echo, or Forbidden when the token is not ours."""
        expected = self.settings.facebook_verify_token
        if not expected:
            raise NotConfigured("Chưa đặt IOC_FACEBOOK_VERIFY_TOKEN: không xác nhận được đăng ký webhook.")
        if mode != "subscribe" or not token or not hmac.compare_digest(token, expected) or not challenge:
            raise Forbidden("hub.verify_token không khớp IOC_FACEBOOK_VERIFY_TOKEN (hoặc thiếu hub.challenge).")
        return challenge

    def messages(self, payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if not isinstance(payload, dict) or payload.get("object") != "page":
            raise InvalidInput('Webhook Facebook phải là JSON có "object": "page".')
        for entry in payload.get("entry") or []:
            for event in entry.get("messaging") or []:
                message = event.get("message")
                # Echoes of the page's own replies, deliveries, reads and postbacks are not reports.
                if isinstance(message, dict) and not message.get("is_echo"):
                    yield str((event.get("sender") or {}).get("id") or ""), message

    def post_reply(self, token: str, recipient: str, text: str) -> requests.Response:
        url = f"{self.settings.facebook_graph_url.rstrip('/')}/me/messages"
        body = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}}
        return requests.post(url, params={"access_token": token}, json=body, timeout=REPLY_TIMEOUT_S)
