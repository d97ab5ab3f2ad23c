"""Every messaging channel, by its name in ``Report.channel``. A new channel is one module and one line here.

Adapters are named as ``module:Class`` strings and imported here, not in ``channels.base``: the
adapters import ``base`` for their shared shape, and ``base`` importing them back was a cycle.
"""

from __future__ import annotations

from importlib import import_module

from data.core.settings import Settings
from data.intake.channels.base import ReplyChannel, WebhookChannel

# One line per channel: the adapter class, built from the settings.
ADAPTERS = (
    "data.intake.channels.zalo:ZaloChannel",
    "data.intake.channels.facebook:FacebookChannel",
    "data.intake.channels.email:EmailChannel",
)


def _load(path: str) -> type[ReplyChannel]:
    module, _, attribute = path.partition(":")
    adapter: type[ReplyChannel] = getattr(import_module(module), attribute)
    return adapter


CHANNELS: dict[str, type[ReplyChannel]] = {str(adapter.name): adapter for adapter in map(_load, ADAPTERS)}


def reply_channel(name: str, settings: Settings) -> ReplyChannel | None:
    """The adapter that delivers outbox rows of channel ``name``, or None for a channel with no replies."""
    adapter = CHANNELS.get(name)
    return adapter(settings) if adapter is not None else None


def webhook_channel(name: str, settings: Settings) -> WebhookChannel | None:
    """The adapter behind ``/webhooks/<name>``, or None when ``name`` takes no webhook deliveries."""
    adapter = reply_channel(name, settings)
    return adapter if isinstance(adapter, WebhookChannel) else None


def webhook_names(settings: Settings) -> list[str]:
    """The channels that take webhook deliveries, for messages that list them."""
    return [name for name in CHANNELS if webhook_channel(name, settings) is not None]


def channel_label(name: str) -> str:
    """A channel's name as citizens know it (``zalo`` → ``Zalo``); an unknown name as it is."""
    adapter = CHANNELS.get(name)
    return str(adapter.label) if adapter is not None else name
