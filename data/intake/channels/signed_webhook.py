"""What every chat platform that pushes signed JSON deliveries shares: settings, signature check,
messages into submissions, replies over HTTPS.

Zalo and Messenger differ only in a few details: how the signature is computed and written, where
the messages sit in a delivery, which keys a shared location uses, how a reply is addressed and how
the platform says it was refused. A subclass names those and nothing else; the checks, the refusals
and their wording are here, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import requests

from data.core.errors import InvalidInput
from data.core.settings import Settings
from data.intake.channels.base import NotConfigured, SendError, env_name, header, same_digest
from data.intake.submission import Submission
from data.models import Channel


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class SignedWebhookChannel(ABC):
    """A chat platform whose webhook deliveries are signed with a secret and whose replies need a token."""

    name: Channel
    label: str  # as citizens know it: "Zalo"
    secret_setting: ClassVar[str]  # the Settings field that verifies deliveries
    secret_hint: ClassVar[str] = ""  # said after the setting's name when it is missing
    token_setting: ClassVar[str]  # the Settings field that sends replies
    signature_header: ClassVar[str]
    message_id_field: ClassVar[str]  # the message's id in ``message``: Zalo "msg_id", Messenger "mid"
    location_fields: ClassVar[tuple[str, str]]  # latitude and longitude keys of a shared location

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # -- settings ----------------------------------------------------------------------------

    def webhook_setting(self) -> str | None:
        """The IOC_ setting missing before deliveries can be checked, or None when ready."""
        return None if getattr(self.settings, self.secret_setting) else env_name(self.secret_setting)

    def missing_setting(self) -> str | None:
        """The IOC_ setting missing before replies can be sent, or None when ready."""
        return None if getattr(self.settings, self.token_setting) else env_name(self.token_setting)

    # -- deliveries in -----------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise Forbidden unless the raw body carries the platform's valid signature."""
        secret = getattr(self.settings, self.secret_setting)
        if not secret:
            raise NotConfigured(f"Kênh {self.label} chưa được cấu hình: đặt {env_name(self.secret_setting)}"
                                f"{self.secret_hint}.")
        given = self.given_signature(header(headers, self.signature_header))
        same_digest(self.signature(body, secret), given, self.signature_header)
        self.check_delivery(body)

    def given_signature(self, value: str | None) -> str | None:
        """The hex digest in the signature header's value (platforms prefix it: ``sha256=``, ``mac=``)."""
        return value

    @abstractmethod
    def signature(self, body: bytes, secret: str) -> str:
        """The hex digest the platform must have sent for this raw body (Forbidden if it cannot be made)."""

    def check_delivery(self, body: bytes) -> None:
        """Checks after a valid signature (e.g. a replay window); none by default."""
        return None

    def parse(self, payload: Any) -> list[Submission]:
        """The citizen messages in one delivery, in order, one ``Submission`` each."""
        return [self.submission(sender, message) for sender, message in self.messages(payload)]

    @abstractmethod
    def messages(self, payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """(sender id, message) of each citizen message in a delivery; other events left out."""

    def submission(self, sender: str, message: dict[str, Any]) -> Submission:
        """One message as a report: its text, shared photos (as addresses) and shared location."""
        msg_id = str(message.get(self.message_id_field) or "")
        if not sender or not msg_id:
            raise InvalidInput(f"Tin nhắn {self.label} thiếu sender.id hoặc message.{self.message_id_field}.")
        sub = Submission(channel=self.name, description=str(message.get("text") or ""), external_id=msg_id,
                         reply_to=sender, publish_consent=False)
        images: list[str] = []
        lat_key, lon_key = self.location_fields
        for item in message.get("attachments") or []:
            body = item.get("payload") or {}
            if item.get("type") == "image" and body.get("url"):
                images.append(str(body["url"]))
            elif item.get("type") == "location":
                coords = body.get("coordinates") or {}
                sub.lat, sub.lon = _float(coords.get(lat_key)), _float(coords.get(lon_key))
        sub.attributes = {"image_urls": images} if images else {}
        return sub

    # -- replies out -------------------------------------------------------------------------

    def send(self, recipient: str, text: str) -> None:
        """Deliver ``text`` to ``recipient`` or raise SendError (NotConfigured without a token)."""
        token = getattr(self.settings, self.token_setting)
        if not token:
            raise NotConfigured(f"Chưa đặt {env_name(self.token_setting)}: không gửi được tin trả lời qua "
                                f"{self.label}.")
        try:
            response = self.post_reply(token, recipient, text)
        except requests.RequestException as exc:
            raise SendError(f"{self.label} không trả lời: {exc}") from None
        if response.status_code != 200:
            raise SendError(f"{self.label} trả lỗi HTTP {response.status_code}: {response.text[:200]}")
        self.check_answer(response)

    @abstractmethod
    def post_reply(self, token: str, recipient: str, text: str) -> requests.Response:
        """POST one text reply to the platform's API (with ``REPLY_TIMEOUT_S``)."""

    def check_answer(self, response: requests.Response) -> None:
        """Raise SendError when a 200 answer still says the reply was refused; nothing by default."""
        return None
