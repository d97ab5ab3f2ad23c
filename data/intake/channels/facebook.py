"""Facebook Messenger: the page's signed webhook deliveries in, Send API messages out.

Facebook signs each POST with ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, keyed by
the app secret>``; the subscription is confirmed once by a GET echoing ``hub.challenge`` when
``hub.verify_token`` matches ours. One delivery may batch several entries and messages;
``message.mid`` identifies a message across retries.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import requests

from data.core.errors import Forbidden, InvalidInput
from data.core.settings import Settings
from data.intake import Submission
from data.intake.channels.base import REPLY_TIMEOUT_S, NotConfigured, SendError, header, same_digest
from data.models import Channel

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 Facebook puts after ``sha256=``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class FacebookChannel:
    name = Channel.FACEBOOK

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def webhook_setting(self) -> str | None:
        return None if self.settings.facebook_app_secret else "IOC_FACEBOOK_APP_SECRET"

    def missing_setting(self) -> str | None:
        return None if self.settings.facebook_page_token else "IOC_FACEBOOK_PAGE_TOKEN"

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        secret = self.settings.facebook_app_secret
        if not secret:
            raise NotConfigured("Kênh Facebook chưa được cấu hình: đặt IOC_FACEBOOK_APP_SECRET.")
        given = header(headers, SIGNATURE_HEADER)
        if given is not None and not given.startswith("sha256="):
            raise Forbidden(f"Chữ ký {SIGNATURE_HEADER} phải có dạng sha256=<hex>.")
        same_digest(signature(body, secret), given[7:] if given else None, SIGNATURE_HEADER)
        # X-Hub-Signature-256 signs the body alone, with no timestamp, so no freshness window can be
        # checked here (Zalo's can): a replayed delivery is recognised by its message ids (mid) instead.

    def subscribe(self, mode: str | None, token: str | None, challenge: str | None) -> str:
        """The GET handshake: the challenge to echo, or Forbidden when the token is not ours."""
        expected = self.settings.facebook_verify_token
        if not expected:
            raise NotConfigured("Chưa đặt IOC_FACEBOOK_VERIFY_TOKEN: không xác nhận được đăng ký webhook.")
        if mode != "subscribe" or not token or not hmac.compare_digest(token, expected) or not challenge:
            raise Forbidden("hub.verify_token không khớp IOC_FACEBOOK_VERIFY_TOKEN (hoặc thiếu hub.challenge).")
        return challenge

    def parse(self, payload: Any) -> list[Submission]:
        if not isinstance(payload, dict) or payload.get("object") != "page":
            raise InvalidInput('Webhook Facebook phải là JSON có "object": "page".')
        found = []
        for entry in payload.get("entry") or []:
            for event in entry.get("messaging") or []:
                sub = self._message(event)
                if sub is not None:
                    found.append(sub)
        return found

    def _message(self, event: dict[str, Any]) -> Submission | None:
        message = event.get("message")
        # Echoes of the page's own replies, deliveries, reads and postbacks are not reports.
        if not isinstance(message, dict) or message.get("is_echo"):
            return None
        sender = str((event.get("sender") or {}).get("id") or "")
        mid = str(message.get("mid") or "")
        if not sender or not mid:
            raise InvalidInput("Tin nhắn Facebook thiếu sender.id hoặc message.mid.")
        sub = Submission(channel=Channel.FACEBOOK, description=str(message.get("text") or ""), external_id=mid,
                         reply_to=sender, publish_consent=False)
        images: list[str] = []
        for item in message.get("attachments") or []:
            body = item.get("payload") or {}
            if item.get("type") == "image" and body.get("url"):
                images.append(str(body["url"]))
            elif item.get("type") == "location":
                coords = body.get("coordinates") or {}
                sub.lat, sub.lon = _float(coords.get("lat")), _float(coords.get("long"))
        sub.attributes = {"image_urls": images} if images else {}
        return sub

    def send(self, recipient: str, text: str) -> None:
        token = self.settings.facebook_page_token
        if not token:
            raise NotConfigured("Chưa đặt IOC_FACEBOOK_PAGE_TOKEN: không gửi được tin trả lời qua Facebook.")
        url = f"{self.settings.facebook_graph_url.rstrip('/')}/me/messages"
        body = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}}
        try:
            response = requests.post(url, params={"access_token": token}, json=body, timeout=REPLY_TIMEOUT_S)
        except requests.RequestException as exc:
            raise SendError(f"Facebook không trả lời: {exc}") from None
        if response.status_code != 200:
            raise SendError(f"Facebook trả lỗi HTTP {response.status_code}: {response.text[:200]}")
