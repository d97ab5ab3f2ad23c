"""API keys as admins manage them (data/accounts/apikeys.py), on SQLite and PostgreSQL: shown once, stored
as a hash, revoked for good, each change audited with before and after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.accounts.apikeys import check_api_key, hash_key, issue_key, key_rows, revoke_key
from data.accounts.audit import Who
from data.core.errors import FieldError, NotFound
from data.core.runtime import Runtime
from data.models import ApiKey, AuditEntry

ADMIN = Who(None, "quantri", "198.51.100.7")


def test_issue_list_revoke(runtime: Runtime) -> None:
    with runtime.session() as s:
        row, key = issue_key(s, ADMIN, "Ứng dụng Hue-S", "open311")
        sensors, _ = issue_key(s, ADMIN, "Trạm quan trắc Kim Long", "sensors")
        key_id = row.id
    with runtime.session() as s:
        stored = s.get(ApiKey, key_id)
        assert stored is not None and stored.key_hash == hash_key(key) and key not in stored.key_hash
        assert check_api_key(s, key) is not None
        assert [r.name for r in key_rows(s)] == ["Trạm quan trắc Kim Long", "Ứng dụng Hue-S"]  # newest first
    with runtime.session() as s:
        revoke_key(s, ADMIN, key_id)
        revoke_key(s, ADMIN, key_id)  # again: nothing more happens
    with runtime.session() as s:
        assert check_api_key(s, key) is None
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.target) for e in entries] == [
        ("apikey.create", f"apikey:{key_id}"), ("apikey.create", f"apikey:{sensors.id}"),
        ("apikey.revoke", f"apikey:{key_id}")]
    assert entries[0].detail == {"before": None, "after": {"name": "Ứng dụng Hue-S", "channel": "open311",
                                                           "active": True}}
    assert entries[2].detail == {"before": {"name": "Ứng dụng Hue-S", "channel": "open311", "active": True},
                                 "after": {"name": "Ứng dụng Hue-S", "channel": "open311", "active": False}}
    assert all(key not in str(e.detail) for e in entries) and entries[2].username == "quantri"


def test_bad_input_names_the_field_and_creates_nothing(runtime: Runtime) -> None:
    for name, channel, field in (("  ", "open311", "name"), ("Đối tác", "zalo", "channel")):
        with pytest.raises(FieldError) as caught, runtime.session() as s:
            issue_key(s, ADMIN, name, channel)
        assert caught.value.field == field
    with pytest.raises(NotFound), runtime.session() as s:
        revoke_key(s, ADMIN, 12345)
    with runtime.session() as s:
        assert key_rows(s) == [] and s.scalars(select(AuditEntry)).all() == []
