"""The one shape of a messaging channel: check a delivery, read its messages, send a reply.

Zalo OA and Facebook Messenger push webhooks (``WebhookChannel``, built on the shared
``channels.signed_webhook.SignedWebhookChannel``); email is read from a mailbox by a job and answered
by SMTP (``ReplyChannel`` only). Every adapter is a plain class built from the settings; the
channels are listed in ``channels.registry``. This module imports no adapter, so adapters can
import it without a cycle.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from data.core.errors import Forbidden, IocError

if TYPE_CHECKING:
    from data.core.settings import Settings
    from data.intake import Submission

# A reply that the platform refused or could not take; the outbox job retries it with backoff.
REPLY_TIMEOUT_S = 10.0


class SendError(IocError):
    """A reply not delivered (platform down, token wrong, recipient unknown): retried later."""

    status = 502
    title = "Không gửi được tin trả lời"


class NotConfigured(IocError):
    """A channel whose secret or token is not set: it refuses deliveries and keeps replies pending."""

    status = 503
    title = "Kênh chưa được cấu hình"


class ReplyChannel(Protocol):
    """Anything that can send a short text to a citizen at a channel-specific address."""

    def __init__(self, settings: Settings) -> None:
        """Adapters are built from the settings alone (``channels.registry``)."""

    @property
    def name(self) -> str:
        """The channel's name, as in ``Report.channel`` and ``Outbox.channel``."""

    @property
    def label(self) -> str:
        """The channel's name as citizens know it (``Zalo``), for texts that mention it."""

    def missing_setting(self) -> str | None:
        """The IOC_ setting that must be set before replies can be sent, or None when ready."""

    def send(self, recipient: str, text: str) -> None:
        """Deliver ``text`` to ``recipient`` or raise SendError."""


@runtime_checkable
class WebhookChannel(ReplyChannel, Protocol):
    """A platform that pushes signed deliveries to ``/webhooks/<name>``."""

    def webhook_setting(self) -> str | None:
        """The IOC_ setting that must be set before deliveries are accepted, or None when ready."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise Forbidden unless the raw body carries the platform's valid signature."""

    def parse(self, payload: Any) -> list[Submission]:
        """The citizen messages in one delivery, in order, one ``Submission`` each.

        ``description`` may be empty (a photo or a location alone); image addresses are in
        ``attributes["image_urls"]``; ``external_id`` is the platform's message id and ``reply_to``
        the sender's id. Events that are not a citizen's message (follows, reads) are left out.
        """


def same_digest(expected: str, given: str | None, what: str) -> None:
    """Constant-time comparison of two hex digests; a missing or wrong one is refused by name."""
    if not given:
        raise Forbidden(f"Thiếu chữ ký {what}: yêu cầu không đến từ nền tảng và đã bị từ chối.")
    if not hmac.compare_digest(expected.lower(), given.strip().lower()):
        raise Forbidden(f"Chữ ký {what} không đúng: yêu cầu đã bị từ chối, không có gì được ghi.")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (Werkzeug's headers already ignore it; dicts do not)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def env_name(setting: str) -> str:
    """The environment variable of a ``Settings`` field, as people are told to set it."""
    return f"IOC_{setting.upper()}"
