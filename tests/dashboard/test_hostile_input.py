"""Hostile input at every text door: NUL bytes (which PostgreSQL cannot store) and digits that are not
ASCII (``"²".isdigit()`` is true) get a clear 4xx, never a 500, and no log line carries a reporter's name.

Each test runs on SQLite and on the real PostgreSQL, where a NUL byte used to reach the driver.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
import xmltodict
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from data.accounts.apikeys import create_api_key
from data.core.db import make_engine
from data.core.errors import InvalidInput
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.intake.submission import Submission, validate
from data.models import Agency, Category, Channel, Report
from data.reports.filters import ReportFilter
from tests.dbfixtures import open_runtime
from tests.logins import client_login

NAME = "Trần Văn Kín"
PHONE = "0914555666"
INSIDE = {"lat": "16.4637", "long": "107.5909"}


@dataclass
class Door:
    runtime: Runtime
    client: FlaskClient
    api_key: str

    def open311(self, suffix: str = "json", **fields: str) -> tuple[int, dict[str, object]]:
        data = {"api_key": self.api_key, "service_code": "rac-thai", "description": "Rác", **INSIDE,
                "first_name": NAME, "phone": PHONE, **fields}
        response = self.client.post(f"/open311/v2/requests.{suffix}", data=data)
        return response.status_code, _open311_error(response.data, suffix)

    def get(self, path: str) -> tuple[int, dict[str, object]]:
        response = self.client.get(path)
        return response.status_code, _open311_error(response.data, path.rsplit(".", 1)[-1][:4])

    def reports(self) -> int:
        with self.runtime.session() as s:
            return len(s.scalars(select(Report.id)).all())


def _open311_error(body: bytes, suffix: str) -> dict[str, object]:
    if suffix.startswith("xml"):
        parsed = xmltodict.parse(body)
        return dict(parsed["errors"]["error"]) if "errors" in parsed else {}
    try:
        import json

        answer = json.loads(body)
    except ValueError:
        return {}
    return dict(answer[0]) if isinstance(answer, list) and answer and "code" in answer[0] else {}


@pytest.fixture(params=["sqlite", "postgres"])
def door(request: pytest.FixtureRequest, tmp_path: pytest.TempPathFactory) -> Iterator[Door]:
    url = (f"sqlite:///{tmp_path}/hostile.sqlite3" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    with open_runtime(url, upload_dir=tmp_path / "uploads", intake_form_rate_limit="") as runtime:
        with runtime.session() as s:
            s.add(Category(code="rac-thai", name="Rác thải", name_en="Waste"))
            _, key = create_api_key(s, "hostile")
        app = create_app(runtime.settings, runtime)
        yield Door(runtime, app.server.test_client(), key)


def _post_login(client: FlaskClient, username: str, password: str) -> int:
    """The login form's POST (the one place this file sends it)."""
    return client_login(client, username, password).status_code


def test_nul_bytes_get_a_4xx_at_every_door(door: Door, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    before = door.reports()
    for field in ("description", "first_name", "address_string", "attribute[urgency]", "device_id"):
        for suffix in ("json", "xml"):
            status, error = door.open311(suffix, **{field: "bad\x00value"})
            assert status == 400, (field, suffix, error)
            assert str(error["description"]).startswith(field), error  # names the field at fault
    for path in ("/open311/v2/requests/HUE-2026-A%00B.json", "/open311/v2/requests.xml?service_code=a%00b",
                 "/open311/v2/tokens/A%00B.json", "/open311/v2/services/rac%00thai.json"):
        status, error = door.get(path)
        assert status == 400 and error["code"] in (400, "400"), (path, error)
    assert door.client.get("/media/abc%00def").status_code == 404
    assert door.client.get("/media/abc%00def?thumb=1").status_code == 404

    page = door.client.get("/phan-anh").get_data(as_text=True)
    token = re.search(r'name="token"[^>]* value="([^"]+)"', page)
    assert token is not None
    form = door.client.post("/phan-anh", headers={"Accept": "application/json"}, data={
        "token": token.group(1), "description": "Rác\x00 ứ đọng", "category": "rac-thai", "lat": INSIDE["lat"],
        "lon": INSIDE["long"], "name": NAME, "phone": PHONE})
    assert form.status_code == 400 and form.get_json()["field"] == "description", form.get_data(as_text=True)

    status = _post_login(door.client, "quan\x00tri", "mat-khau-sai-1234")
    assert status in (400, 403), status  # refused as input, not a crash (403: a CSRF check may come first)
    assert door.reports() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


def test_non_ascii_digits_are_refused_not_a_crash(door: Door) -> None:
    for value in ("²", "٣", "1²"):
        status, error = door.get(f"/open311/v2/requests.json?page={value}")
        assert status == 400 and str(error["description"]).startswith("page"), (value, error)
        status, error = door.get(f"/open311/v2/requests.json?page_size={value}")
        assert status == 400, (value, error)
    assert door.get("/open311/v2/requests.json?page=2")[0] == 200
    from data.core.text import ascii_digits

    assert ascii_digits("2026") and not ascii_digits("²") and not ascii_digits("") and not ascii_digits("٣")
    found = ReportFilter.from_query({"category": "1,²,٣,7", "agency": "²"}, datetime(2026, 12, 7), load_settings().tz)
    assert found.category_ids == (1, 7) and found.agency_ids == ()
    sub = validate(Submission(channel=Channel.WEB, description="Ổ gà", reporter_phone="0905 123 45²"))
    assert sub.reporter_phone == "0905123452"  # a superscript typed by a phone keyboard is the digit it shows


def test_database_errors_never_carry_the_values(door: Door) -> None:
    """A failed statement's message (what reaches the logs) names no parameter: no reporter's name or phone."""
    engine = make_engine(door.runtime.settings.database_url)
    row = {"tracking_code": "HUE-2026-TRUNGMA", "channel": "web", "status": "received", "urgency": "normal",
           "description": "x", "reporter_name": NAME, "reporter_phone": PHONE, "published": False,
           "publish_consent": True, "category_confirmed": False, "me_too_count": 0, "reopen_count": 0,
           "created_at": datetime(2026, 12, 7), "updated_at": datetime(2026, 12, 7), "is_demo": False}
    try:
        with engine.begin() as conn:
            conn.execute(insert(Report), row)
        with pytest.raises(IntegrityError) as clash, engine.begin() as conn:
            conn.execute(insert(Report), row)  # the same tracking code again
    finally:
        engine.dispose()
    assert NAME not in str(clash.value) and PHONE not in str(clash.value)


def test_nul_reaching_postgresql_is_bad_input_not_a_crash(pg_runtime: Runtime) -> None:
    """The backstop behind every door: PostgreSQL refuses NUL in text, and that is the sender's 400."""
    with pytest.raises(InvalidInput) as refused, pg_runtime.session() as s:
        s.add(Agency(code="NUL", name="Đơn\x00vị"))
    assert refused.value.status == 400 and "NUL" in refused.value.message
