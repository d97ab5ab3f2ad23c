"""Cameras from a CSV or Excel file: a dry run names every problem by row and column, a file with errors
imports nothing, a good one adds and updates by code in one transaction; on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.cameras.bulk import ImportPlan, apply_plan, import_cameras
from data.cameras.urls import MASK
from data.cameras.who import Who
from data.core.errors import InvalidInput
from data.core.runtime import Runtime
from data.models import AuditEntry, Camera, CameraGroup

ADMIN = Who(None, "quantri", "127.0.0.1")
SECRET = "s3cret-pass"
HEADER = "code,name,group,stream_url,sub_stream_url,lat,lon,enabled"
GOOD = "\n".join([
    HEADER,
    f"CAM-001,Ngã tư Lê Lợi – Hùng Vương,Giao thông,rtsp://admin:{SECRET}@10.0.0.5:554/s1,"
    f"rtsp://admin:{SECRET}@10.0.0.5:554/s2,16.4637,107.5909,1",
    "CAM-002,Cầu Trường Tiền,Giao thông,rtsp://10.0.0.6/live,,\"16,4698\",\"107,5786\",",
    "CAM-003,Chợ Đông Ba,Chợ,http://10.0.0.7/video.mjpg,,,,không",
]) + "\n"


def _run(runtime: Runtime, csv: str | bytes, dry_run: bool, name: str = "cameras.csv") -> ImportPlan:
    raw = csv.encode() if isinstance(csv, str) else csv
    with runtime.session() as s:
        return import_cameras(s, ADMIN, raw, name, dry_run)


def _count(runtime: Runtime, model: type) -> int:
    with runtime.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_missing_column_is_one_clear_message(runtime: Runtime) -> None:
    csv = "code,name,group,lat,lon\nCAM-001,,Giao thông,999,abc\nCAM-001,x,,,\n"
    plan = _run(runtime, csv, dry_run=False)
    problems = plan.problems.to_dict("records")
    assert [(p["row"], p["column"], p["reason"]) for p in problems] == [(1, "stream_url", "column_missing")]
    assert "thiếu cột bắt buộc" in problems[0]["message"]
    assert _count(runtime, Camera) == 0


def test_every_bad_row_is_named_and_nothing_is_imported(runtime: Runtime) -> None:
    csv = "\n".join([
        HEADER + ",ghi_chu",
        f"CAM-001,Ngã tư Lê Lợi,Giao thông,rtsp://admin:{SECRET}@10.0.0.5/s1,,16.46,107.59,1,",  # row 2: good
        f"CAM-001,Trùng mã,Giao thông,rtsp://admin:{SECRET}@10.0.0.5/s2,,,,,",  # row 3: duplicate code
        f"CAM-003,Sai giao thức,,ftp://admin:{SECRET}@10.0.0.5/v,,,,,",  # row 4: not rtsp/http(s)
        "CAM 004,,,rtsp://10.0.0.5/s,,16.5,,bật lại,",  # row 5: code, name, half a place, enabled
        f"CAM-005,Mật khẩu che,,rtsp://admin:{MASK}@10.0.0.5/s,,,,,",  # row 6: a mask with nothing stored
        "CAM-006,Không có địa chỉ,,,,,,,",  # row 7: no URL
        "CAM-007,Toạ độ sai,,rtsp://10.0.0.5/s,,95.2,107.5,,",  # row 8: latitude out of range
    ]) + "\n"
    plan = _run(runtime, csv, dry_run=False)
    found = {(p["row"], p["column"], p["reason"]) for p in plan.problems.to_dict("records")}
    assert found == {
        (1, "ghi_chu", "column_unknown"),
        (3, "code", "code_duplicate"), (4, "stream_url", "url_scheme"), (5, "code", "code_invalid"),
        (5, "name", "name_missing"), (5, "lat", "coords_half"), (5, "enabled", "enabled_invalid"),
        (6, "stream_url", "url_masked"), (7, "stream_url", "url_missing"), (8, "lat", "coords_invalid"),
    }
    assert plan.errors == 9 and not plan.applied
    assert SECRET not in plan.problems_csv().decode("utf-8-sig")
    assert _count(runtime, Camera) == 0 and _count(runtime, AuditEntry) == 0
    with runtime.session() as s, pytest.raises(InvalidInput, match="chưa nhập camera nào"):
        apply_plan(s, ADMIN, plan, "cameras.csv")


def test_dry_run_then_import_then_again_changes_nothing(runtime: Runtime) -> None:
    dry = _run(runtime, GOOD, dry_run=True)
    assert dry.summary() == {"rows": 3, "create": 3, "update": 0, "unchanged": 0, "errors": 0,
                             "applied": False}
    assert _count(runtime, Camera) == 0
    done = _run(runtime, GOOD, dry_run=False)
    assert done.summary()["create"] == 3 and done.applied
    with runtime.session() as s:
        rows = {c.code: c for c in s.scalars(select(Camera))}
        assert rows["CAM-001"].stream_url == f"rtsp://admin:{SECRET}@10.0.0.5:554/s1"
        assert (rows["CAM-002"].lat, rows["CAM-002"].lon) == (16.4698, 107.5786)  # decimal commas read
        assert not rows["CAM-003"].enabled and rows["CAM-002"].enabled
        assert sorted(s.scalars(select(CameraGroup.name))) == ["Chợ", "Giao thông"]
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["admin.camera.create"] * 3 + ["admin.camera.import"]
    again = _run(runtime, GOOD, dry_run=False)
    assert again.summary()["unchanged"] == 3 and again.summary()["update"] == 0


def test_a_known_code_is_updated_and_a_masked_password_kept(runtime: Runtime) -> None:
    _run(runtime, GOOD, dry_run=False)
    changed = GOOD.replace("Cầu Trường Tiền", "Cầu Trường Tiền (Nam)").replace(
        f"admin:{SECRET}@10.0.0.5:554/s1", f"admin:{MASK}@10.0.0.9:554/s1")
    plan = _run(runtime, changed, dry_run=False)
    assert plan.summary()["update"] == 2 and plan.summary()["unchanged"] == 1
    with runtime.session() as s:
        first = s.scalar(select(Camera).where(Camera.code == "CAM-001"))
        assert first is not None and first.stream_url == f"rtsp://admin:{SECRET}@10.0.0.9:554/s1"
        updates = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "admin.camera.update")))
        assert len(updates) == 2 and all(u.detail is not None and u.detail["via"] == "import" for u in updates)
        assert all(SECRET not in str(u.detail) for u in updates)


def test_an_excel_file_reads_the_same(runtime: Runtime) -> None:
    frame = pd.read_csv(io.StringIO(GOOD), dtype=str, keep_default_na=False)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")
    plan = _run(runtime, buffer.getvalue(), dry_run=False, name="cameras.xlsx")
    assert plan.summary()["create"] == 3 and plan.errors == 0


def test_a_file_that_is_no_table_is_refused_with_its_name(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match=r"cameras\.pdf"):
        _run(runtime, b"%PDF-1.4 ...", dry_run=True, name="cameras.pdf")
