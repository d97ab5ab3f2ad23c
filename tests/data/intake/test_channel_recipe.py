"""docs/recipes/add-a-channel.md, followed literally: its adapter, written on the shared signed-webhook base,
with its settings, its ``Channel`` value and its label, checks signatures, reads the platform's messages
and sends replies; its registry step is one line.

The recipe's blocks run against the real modules: the ``Channel`` enum and ``Settings`` are extended
with exactly the recipe's lines (as if written in ``data/models/reports.py`` and
``data/core/settings/channels.py``). The
platform's API is a small HTTP server on loopback, as in ``test_channels_webhooks.py``.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import hmac
import json
import re
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

import data.models
from data.core.errors import Forbidden
from data.core.settings import Settings
from data.intake.channels import registry
from data.intake.channels.base import SendError, WebhookChannel
from data.models import Channel

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "docs" / "recipes" / "add-a-channel.md"
BLOCK = re.compile(r'^```(?:python|toml) title="([^"]+)"\n(.*?)^```$', re.S | re.M)
ADAPTER_FILE = "data/intake/channels/viber.py"
TOKEN = "viber-bot-token-thu-nghiem"


def blocks() -> dict[str, str]:
    return dict(BLOCK.findall(RECIPE.read_text(encoding="utf-8")))


def test_the_registry_step_is_one_line_naming_the_adapter() -> None:
    line = blocks()["data/intake/channels/registry.py"]
    assert len(line.splitlines()) == 1
    path = line.strip().strip('",')
    module, _, cls = path.partition(":")
    assert module.replace(".", "/") + ".py" == ADAPTER_FILE and f"class {cls}(" in blocks()[ADAPTER_FILE]
    source = Path(registry.__file__).read_text(encoding="utf-8").splitlines(keepends=True)
    end = next(i for i in range(source.index("ADAPTERS = (\n"), len(source)) if source[i].rstrip() == ")")
    added = [*source[:end], line, *source[end:]]
    assert [d for d in difflib.ndiff(source, added) if d[:1] in "+-"] == ["+ " + line]


@pytest.fixture
def platform() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """Viber's send_message on loopback: (its base URL, the bodies it took, the status it answers)."""
    taken: list[dict[str, Any]] = []
    status = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert self.path == "/pa/send_message" and self.headers["X-Viber-Auth-Token"] == TOKEN
            taken.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({"status": status[0], "status_message": "ok" if status[0] == 0 else "notSubscribed"})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", taken, status
    server.shutdown()
    server.server_close()
    thread.join()


def recipe_adapter(monkeypatch: pytest.MonkeyPatch, api_url: str) -> Any:
    """The recipe's adapter, built on settings that have the recipe's fields."""
    parts = blocks()
    new_values: dict[str, str] = {}
    exec(parts["data/models/reports.py"].strip(), {}, new_values)
    extended = enum.StrEnum("Channel", {**{c.name: c.value for c in Channel}, **new_values})  # type: ignore[misc]
    monkeypatch.setattr(data.models, "Channel", extended)
    namespace: dict[str, Any] = {"Settings": Settings, "Field": Field}
    exec("class RecipeSettings(Settings):\n" + parts["data/core/settings/channels.py"], namespace)
    labels = [tomllib.loads(parts[f"dashboard/i18n/{lang}.toml"]) for lang in ("vi", "en")]
    assert labels == [{f"channel.{v}": "Viber" for v in new_values.values()}] * 2
    adapter_code: dict[str, Any] = {"__name__": "data.intake.channels.viber"}
    exec(parts[ADAPTER_FILE], adapter_code)
    return adapter_code["ViberChannel"](namespace["RecipeSettings"](viber_auth_token=TOKEN, viber_api_url=api_url))


def test_the_recipe_adapter_checks_reads_and_answers(monkeypatch: pytest.MonkeyPatch,
                                                     platform: tuple[str, list[dict[str, Any]], list[int]]) -> None:
    url, taken, status = platform
    viber = recipe_adapter(monkeypatch, url)
    assert isinstance(viber, WebhookChannel) and viber.webhook_setting() is None and viber.missing_setting() is None

    text = {"event": "message", "message_token": 4912661846655238145, "sender": {"id": "01234567890A="},
            "message": {"type": "text", "text": "Đèn đường hỏng trước chợ"}}
    body = json.dumps(text).encode()
    viber.verify({"x-viber-content-signature": hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()}, body)
    with pytest.raises(Forbidden):
        viber.verify({"X-Viber-Content-Signature": "0" * 64}, body)
    [sub] = viber.parse(text)
    assert (sub.channel, sub.description, sub.external_id, sub.reply_to) == (
        "viber", "Đèn đường hỏng trước chợ", "4912661846655238145", "01234567890A=")

    photo = text | {"message_token": 2, "message": {"type": "picture", "media": "https://dl.viber.com/p.jpg"}}
    place = text | {"message_token": 3, "message": {"type": "location", "location": {"lat": 16.46, "lon": 107.59}}}
    assert viber.parse(photo)[0].attributes == {"image_urls": ["https://dl.viber.com/p.jpg"]}
    assert (viber.parse(place)[0].lat, viber.parse(place)[0].lon) == (16.46, 107.59)
    assert viber.parse({"event": "seen", "message_token": 1}) == []

    viber.send("01234567890A=", "Mã theo dõi: HUE-2026-ABCDEFG")
    assert taken == [{"receiver": "01234567890A=", "type": "text", "text": "Mã theo dõi: HUE-2026-ABCDEFG",
                      "sender": {"name": "IOC"}}]
    status[0] = 6  # Viber's "not subscribed", with HTTP 200
    with pytest.raises(SendError, match="Viber từ chối"):
        viber.send("01234567890A=", "lần nữa")
