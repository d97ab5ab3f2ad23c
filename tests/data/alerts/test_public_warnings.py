"""Warnings to the public (data/alerts/public_warnings.py): published, in force for their time, ended, counted
when shown; carried by Open311's service notice; bad input refused with a message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import create_app
from data.accounts.apikeys import create_api_key
from data.alerts import public_warnings
from data.core.errors import InvalidInput
from data.models import PublicWarning, utcnow
from tests.data.intake.test_open311 import _seed
from tests.dbfixtures import open_runtime


def test_a_warning_is_in_force_for_its_time_and_until_ended(db_url: str) -> None:
    now = utcnow()
    with open_runtime(db_url) as runtime, runtime.session() as s:
        storm = public_warnings.publish(s, "Bão số 5 đổ bộ", "Hạn chế ra đường.", "critical", None, hours=24, now=now)
        outage = public_warnings.publish(s, "Cắt điện phường An Cựu", None, "info", None, now=now)
        old = public_warnings.publish(s, "Ngập cục bộ", None, "warning", None, hours=2,
                                      now=now - timedelta(hours=3))
        assert [w.title for w in public_warnings.in_force(s, now)] == ["Bão số 5 đổ bộ", "Cắt điện phường An Cựu"]
        assert public_warnings.in_force(s, now + timedelta(hours=25)) == [outage]  # the storm's 24 h are over
        public_warnings.end(s, outage.id, None, now=now + timedelta(hours=1))
        assert public_warnings.in_force(s, now + timedelta(hours=2)) == [storm]
        public_warnings.count_views(s, [storm, old])
        public_warnings.count_views(s, [storm])
        s.flush()
        s.expire_all()
        assert (s.get(PublicWarning, storm.id).views, s.get(PublicWarning, old.id).views) == (2, 1)  # type: ignore[union-attr]


@pytest.mark.parametrize(("title", "severity", "hours", "message"), [
    ("  ", "warning", 6, "Cần nhập tiêu đề"),
    ("x" * 301, "warning", 6, "tối đa 300"),
    ("Bão", "extreme", 6, "Mức cảnh báo"),
    ("Bão", "warning", 24 * 91, "90 ngày"),
])
def test_bad_warnings_are_refused_with_a_message(sqlite_url: str, title: str, severity: str, hours: float,
                                                 message: str) -> None:
    with open_runtime(sqlite_url) as runtime, runtime.session() as s, pytest.raises(InvalidInput, match=message):
        public_warnings.publish(s, title, None, severity, None, hours=hours)


def test_open311_answers_carry_the_warnings_in_force(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        _seed(runtime)
        with runtime.session() as s:
            _, key = create_api_key(s, "test")
            public_warnings.publish(s, "Mưa lớn, nguy cơ ngập", None, "warning", None, hours=6)
        client = create_app(runtime.settings, runtime).server.test_client()
        answer = client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "rac-thai", "description": "Rác ứ đọng trước chợ Đông Ba",
            "lat": "16.4722", "long": "107.5880"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.json[0]["service_notice"].endswith("Cảnh báo: Mưa lớn, nguy cơ ngập.")
