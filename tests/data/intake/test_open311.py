"""The Open311 GeoReport v2 API over real HTTP (a live server per database), and a third-party client.

Each test runs on SQLite and on the real PostgreSQL. Posts go over the wire exactly as the spec
says (form-encoded, with an api_key); the `georeport` client from PyPI then reads our services,
a service definition and the requests back, in JSON and in XML.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import xmltodict
from flask.testing import FlaskClient
from georeport import GeoReport
from openapi_spec_validator import validate
from PIL import Image
from sqlalchemy import func, select, update
from werkzeug.serving import make_server

from app import create_app
from data.accounts.apikeys import check_api_key, create_api_key
from data.core.runtime import Runtime
from data.models import AdminUnit, Agency, ApiKey, Attachment, Category, Report, ReportStatus, utcnow
from data.runtime import build_runtime
from tests.browser import free_port
from tests.conftest import ROOT
from tests.dbfixtures import fresh_pg_database, settings_for

# A ward of Huế as a plain rectangle: inside it is the city, outside it is refused.
WARD = {"type": "Polygon", "coordinates": [[[107.55, 16.42], [107.65, 16.42], [107.65, 16.50],
                                            [107.55, 16.50], [107.55, 16.42]]]}
INSIDE = {"lat": "16.4637", "long": "107.5909"}
OUTSIDE = {"lat": "10.7769", "long": "106.7009"}  # Ho Chi Minh City
REPORTER = {"first_name": "Nguyễn", "last_name": "Thị Bí Mật", "phone": "0905123456",
            "email": "bi.mat@example.vn", "device_id": "device-XYZ-42", "account_id": "acct-7781"}


@dataclass
class Live:
    base: str  # .../open311/v2
    runtime: Runtime
    client: FlaskClient
    api_key: str
    upload_dir: Path

    def post(self, fields: dict[str, str], **kwargs: Any) -> requests.Response:
        data = {"api_key": self.api_key, "service_code": "rac-thai", "description": "Rác ứ đọng trước chợ",
                **INSIDE, **fields}
        return requests.post(f"{self.base}/requests.json", data=data, timeout=30, **kwargs)

    def reports(self) -> int:
        with self.runtime.session() as s:
            return int(s.scalar(select(func.count()).select_from(Report)) or 0)

    def files(self) -> list[Path]:
        return [p for p in self.upload_dir.rglob("*") if p.is_file()]

    def publish(self, code: str, **values: Any) -> None:
        with self.runtime.session() as s:
            s.execute(update(Report).where(Report.tracking_code == code).values(published=True, **values))


def _seed(runtime: Runtime) -> None:
    with runtime.session() as s:
        agency = Agency(code="MTDT", name="Công ty Môi trường và Công trình đô thị Huế")
        s.add(agency)
        s.flush()
        s.add_all([
            Category(code="rac-thai", name="Rác thải", name_en="Waste", description="Rác, xà bần, thu gom",
                     keywords=["rác", "xà bần"], default_agency_id=agency.id),
            Category(code="den-duong", name="Đèn đường", name_en="Street lights", keywords=["đèn"]),
            Category(code="noi-bo", name="Nội bộ", name_en="Internal", public=False),
        ])  # fmt: skip
        s.add(AdminUnit(level="ward", code="W1", name="Phường Phú Hội", boundary=WARD,
                        bbox=[107.55, 16.42, 107.65, 16.50]))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("open311")
    port = free_port()
    with ExitStack() as stack:
        url = (f"sqlite:///{tmp / 'o311.sqlite3'}" if request.param == "sqlite"
               else stack.enter_context(fresh_pg_database()))
        settings = settings_for(url, upload_dir=tmp / "uploads", public_base_url=f"http://127.0.0.1:{port}",
                                intake_max_request_mb=20.0)
        runtime = build_runtime(settings)
        stack.callback(runtime.close)
        _seed(runtime)
        app = create_app(settings, runtime)
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        stack.callback(server.shutdown)
        with runtime.session() as s:
            _, key = create_api_key(s, "test client")
        yield Live(f"http://127.0.0.1:{port}/open311/v2", runtime, app.server.test_client(), key, tmp / "uploads")


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def _error_of(response: requests.Response) -> dict[str, Any]:
    """The one error of an Open311 error answer, in whichever format it came."""
    if response.headers["Content-Type"].startswith("text/xml"):
        errors = xmltodict.parse(response.content)["errors"]["error"]
        return {"code": int(errors["code"]), "description": errors["description"]}
    body = response.json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    return dict(body[0])


# ---------------------------------------------------------------------------------------------
# Reading the service catalogue
# ---------------------------------------------------------------------------------------------


def test_discovery_services_and_definition_in_json_and_xml(live: Live) -> None:
    discovery = requests.get(f"{live.base}/discovery.json", timeout=10).json()
    assert discovery["endpoints"][0]["url"] == live.base
    assert "text/xml" in discovery["endpoints"][0]["formats"]
    xml_discovery = xmltodict.parse(requests.get(f"{live.base}/discovery.xml", timeout=10).content)["discovery"]
    assert xml_discovery["endpoints"]["endpoint"]["specification"] == "http://wiki.open311.org/GeoReport_v2"

    services = requests.get(f"{live.base}/services.json", timeout=10).json()
    assert [s["service_code"] for s in services] == ["den-duong", "rac-thai"]  # not the non-public one
    waste = services[1]
    assert waste == {"service_code": "rac-thai", "service_name": "Rác thải", "description": "Rác, xà bần, thu gom",
                     "metadata": True, "type": "realtime", "keywords": "rác, xà bần",
                     "group": "Công ty Môi trường và Công trình đô thị Huế"}
    assert requests.get(f"{live.base}/services", timeout=10).json() == services  # JSON without a suffix
    xml = requests.get(f"{live.base}/services.xml", timeout=10)
    assert xml.headers["Content-Type"].startswith("text/xml")
    xml_services = xmltodict.parse(xml.content)["services"]["service"]
    assert [s["service_code"] for s in xml_services] == ["den-duong", "rac-thai"]
    assert xml_services[1]["metadata"] == "true" and xml_services[1]["type"] == "realtime"

    definition = requests.get(f"{live.base}/services/rac-thai.json", timeout=10).json()
    assert definition["service_code"] == "rac-thai"
    urgency = definition["attributes"][0]
    assert urgency["code"] == "urgency" and urgency["datatype"] == "singlevaluelist"
    assert [v["key"] for v in urgency["values"]] == ["normal", "emergency"]
    xml_def = xmltodict.parse(requests.get(f"{live.base}/services/rac-thai.xml", timeout=10).content)
    attribute = xml_def["service_definition"]["attributes"]["attribute"]
    assert attribute["code"] == "urgency" and attribute["required"] == "false"
    assert [v["key"] for v in attribute["values"]["value"]] == ["normal", "emergency"]

    for path in ("/services/khong-co.json", "/services/noi-bo.json", "/services/khong-co.xml"):
        missing = requests.get(f"{live.base}{path}", timeout=10)
        assert missing.status_code == 404
        assert _error_of(missing)["code"] == 404


def test_openapi_document_is_valid(live: Live) -> None:
    document = requests.get(f"{live.base}/openapi.json", timeout=10).json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"/requests", "/requests.{format}", "/services/{service_code}", "/tokens/{token}"} <= set(document["paths"])


def _resolved(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _conforms(node: Any, schema: dict[str, Any], document: dict[str, Any], where: str) -> None:
    """An element as xmltodict read it, against the XML schema the document gives (names, wrapping, types)."""
    schema = _resolved(schema, document)
    if schema.get("type") == "array":
        item = _resolved(schema["items"], document)
        assert schema["xml"]["wrapped"] is True, where
        if node is None:  # an empty list: the wrapper alone
            return
        assert isinstance(node, dict) and set(node) == {item["xml"]["name"]}, (where, node)
        children = node[item["xml"]["name"]]
        for child in children if isinstance(children, list) else [children]:
            _conforms(child, item, document, f"{where}/{item['xml']['name']}")
    elif schema.get("type") == "object":
        named = {(p.get("xml") or {}).get("name", k): p for k, p in schema.get("properties", {}).items()}
        assert node is None or isinstance(node, dict), (where, node)
        for name, value in (node or {}).items():
            assert name in named, f"{where}/{name} is not in the XML schema"
            _conforms(value, named[name], document, f"{where}/{name}")
    else:  # text: empty, or what the schema says it is
        assert node is None or isinstance(node, str), (where, node)
        choices = schema.get("anyOf", [schema])
        assert any(_text_fits(node or "", _resolved(c, document)) for c in choices), (where, node, schema)


def _text_fits(text: str, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "boolean":
        return text in ("true", "false")
    if kind in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            return False
        return kind == "number" or number.is_integer()
    return kind == "string" and len(text) <= schema.get("maxLength", len(text))


def test_xml_answers_have_their_own_schema_in_the_openapi_document(live: Live) -> None:
    """Each .xml answer matches the XML schema the document gives it, not the JSON one."""
    posted = live.post({"description": "Ống nước vỡ"}, files={"media": ("anh.jpg", _jpeg(), "image/jpeg")})
    code = posted.json()[0]["service_request_id"]
    live.publish(code)
    with live.runtime.session() as s:  # a published report with a public photo and notes: every nested list
        s.execute(update(Attachment).where(Attachment.report_id == select(Report.id).where(
            Report.tracking_code == code).scalar_subquery()).values(public=True))
    document = requests.get(f"{live.base}/openapi.json", timeout=10).json()
    answers = {
        ("/discovery.{format}", "get", "200"): requests.get(f"{live.base}/discovery.xml", timeout=10),
        ("/services.{format}", "get", "200"): requests.get(f"{live.base}/services.xml", timeout=10),
        ("/services/{service_code}.{format}", "get", "200"): requests.get(f"{live.base}/services/rac-thai.xml",
                                                                           timeout=10),
        ("/services/{service_code}.{format}", "get", "404"): requests.get(f"{live.base}/services/khong.xml",
                                                                           timeout=10),
        ("/requests.{format}", "get", "200"): requests.get(f"{live.base}/requests.xml", timeout=10),
        ("/requests/{service_request_id}.{format}", "get", "200"): requests.get(
            f"{live.base}/requests/{code}.xml", timeout=10),
        ("/tokens/{token}.{format}", "get", "200"): requests.get(f"{live.base}/tokens/{code}.xml", timeout=10),
        ("/requests.{format}", "post", "200"): requests.post(f"{live.base}/requests.xml", timeout=30, data={
            "api_key": live.api_key, "service_code": "rac-thai", "description": "Rác", **INSIDE}),
    }
    for (path, method, status), answer in answers.items():
        assert answer.status_code == int(status), (path, answer.text)
        content = document["paths"][path][method]["responses"][status]["content"]
        xml, json_schema = _resolved(content["text/xml"]["schema"], document), content["application/json"]["schema"]
        assert xml != _resolved(json_schema, document), path
        root = xml["xml"]["name"]
        parsed = xmltodict.parse(answer.content)
        assert set(parsed) == {root}, (path, set(parsed))
        _conforms(parsed[root], xml, document, f"{path} {method} {status}: {root}")
    assert "text/xml" not in document["paths"]["/requests"]["get"]["responses"]["200"]["content"]  # JSON only


# ---------------------------------------------------------------------------------------------
# Posting
# ---------------------------------------------------------------------------------------------


def test_post_form_encoded_commits_before_the_answer(live: Live) -> None:
    response = live.post({"attribute[urgency]": "emergency", "address_string": "Chợ Đông Ba", **REPORTER})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    code = body[0]["service_request_id"]
    assert code.startswith("HUE-") and code in body[0]["service_notice"]
    with live.runtime.session() as s:  # another connection sees it: it was committed before the answer
        report = s.scalar(select(Report).where(Report.tracking_code == code))
        assert report is not None
        assert report.channel == "open311" and report.urgency == "emergency"
        assert report.reporter_name == "Nguyễn Thị Bí Mật" and report.reporter_phone == "0905123456"
        assert report.admin_unit_id is not None and report.published is False
        assert report.attributes is not None and report.attributes["device_id"] == "device-XYZ-42"
    token = requests.get(f"{live.base}/tokens/{code}.json", timeout=10).json()
    assert token == [{"service_request_id": code, "token": code}]
    # Not published yet: its own id answers, with where it stands only (see the minimal record's test).
    assert requests.get(f"{live.base}/requests/{code}.json", timeout=10).status_code == 200


def test_api_key_missing_or_wrong_is_403(live: Live) -> None:
    before = live.reports()
    for key in ("", "ioc311_wrong"):
        response = live.post({"api_key": key})
        assert response.status_code == 403
        error = _error_of(response)
        assert error["code"] == 403 and "api_key" in error["description"]
    xml = requests.post(f"{live.base}/requests.xml", data={"service_code": "rac-thai", **INSIDE,
                                                           "description": "x"}, timeout=10)
    assert xml.status_code == 403 and _error_of(xml)["code"] == 403
    with live.runtime.session() as s:
        row, revoked = create_api_key(s, "thu hồi")
        row.active = False
    assert live.post({"api_key": revoked}).status_code == 403  # a revoked key
    assert live.reports() == before


def test_bad_input_gets_a_clear_open311_error_and_leaves_nothing(live: Live) -> None:
    before, files = live.reports(), live.files()
    unknown = live.post({"service_code": "khong-co"})
    assert unknown.status_code == 404
    assert _error_of(unknown) == {"code": 404, "description": "Không có lĩnh vực (service_code) «khong-co»."}
    internal = live.post({"service_code": "noi-bo"})  # an operators' category is not an Open311 service
    assert internal.status_code == 404
    assert _error_of(internal) == {"code": 404, "description": "Không có lĩnh vực (service_code) «noi-bo»."}

    long = live.post({"description": "a" * 4001})
    assert long.status_code == 400
    assert "4001" in _error_of(long)["description"] and "description" in _error_of(long)["description"]

    photo = {"media": ("anh.jpg", _jpeg(), "image/jpeg")}
    outside = live.post(OUTSIDE, files=photo)
    assert outside.status_code == 400
    assert "ngoài địa bàn" in _error_of(outside)["description"]

    exe = live.post({}, files={"media": ("anh.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, "image/jpeg")})
    assert exe.status_code == 400
    assert "anh.jpg" in _error_of(exe)["description"] and "media" in _error_of(exe)["description"]

    for fields in ({"service_code": ""}, {"lat": "", "long": ""}, {"lat": "abc"}, {"attribute[urgency]": "rat-gap"},
                   {"attribute[khong-co]": "1"}, {"email": "khong-phai-email"}):
        refused = live.post(fields)
        assert refused.status_code == 400, (fields, refused.text)
        assert _error_of(refused)["code"] == 400
    assert live.reports() == before
    assert live.files() == files


def test_a_body_over_the_limit_is_413_in_open311_format(live: Live) -> None:
    big = b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024)
    data = {"api_key": live.api_key, "service_code": "rac-thai", "description": "Ảnh lớn", **INSIDE}
    before = live.reports()
    for suffix in ("json", "xml"):
        body = {**data, "media": (io.BytesIO(big), "a.jpg")}
        response = live.client.post(f"/open311/v2/requests.{suffix}", data=body, content_type="multipart/form-data")
        assert response.status_code == 413
        if suffix == "json":
            assert response.get_json()[0]["code"] == 413
        else:
            assert xmltodict.parse(response.data)["errors"]["error"]["code"] == "413"
    assert live.reports() == before
    # The app-wide MAX_CONTENT_LENGTH (60 MB) is answered in Open311 format on these paths too.
    huge = live.client.post("/open311/v2/requests.json", data=b"x" * (61 * 1024 * 1024),
                            content_type="application/x-www-form-urlencoded")
    assert huge.status_code == 413 and huge.get_json()[0]["code"] == 413


def test_unknown_path_is_404_in_open311_format(live: Live) -> None:
    response = requests.get(f"{live.base}/khong-co.json", timeout=10)
    assert response.status_code == 404 and _error_of(response)["code"] == 404
    assert requests.get(f"{live.base}/requests/KHONG-CO.xml", timeout=10).status_code == 404


def test_the_same_idempotency_key_twice_makes_one_report(live: Live) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = live.reports()
    first = live.post({"description": "Cây đổ chắn đường"}, headers=key)
    again = live.post({"description": "Cây đổ chắn đường"}, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert live.reports() == before + 1
    other = live.post({"description": "Một phản ánh khác"}, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in _error_of(other)["description"]
    assert live.reports() == before + 1


def test_photos_are_stored_and_shown_only_when_public(live: Live) -> None:
    response = live.post({"description": "Ổ gà lớn"}, files={"media": ("o-ga.jpg", _jpeg(), "image/jpeg")})
    assert response.status_code == 200, response.text
    code = response.json()[0]["service_request_id"]
    live.publish(code)
    shown = requests.get(f"{live.base}/requests/{code}.json", timeout=10).json()[0]
    assert shown["media_url"] == "" and shown["extended_attributes"]["photos"] == []
    with live.runtime.session() as s:
        report = s.scalars(select(Report).where(Report.tracking_code == code)).one()
        attachment = s.scalars(select(Attachment).where(Attachment.report_id == report.id)).one()
        attachment.public = True
        key = attachment.storage_key
    shown = requests.get(f"{live.base}/requests/{code}.json", timeout=10).json()[0]
    assert shown["media_url"].endswith(f"/media/{key}")
    assert shown["extended_attributes"]["photos"] == [shown["media_url"]]
    assert shown["extended_attributes"]["channel"] == "open311"


def test_description_is_optional_unless_the_service_requires_it(live: Live) -> None:
    """GeoReport v2: ``description`` is optional; attributes or a photo may say it all."""
    bare = {"api_key": live.api_key, "service_code": "rac-thai", **INSIDE}
    by_attribute = requests.post(f"{live.base}/requests.json", data={**bare, "attribute[urgency]": "emergency"},
                                 timeout=30)
    assert by_attribute.status_code == 200, by_attribute.text
    by_photo = requests.post(f"{live.base}/requests.xml", data=bare, timeout=30,
                             files={"media": ("anh.jpg", _jpeg(), "image/jpeg")})
    assert by_photo.status_code == 200, by_photo.text
    code = by_attribute.json()[0]["service_request_id"]
    with live.runtime.session() as s:
        report = s.scalars(select(Report).where(Report.tracking_code == code)).one()
        assert report.urgency == "emergency" and report.description  # operators see a placeholder
    live.publish(code)
    assert requests.get(f"{live.base}/requests/{code}.json", timeout=10).json()[0]["description"] == ""

    before = live.reports()
    nothing = requests.post(f"{live.base}/requests.json", data=bare, timeout=30)  # nothing describes it
    assert nothing.status_code == 400 and "description" in _error_of(nothing)["description"]
    with live.runtime.session() as s:  # the city requires a description for street lights
        s.execute(update(Category).where(Category.code == "den-duong").values(description_required=True))
    try:
        for suffix in ("json", "xml"):
            refused = requests.post(f"{live.base}/requests.{suffix}", timeout=30, files={
                "media": ("anh.jpg", _jpeg(), "image/jpeg")}, data={**bare, "service_code": "den-duong",
                                                                   "attribute[urgency]": "normal"})
            assert refused.status_code == 400, refused.text
            error = _error_of(refused)
            assert error["code"] == 400 and error["description"].startswith("description"), error
        described = live.post({"service_code": "den-duong", "description": "Đèn đường tắt cả dãy"})
        assert described.status_code == 200, described.text
    finally:
        with live.runtime.session() as s:
            s.execute(update(Category).where(Category.code == "den-duong").values(description_required=False))
    assert live.reports() == before + 1


# ---------------------------------------------------------------------------------------------
# Reading requests
# ---------------------------------------------------------------------------------------------


def _post_published(live: Live, service: str, description: str, **values: Any) -> str:
    response = live.post({"service_code": service, "description": description, **REPORTER})
    assert response.status_code == 200, response.text
    code: str = response.json()[0]["service_request_id"]
    live.publish(code, **values)
    return code


def test_get_requests_filters_and_pages(live: Live) -> None:
    now = utcnow()
    tag = uuid.uuid4().hex[:6]
    lights = [_post_published(live, "den-duong", f"Đèn hỏng {tag} {i}", created_at=now - timedelta(hours=i + 1))
              for i in range(3)]
    done = _post_published(live, "den-duong", f"Đèn đã sửa {tag}", status=ReportStatus.RESOLVED,
                           result_text="Đã thay bóng đèn", created_at=now - timedelta(hours=5))
    old = _post_published(live, "den-duong", f"Đèn cũ {tag}", created_at=now - timedelta(days=120))
    unpublished = live.post({"service_code": "den-duong", "description": f"Chưa duyệt {tag}"})
    hidden = unpublished.json()[0]["service_request_id"]

    listed = requests.get(f"{live.base}/requests.json", params={"service_code": "den-duong"}, timeout=10).json()
    codes = [r["service_request_id"] for r in listed]
    assert codes[:4] == [*lights, done]  # newest first
    assert old not in codes and hidden not in codes  # older than 90 days; not published

    closed = requests.get(f"{live.base}/requests.json", params={"service_code": "den-duong", "status": "closed"},
                          timeout=10).json()
    assert [r["service_request_id"] for r in closed] == [done]
    assert closed[0]["status"] == "closed" and closed[0]["status_notes"] == "Đã thay bóng đèn"
    assert closed[0]["extended_attributes"]["status_detail"] == "resolved"

    window = {"start_date": (now - timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "end_date": (now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ"), "service_code": "den-duong"}
    assert [r["service_request_id"] for r in requests.get(f"{live.base}/requests.json", params=window,
                                                          timeout=10).json()] == [old]
    by_id = requests.get(f"{live.base}/requests.json", params={"service_request_id": f"{old},{lights[0]},{hidden}",
                                                               "status": "closed"}, timeout=10).json()
    assert {r["service_request_id"] for r in by_id} == {old, lights[0], hidden}  # ids override other filters
    assert set(next(r for r in by_id if r["service_request_id"] == hidden)) == MINIMAL  # not published yet

    page_2 = requests.get(f"{live.base}/requests.json", params={"service_code": "den-duong", "page": "2",
                                                                "page_size": "2"}, timeout=10).json()
    assert [r["service_request_id"] for r in page_2] == [lights[2], done]

    for bad in ({"status": "pending"}, {"page_size": "5000"}, {"start_date": "hôm qua"},
                {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"}):
        refused = requests.get(f"{live.base}/requests.xml", params=bad, timeout=10)
        assert refused.status_code == 400 and _error_of(refused)["code"] == 400

    one = requests.get(f"{live.base}/requests/{done}.json", timeout=10).json()
    assert len(one) == 1 and one[0]["service_request_id"] == done
    assert one[0]["requested_datetime"].endswith("+07:00")
    assert one[0]["notes"][0]["summary"] == "Đã tiếp nhận phản ánh"


MINIMAL = {"service_request_id", "status", "service_code", "service_name", "requested_datetime",
           "updated_datetime", "expected_datetime", "agency_responsible"}


def test_an_unpublished_report_answers_its_minimal_record(live: Live) -> None:
    """The app that posted can follow its report at once; what it says and where only once published."""
    posted = live.post({"description": "Nội dung chưa duyệt", "address_string": "Hẻm 5 Lê Lợi", **REPORTER},
                       files={"media": ("anh.jpg", _jpeg(), "image/jpeg")})
    assert posted.status_code == 200, posted.text
    code = posted.json()[0]["service_request_id"]
    with live.runtime.session() as s:  # even a photo made public stays hidden until the report is
        s.execute(update(Attachment).where(Attachment.report_id == select(Report.id).where(
            Report.tracking_code == code).scalar_subquery()).values(public=True))
    hidden = ["Nội dung chưa duyệt", "Hẻm 5 Lê Lợi", "16.4637", "107.5909", "/media/", "notes", "channel",
              *REPORTER.values()]
    for suffix in ("json", "xml"):
        one = requests.get(f"{live.base}/requests/{code}.{suffix}", timeout=10)
        by_id = requests.get(f"{live.base}/requests.{suffix}", params={"service_request_id": code}, timeout=10)
        for response in (one, by_id):
            assert response.status_code == 200, response.text
            if suffix == "json":
                [record] = response.json()
            else:
                record = xmltodict.parse(response.content)["service_requests"]["request"]
            assert set(record) == MINIMAL, (suffix, record)
            assert (record["service_request_id"], record["status"]) == (code, "open")
            assert (record["service_code"], record["service_name"]) == ("rac-thai", "Rác thải")
            assert record["requested_datetime"].endswith("+07:00")
            for secret in hidden:
                assert secret not in response.text, (suffix, secret)
    listed = requests.get(f"{live.base}/requests.json", params={"service_code": "rac-thai"}, timeout=10).json()
    assert code not in [r["service_request_id"] for r in listed]  # never listed without its id
    client = GeoReport(live.base, output_format="json")  # a third-party client follows it as well
    assert client.get_service_request(code)["status"] == "open"

    live.publish(code)
    published = requests.get(f"{live.base}/requests/{code}.json", timeout=10).json()[0]
    assert published["description"] == "Nội dung chưa duyệt" and published["address"] == "Hẻm 5 Lê Lợi"
    assert published["media_url"].startswith(f"{live.base.split('/open311')[0]}/media/")


def test_no_reporter_identity_in_any_answer(live: Live) -> None:
    code = _post_published(live, "rac-thai", "Rác ở hẻm 12")
    secrets = [*REPORTER.values(), "Bí Mật", "bi.mat"]
    for suffix in ("json", "xml"):
        for path in (f"/requests.{suffix}", f"/requests/{code}.{suffix}", f"/tokens/{code}.{suffix}"):
            text = requests.get(f"{live.base}{path}", timeout=10).text
            assert code in text
            for secret in secrets:
                assert secret not in text, (path, secret)


def test_georeport_client_reads_our_services_and_requests(live: Live) -> None:
    """A third-party Open311 client (PyPI `georeport`) reads back what a spec-following POST made."""
    posted = requests.post(f"{live.base}/requests.json", timeout=10, data={
        "api_key": live.api_key, "service_code": "rac-thai", "lat": "16.4700", "long": "107.6000",
        "address_string": "Đường Lê Lợi", "description": "Thùng rác tràn ra vỉa hè", "email": "dan@example.vn",
        "attribute[urgency]": "normal",
    })  # fmt: skip
    assert posted.status_code == 200, posted.text
    code = posted.json()[0]["service_request_id"]
    live.publish(code)  # an operator publishes it

    for fmt in ("json", "xml"):
        client = GeoReport(live.base, output_format=fmt)
        services = client.get_service_list()
        assert {s["service_code"] for s in services} == {"den-duong", "rac-thai"}
        definition = client.get_service_definition("rac-thai")
        attributes = definition["attributes"]
        attribute = attributes[0] if fmt == "json" else attributes["attribute"]
        assert definition["service_code"] == "rac-thai" and attribute["code"] == "urgency"

        found = client.get_service_requests(service_request_id=code)
        found = found if isinstance(found, list) else [found]  # xmltodict: one element is not a list
        assert [r["service_request_id"] for r in found] == [code]
        one = client.get_service_request(code)
        assert one["service_request_id"] == code and one["status"] == "open"
        assert one["service_code"] == "rac-thai" and one["description"] == "Thùng rác tràn ra vỉa hè"
        assert float(one["lat"]) == pytest.approx(16.47) and float(one["long"]) == pytest.approx(107.6)
        assert one["address"] == "Đường Lê Lợi"
        assert (one["extended_attributes"]["channel"]) == "open311"
        recent = client.get_service_requests(service_code="rac-thai", status="open")
        recent = recent if isinstance(recent, list) else [recent]
        assert code in [r["service_request_id"] for r in recent]
        assert "dan@example.vn" not in str(recent)


# ---------------------------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------------------------


def test_api_key_is_stored_hashed_and_touched_once_a_minute(live: Live) -> None:
    with live.runtime.session() as s:
        row, key = create_api_key(s, "đối tác")
        assert key not in row.key_hash and len(row.key_hash) == 64
        key_id = row.id
    with live.runtime.session() as s:
        assert check_api_key(s, key) is not None
    with live.runtime.session() as s:
        first = s.get_one(ApiKey, key_id).last_used_at
        assert first is not None
        assert check_api_key(s, key) is not None
    with live.runtime.session() as s:
        assert s.get_one(ApiKey, key_id).last_used_at == first  # within the minute: not written again
        assert check_api_key(s, key + "x") is None and check_api_key(s, None) is None


@pytest.mark.integration  # runs the command line as a process
def test_apikeys_cli_prints_a_new_key_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    env = {"IOC_DATABASE_URL": url, "IOC_DEMO": "false", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "data.apikeys", "create", "Hue-S"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("ioc311_")
    runtime = build_runtime(settings_for(url))
    try:
        with runtime.session() as s:
            assert check_api_key(s, key) is not None
            assert s.scalars(select(ApiKey.name)).all() == ["Hue-S"]
    finally:
        runtime.close()
