"""The API keys page's component ids; every one starts with ``admin-apikeys-``."""

from __future__ import annotations

LIST = "admin-apikeys-list"
CHANGED = "admin-apikeys-changed"  # counts changes made here: the table redraws after each
NAME = "admin-apikeys-name"
CHANNEL = "admin-apikeys-channel"
CREATE = "admin-apikeys-create"
MESSAGE = "admin-apikeys-message"
KEY = "admin-apikeys-key"  # the new key itself, shown once
REVOKE = "admin-apikeys-revoke"  # a row's "revoke" button: {"type": REVOKE, "id": key id}
