"""Webhooks of the chat platforms (``/webhooks/zalo``, ``/webhooks/facebook``), open to the internet.

Each delivery's signature is checked on the raw body before anything is parsed or written; a bad
or missing one is a 403 and leaves no trace. Messages go through the intake pipeline (see
``data.intake.channels.conversation``) and the answer is 200 only once they are committed, so a platform
that saw an error retries, and the retry finds the message already taken.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request

from data.core.errors import InvalidInput, IocError, NotFound
from data.core.runtime import Runtime
from data.core.text import without_nul
from data.intake.channels.base import NotConfigured, WebhookChannel
from data.intake.channels.conversation import Conversations
from data.intake.channels.facebook import FacebookChannel
from data.intake.channels.registry import webhook_channel, webhook_names

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # a delivery is a few KB of JSON; photos come as addresses


class TooLarge(IocError):
    status = 413
    title = "Yêu cầu quá lớn"


def make_webhooks_blueprint(runtime: Runtime) -> Blueprint:
    """The webhook endpoints, bound to this process's runtime."""
    bp = Blueprint("webhooks", __name__)
    conversations = Conversations(runtime)

    def adapter_for(name: str) -> WebhookChannel:
        adapter = webhook_channel(name, runtime.settings)
        if adapter is None:
            raise NotFound(f"Không có kênh webhook «{name}» (có: {', '.join(webhook_names(runtime.settings))}).")
        missing = adapter.webhook_setting()
        if missing:
            raise NotConfigured(f"Kênh {name} chưa được cấu hình: đặt {missing} rồi khởi động lại.")
        return adapter

    @bp.post("/<name>")
    def deliver(name: str) -> Any:
        adapter = adapter_for(name)
        if (request.content_length or 0) > MAX_BODY:
            raise TooLarge(f"Nội dung webhook vượt {MAX_BODY // 1024} KB.")
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY:
            raise TooLarge(f"Nội dung webhook vượt {MAX_BODY // 1024} KB.")
        adapter.verify(dict(request.headers.items()), body)
        try:
            # A NUL (\u0000) in a chat message is noise no one typed, and PostgreSQL cannot store it: dropped,
            # so the platform (which retries any refusal) does not send it again and again.
            payload = without_nul(json.loads(body))
        except ValueError:
            raise InvalidInput("Nội dung webhook không phải JSON hợp lệ.") from None
        taken = [conversations.take(sub) for sub in adapter.parse(payload)]
        if taken:
            try:
                runtime.jobs.enqueue("outbox.send")
            except Exception:  # committed; the scheduled outbox.send sends it within seconds
                log.exception("could not queue outbox.send")
        return jsonify(ok=True, messages=[
            {"outcome": t.outcome, "tracking_code": t.tracking_code, "error": t.error} for t in taken
        ])

    @bp.get("/facebook")
    def facebook_subscribe() -> Any:
        adapter = adapter_for("facebook")
        assert isinstance(adapter, FacebookChannel)
        challenge = adapter.subscribe(request.args.get("hub.mode"), request.args.get("hub.verify_token"),
                                      request.args.get("hub.challenge"))
        return Response(challenge, mimetype="text/plain")

    return bp
