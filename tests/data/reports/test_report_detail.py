"""The reports page's data on SQLite and PostgreSQL: filters, charts, the detail panel, its actions, the export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_server
from data.accounts.users import create_user
from data.core.errors import Forbidden, InvalidInput, NotFound
from data.core.runtime import Runtime
from data.core.text import fold
from data.models import AdminUnit, Attachment, Outbox, Report, ReportEvent, ReportStatus, Role, utcnow
from data.reports.detail import CONFIRM_CATEGORY, MERGE_WITH, ActionForm, act, load_detail, take_action
from data.reports.filters import ReportFilter
from data.reports.queries import breakdown, count_reports, daily_trend, report_page
from tests.factories import World, report, world
from tests.logins import client_login

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = utcnow().replace(microsecond=0)
PASSWORD = "mat-khau-thu-nghiem-1"


def _report(s: Session, w: World, description: str, **fields: object) -> Report:
    """A report whose search text is folded as intake folds it."""
    return report(s, w, description=description, search_text=fold(description), **fields)


def _codes(s: Session, f: ReportFilter) -> set[str]:
    rows, total = report_page(s, f, 0, 100)
    assert total == len(rows)
    return {r["tracking_code"] for r in rows}


def _seed(s: Session) -> tuple[World, dict[str, Report]]:
    w = world(s)
    district = AdminUnit(level="district", code="474", name="Quận Phú Xuân")
    s.add(district)
    s.flush()
    s.get_one(AdminUnit, w.ward).parent_id = district.id
    rows = {
        "pothole": _report(s, w, "Ổ gà lớn trên đường Lê Lợi", agency_id=w.agency_a, admin_unit_id=w.ward,
                           created_at=NOW - timedelta(days=1), channel="zalo"),
        "light": _report(s, w, "Đèn đường hỏng ở Tây Lộc", agency_id=w.agency_b, admin_unit_id=w.ward_2,
                         category_id=w.lights, created_at=NOW - timedelta(days=3), reporter_phone="0911222333"),
        "old": _report(s, w, "Rác thải 100% tràn ra đường", agency_id=w.agency_a, admin_unit_id=w.ward_2,
                       created_at=NOW - timedelta(days=40), status=ReportStatus.RESOLVED,
                       resolved_at=NOW - timedelta(days=38)),
        "none": _report(s, w, "Cây đổ chắn lối đi", created_at=NOW - timedelta(hours=2), channel="hotline"),
    }
    return w, rows


def test_filters_by_agency_area_dates_and_text(runtime: Runtime) -> None:
    with runtime.session() as s:
        w, r = _seed(s)
        code = {k: v.tracking_code for k, v in r.items()}
        everything = ReportFilter()
        assert _codes(s, everything) == set(code.values())
        assert _codes(s, ReportFilter(agency_ids=(w.agency_a,))) == {code["pothole"], code["old"]}
        assert _codes(s, ReportFilter(agency_ids=(w.agency_a, w.agency_b))) == {code["pothole"], code["old"],
                                                                               code["light"]}
        assert _codes(s, ReportFilter(admin_unit_ids=(w.ward_2,))) == {code["light"], code["old"]}
        district = s.scalar(select(AdminUnit.id).where(AdminUnit.level == "district"))
        assert district is not None
        assert _codes(s, ReportFilter(admin_unit_ids=(district,))) == {code["pothole"], code["none"]}  # its ward
        # Text: folded, any word order, accents optional; LIKE wildcards in the words are literal.
        assert _codes(s, ReportFilter(text="o ga")) == {code["pothole"]}
        assert _codes(s, ReportFilter(text=fold("đường LÊ"))) == {code["pothole"]}
        assert _codes(s, ReportFilter(text="duong")) == {code["pothole"], code["light"], code["old"]}
        assert _codes(s, ReportFilter(text="100%")) == {code["old"]}
        assert _codes(s, ReportFilter(text="%")) == {code["old"]}
        assert _codes(s, ReportFilter(text="_")) == set()
        # Dates: local days (Asia/Ho_Chi_Minh), the end day included.
        today = NOW.replace(tzinfo=ZoneInfo("UTC")).astimezone(HCM).date()
        window = ReportFilter.from_query({"from": (today - timedelta(days=5)).isoformat(),
                                          "to": (today - timedelta(days=2)).isoformat()}, NOW, HCM)
        assert _codes(s, window) == {code["light"]}
        assert _codes(s, ReportFilter.from_query({"period": "30"}, NOW, HCM)) == {code["pothole"], code["light"],
                                                                                code["none"]}
        assert _codes(s, ReportFilter.from_query({"period": "all"}, NOW, HCM)) == set(code.values())
        # The agency restriction always wins over what the viewer asks for.
        staff = ReportFilter(agency_ids=(w.agency_b,)).seen_by(Role.AGENCY, w.agency_a)
        assert _codes(s, staff) == set()
        assert _codes(s, ReportFilter().seen_by(Role.AGENCY, w.agency_a)) == {code["pothole"], code["old"]}
        assert _codes(s, ReportFilter().seen_by(Role.AGENCY, None)) == set()
        assert _codes(s, ReportFilter().seen_by(Role.ANALYST, None)) == set(code.values())
        assert count_reports(s, ReportFilter(channels=("zalo", "hotline"))) == 2


def test_query_string_parsing_ignores_what_it_does_not_know() -> None:
    f = ReportFilter.from_query({"category": "1,2,x,2", "status": "received,bogus", "channel": "zalo,fax",
                                 "agency": "5", "area": "7,8", "overdue": "1", "q": "  Ổ  GÀ ",
                                 "from": "2026-02-30", "period": "nonsense"}, NOW, HCM)
    assert f.category_ids == (1, 2)
    assert f.statuses == ("received",)
    assert f.channels == ("zalo",)
    assert (f.agency_ids, f.admin_unit_ids, f.overdue_only, f.text) == ((5,), (7, 8), True, "o ga")
    assert f.since == NOW - timedelta(days=30) and f.until is None  # a bad date falls back to the preset
    ranged = ReportFilter.from_query({"from": "2026-03-01", "to": "2026-03-31", "period": "7"}, NOW, HCM)
    assert ranged.since == datetime(2026, 2, 28, 17, 0)  # local midnight, as naive UTC
    assert ranged.until == datetime(2026, 3, 31, 17, 0)


def test_chart_queries_count_the_filtered_set(runtime: Runtime) -> None:
    with runtime.session() as s:
        w, r = _seed(s)
        f = ReportFilter.from_query({"period": "all"}, NOW, HCM)
        assert dict(breakdown(s, f, "category")) == {w.roads: 3, w.lights: 1}
        assert dict(breakdown(s, f, "channel")) == {"web": 2, "zalo": 1, "hotline": 1}
        assert dict(breakdown(s, f, "agency", limit=15)) == {w.agency_a: 2, w.agency_b: 1, None: 1}
        assert breakdown(s, f, "agency", limit=1) == [(w.agency_a, 2)]
        assert dict(breakdown(s, ReportFilter(agency_ids=(w.agency_b,)), "category")) == {w.lights: 1}
        r["light"].resolved_at = NOW - timedelta(days=2)
        s.flush()

        def local(at: datetime) -> date:
            return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(HCM).date()

        trend = daily_trend(s, f, HCM)
        assert all(isinstance(d, date) for d, _, _ in trend)
        received = {d: n for d, n, _ in trend if n}
        resolved = {d: n for d, _, n in trend if n}
        expected: dict[date, int] = {}
        for row in r.values():
            expected[local(row.created_at)] = expected.get(local(row.created_at), 0) + 1
        assert received == expected
        assert resolved == {local(NOW - timedelta(days=38)): 1, local(NOW - timedelta(days=2)): 1}
        assert [d for d, _, _ in trend] == sorted(d for d, _, _ in trend)
        # Within 30 days: the old report is neither received nor resolved in the period.
        month = daily_trend(s, ReportFilter.from_query({}, NOW, HCM), HCM)
        assert sum(n for _, n, _ in month) == 3
        assert {d: n for d, _, n in month if n} == {local(NOW - timedelta(days=2)): 1}
        # The other filters hold for both lines.
        lights = daily_trend(s, ReportFilter(category_ids=(w.lights,)), HCM)
        assert [(n, m) for _, n, m in lights if n or m] in ([(1, 0), (0, 1)], [(1, 1)])


def test_detail_panel_seals_the_reporter_and_hides_other_agencies(runtime: Runtime) -> None:
    settings = runtime.settings
    with runtime.session() as s:
        w, r = _seed(s)
        rid = r["pothole"].id
        s.add(ReportEvent(report_id=rid, at=NOW - timedelta(days=1), action="created", to_status="received"))
        s.add(ReportEvent(report_id=rid, at=NOW - timedelta(hours=20), action="processed"))
        s.add_all([Attachment(report_id=rid, kind="photo", storage_key="k-photo", content_type="image/jpeg",
                              size_bytes=10, sha256="0" * 64, thumbnail_key="k-thumb", original_name="o-ga.jpg"),
                   Attachment(report_id=rid, kind="video", storage_key="k-video", content_type="video/mp4",
                              size_bytes=10, sha256="1" * 64)])
    with runtime.session() as s:
        operator = load_detail(s, rid, w.operator, radius_m=settings.duplicate_radius_m, days=settings.duplicate_days)
        assert operator.view["reporter_phone"] == "0905123456"
        assert [(e.action, e.who) for e in operator.timeline] == [("created", "Người dân"), ("processed", "Hệ thống")]
        assert "verify" in operator.actions and "merge" not in operator.actions
        assert [(p.key, p.has_thumbnail, p.name) for p in operator.photos] == [("k-photo", True, "o-ga.jpg"),
                                                                             ("k-video", False, "video")]
        assert operator.names["agency"] == ("Ban Quản lý công trình", "Ban Quản lý công trình")
        staff = load_detail(s, rid, w.staff_a, radius_m=settings.duplicate_radius_m, days=settings.duplicate_days)
        assert "reporter_phone" not in staff.view and "reporter_name" not in staff.view
        assert "attributes" not in staff.view
        assert "verify" not in staff.actions and staff.duplicates == []  # operators verify and merge
        with pytest.raises(NotFound):
            load_detail(s, rid, w.staff_b, radius_m=100, days=7)
        with pytest.raises(NotFound):  # NotFound, not Forbidden: another agency's report is not confirmed
            take_action(s, rid, "start", w.staff_b, ActionForm())


def test_panel_actions_go_through_the_workflow(runtime: Runtime) -> None:
    with runtime.session() as s:
        w, r = _seed(s)
        rid, light_id = r["pothole"].id, r["light"].id
        r["pothole"].suggested_category_id = w.lights
        r["pothole"].classification_confidence = 0.82
    seen = runtime.bus.subscribe("reports")
    assert act(runtime, rid, "verify", w.operator, ActionForm(note="Đã gọi xác minh")) == {rid: "verified"}
    assert seen.get(timeout=1) == {"topic": "reports", "id": rid, "status": "verified"}
    with pytest.raises(InvalidInput, match="Cần ghi rõ"):
        act(runtime, rid, "reject", w.operator, ActionForm())
    with pytest.raises(Forbidden):
        act(runtime, rid, "verify", w.analyst, ActionForm())
    act(runtime, rid, "assign", w.operator, ActionForm(agency_id=w.agency_b, category_id=w.roads))
    act(runtime, rid, CONFIRM_CATEGORY, w.operator, ActionForm())
    act(runtime, rid, "start", w.staff_b, ActionForm())
    with runtime.session() as s:
        pothole = s.get_one(Report, rid)
        assert (pothole.status, pothole.agency_id) == ("in_progress", w.agency_b)
        assert (pothole.category_id, pothole.category_confirmed) == (w.lights, True)  # the suggestion, confirmed
        detail = load_detail(s, rid, w.operator, radius_m=500, days=30)
        assert [e.action for e in detail.timeline] == ["verified", "assigned", "reclassified", "started"]
        assert detail.timeline[0].note == "Đã gọi xác minh" and detail.timeline[0].who == "Vanhanh"
        # Both are street lights now, a few metres apart: each is the other's likely duplicate.
        assert [d.report_id for d in detail.duplicates] == [light_id]
    statuses = act(runtime, rid, MERGE_WITH, w.operator, ActionForm(duplicate_id=light_id))
    assert statuses == {rid: "duplicate", light_id: "received"}  # the later one went into the earlier one
    with runtime.session() as s:
        assert s.get_one(Report, rid).duplicate_of_id == light_id
        assert s.get_one(Report, light_id).me_too_count == 1
        actions = s.scalars(select(ReportEvent.action).where(ReportEvent.report_id == light_id)).all()
        assert actions == ["merged"]
        assert s.scalar(select(Outbox.id).where(Outbox.report_id == rid)) is not None  # its reporter is told
    with pytest.raises(InvalidInput, match="mã 'KHONG-CO'"):
        act(runtime, light_id, "mark_duplicate", w.operator, ActionForm(duplicate_code="KHONG-CO"))
    seen.close()


# ---------------------------------------------------------------------------------------------
# Export over HTTP
# ---------------------------------------------------------------------------------------------


def _client(runtime: Runtime, username: str) -> FlaskClient:
    client = create_server(runtime.settings, runtime).test_client()
    response = client_login(client, username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _csv(client: FlaskClient, query: str) -> list[list[str]]:
    response = client.get(f"/api/reports/export.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # the BOM: Excel then reads the accents right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_the_filtered_set_without_sealed_columns_for_agencies(runtime: Runtime) -> None:
    with runtime.session() as s:
        w, r = _seed(s)
        r["old"].description = "=HYPERLINK(\"http://x\")"
        code = {k: v.tracking_code for k, v in r.items()}
        create_user(s, "vanhanh-x", PASSWORD, Role.OPERATOR, full_name="Vận hành")
        create_user(s, "donvi-x", PASSWORD, Role.AGENCY, agency_id=w.agency_a)
    assert create_server(runtime.settings, runtime).test_client().get("/api/reports/export.csv").status_code == 401

    operator = _client(runtime, "vanhanh-x")
    rows = _csv(operator, "period=all")
    header = rows[0]
    assert header[:3] == ["Mã phản ánh", "Thời gian tiếp nhận", "Kênh tiếp nhận"]
    assert "Số điện thoại" in header and "Người phản ánh" in header
    assert {row[0] for row in rows[1:]} == set(code.values())
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_code[code["light"]]["Số điện thoại"] == "0911222333"
    assert by_code[code["light"]]["Lĩnh vực"] == "Chiếu sáng"
    assert by_code[code["pothole"]]["Kênh tiếp nhận"] == "Zalo"
    assert by_code[code["old"]]["Trạng thái"] == "Đã xử lý"
    assert by_code[code["old"]]["Nội dung"].startswith("'=")  # never a formula
    filtered = _csv(operator, f"period=all&agency={w.agency_a}&q=rac")
    assert [row[0] for row in filtered[1:]] == [code["old"]]

    staff = _client(runtime, "donvi-x")
    rows = _csv(staff, f"period=all&agency={w.agency_b}")  # asking for another agency gives nothing
    assert rows[1:] == []
    rows = _csv(staff, "period=all")
    assert {row[0] for row in rows[1:]} == {code["pothole"], code["old"]}
    assert "Số điện thoại" not in rows[0] and "Người phản ánh" not in rows[0] and "Thư điện tử" not in rows[0]
    text = staff.get("/api/reports/export.csv?period=all").get_data(as_text=True)
    assert "0905123456" not in text and "Nguyễn Văn An" not in text

    response = operator.get(f"/api/reports/export.xlsx?period=all&area={w.ward_2}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "Mã phản ánh" and "Số điện thoại" in cells[0]
    assert {row[0] for row in cells[1:]} == {code["light"], code["old"]}


def test_excel_export_refuses_more_rows_than_it_can_hold(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    with runtime.session() as s:
        _seed(s)
        create_user(s, "vanhanh-y", PASSWORD, Role.OPERATOR)
    monkeypatch.setattr(runtime.settings, "export_xlsx_max_rows", 3)  # the default, 200,000: too many to build here
    response = _client(runtime, "vanhanh-y").get("/api/reports/export.xlsx?period=all")
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and "xuất CSV" in body["error"] and "4 phản ánh" in body["error"]


# ---------------------------------------------------------------------------------------------
# The grid's rows over HTTP (the Dash callback the grid's getRowsRequest calls)
# ---------------------------------------------------------------------------------------------


def _grid_rows(client: FlaskClient, request: dict[str, object]) -> tuple[int, dict[str, Any]]:
    outputs = [("reports-grid", "getRowsResponse"), ("reports-total", "children"), ("reports-export-note", "children")]
    body = {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "reports-grid", "property": "getRowsRequest", "value": request}],
            "state": [{"id": "reports-query", "property": "data", "value": "?period=all"}],
            "changedPropIds": ["reports-grid.getRowsRequest"]}
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, response.get_json()


def test_the_grid_answers_at_most_one_block_whatever_it_is_asked(runtime: Runtime) -> None:
    from app import create_app

    client = create_app(runtime.settings, runtime).server.test_client()
    from dashboard.pages.reports.grid import GRID_BLOCK_ROWS

    with runtime.session() as s:
        w = world(s)
        for n in range(GRID_BLOCK_ROWS + 30):
            report(s, w, created_at=NOW - timedelta(minutes=n))
        create_user(s, "vanhanh-g", PASSWORD, Role.OPERATOR)
    assert client_login(client, "vanhanh-g", PASSWORD).status_code == 302

    status, body = _grid_rows(client, {"startRow": 0, "endRow": 10**9, "sortModel": []})
    assert status == 200
    answer = body["response"]["reports-grid"]["getRowsResponse"]
    assert len(answer["rowData"]) == GRID_BLOCK_ROWS and answer["rowCount"] == GRID_BLOCK_ROWS + 30
    status, body = _grid_rows(client, {"startRow": GRID_BLOCK_ROWS, "endRow": 10**9, "sortModel": []})
    assert len(body["response"]["reports-grid"]["getRowsResponse"]["rowData"]) == 30  # the rest, as asked
    for bad in ({"startRow": -5, "endRow": 10}, {"startRow": "x", "endRow": 10}, {"startRow": 20, "endRow": 10}):
        status, body = _grid_rows(client, bad)
        assert status == 400 and body["ok"] is False and "dòng" in body["error"], (bad, body)


def test_excel_export_takes_a_report_with_control_characters(runtime: Runtime) -> None:
    from data.accounts.apikeys import create_api_key

    with runtime.session() as s:
        world(s)
        _, key = create_api_key(s, "đối tác")
        create_user(s, "vanhanh-c", PASSWORD, Role.OPERATOR)
    # Through a real door: a partner's app over Open311, with characters an .xlsx cell cannot hold.
    client = create_server(runtime.settings, runtime).test_client()
    posted = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "roads", "address_string": "12 Lê Lợi, Huế",
        "description": "\x01=1+1 cống\x02 bị tắc\x1f, nước tràn\x0b ra đường\x08 từ sáng"})
    assert posted.status_code == 200, posted.get_data(as_text=True)
    code = posted.get_json()[0]["service_request_id"]
    with runtime.session() as s:
        stored = s.scalar(select(Report.description).where(Report.tracking_code == code))
    assert stored is not None and "\x01" in stored  # accepted as sent: nothing is lost

    response = _client(runtime, "vanhanh-c").get("/api/reports/export.xlsx?period=all")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    assert sheet is not None
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    text = next(dict(zip(header, row, strict=True)) for row in rows if row[0] == code)["Nội dung"]
    assert text == "'=1+1 cống bị tắc, nước tràn ra đường từ sáng"  # and no formula once they are gone
    csv_rows = _csv(_client(runtime, "vanhanh-c"), "period=all")
    assert dict(zip(csv_rows[0], csv_rows[1], strict=True))["Nội dung"] == text
