"""Cameras from a CSV or Excel file: a dry run that names every problem by row and column, then the import.

One row per camera (``code, name, stream_url`` required; ``group, sub_stream_url, lat, lon, enabled``
optional), matched to the cameras already there by code: a new code adds a camera, a known one updates
it. The checks follow the report import's style (``data.core.row_checks``: one problem per row and
column, rows numbered as the file shows them, header = row 1). A file with any error imports nothing:
cameras are configuration, and half a file is worse than none. The import runs in the caller's one
transaction, each camera audited as the page's changes are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.cameras.editing import CODE, MAX_GROUP, MAX_NAME, CameraInput, WardFinder, create_camera, update_camera
from data.cameras.urls import MASK, URL_MESSAGES, masked, unmasked, url_reason
from data.cameras.who import Who
from data.core.errors import InvalidInput
from data.core.row_checks import PROBLEM_COLUMNS, RowChecks
from data.core.tabular import read_table
from data.models import Camera

REQUIRED = ("code", "name", "stream_url")
OPTIONAL = ("group", "sub_stream_url", "lat", "lon", "enabled")
MAX_ROWS = 20_000
YES = {"", "1", "true", "yes", "y", "x", "có", "co", "bật", "bat"}
NO = {"0", "false", "no", "n", "không", "khong", "tắt", "tat"}
MESSAGES = {
    "column_missing": "Tệp thiếu cột bắt buộc này: thêm cột (đúng tên ở dòng tiêu đề) rồi nhập lại.",
    "column_unknown": "Cột này không dùng đến và được bỏ qua (các cột nhận: " + ", ".join(REQUIRED + OPTIONAL) + ").",
    "code_missing": "Thiếu mã camera.",
    "code_invalid": "Mã camera chỉ gồm chữ, số, '.', '-' và '_' (tối đa 64 ký tự), ví dụ CAM-001.",
    "code_duplicate": "Mã camera trùng với một dòng phía trên trong tệp: mỗi camera một dòng.",
    "name_missing": "Thiếu tên camera.",
    "name_too_long": f"Tên camera dài quá {MAX_NAME} ký tự.",
    "group_too_long": f"Tên nhóm dài quá {MAX_GROUP} ký tự.",
    "url_masked": "Địa chỉ có mật khẩu bị che (••••••) nhưng camera này chưa có mật khẩu nào được lưu: "
                  "nhập mật khẩu thật.",
    "coords_half": "Chỉ có một trong hai toạ độ: nhập cả vĩ độ (lat) và kinh độ (lon), hoặc bỏ trống cả hai.",
    "coords_invalid": "Toạ độ không hợp lệ: vĩ độ từ -90 đến 90, kinh độ từ -180 đến 180 (vd. 16.4698 và 107.5786).",
    "enabled_invalid": "Cột enabled chỉ nhận 1/0, có/không, true/false (trống = bật).",
} | URL_MESSAGES


@dataclass
class ImportPlan:
    """What a file would do (dry run) or did: cameras to add and to change, and the problems by row."""

    rows_total: int
    problems: pd.DataFrame
    creates: list[CameraInput] = field(default_factory=list)
    updates: list[tuple[int, CameraInput]] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False

    @property
    def errors(self) -> int:
        return int((self.problems["severity"] == "error").sum())

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows_total, "create": len(self.creates), "update": len(self.updates),
                "unchanged": self.unchanged, "errors": self.errors, "applied": self.applied}

    def problems_csv(self) -> bytes:
        """The per-row report, UTF-8 with BOM so that Excel shows the Vietnamese text right."""
        return self.problems.to_csv(index=False).encode("utf-8-sig")


def _number(text: pd.Series) -> pd.Series:
    """Decimal numbers as people type them: 16.4698, or 16,4698 from a Vietnamese spreadsheet."""
    cleaned = text.str.strip().where(text.str.contains(r"\."), text.str.strip().str.replace(",", ".", regex=False))
    return pd.to_numeric(cleaned, errors="coerce")


def _check_codes(frame: pd.DataFrame, checks: RowChecks) -> None:
    code = frame["code"].str.strip()
    checks.add(code == "", "code", code, "code_missing", skip=True)
    checks.add((code != "") & ~code.str.match(CODE.pattern), "code", code, "code_invalid", skip=True)
    checks.add((code != "") & code.duplicated(keep="first"), "code", code, "code_duplicate", skip=True)


def _check_texts(frame: pd.DataFrame, checks: RowChecks) -> None:
    name = frame["name"].str.strip()
    checks.add(name == "", "name", name, "name_missing", skip=True)
    checks.add(name.str.len() > MAX_NAME, "name", name, "name_too_long", skip=True)
    group = frame["group"].str.strip()
    checks.add(group.str.len() > MAX_GROUP, "group", group, "group_too_long", skip=True)


def _check_urls(frame: pd.DataFrame, checks: RowChecks, known: dict[str, Camera]) -> None:
    for column in ("stream_url", "sub_stream_url"):
        url = frame[column].str.strip()
        shown = url.map(masked)  # the report is read on a page: never a password in it
        reasons = url.map(url_reason)
        if column == "sub_stream_url":
            reasons = reasons.where(url != "")
        for reason in sorted(set(reasons.dropna())):
            checks.add(reasons == reason, column, shown, str(reason), skip=True)
        stored = frame["code"].str.strip().map({code: getattr(camera, column) for code, camera in known.items()})
        unresolved = pd.Series([_mask_unresolved(u, s) for u, s in zip(url, stored, strict=True)], index=frame.index)
        checks.add(unresolved, column, shown, "url_masked", skip=True)


def _mask_unresolved(url: str, stored: Any) -> bool:
    """A URL with the mask for a password that no stored URL of that camera can fill in."""
    if MASK not in url:
        return False
    try:
        unmasked(url, stored if isinstance(stored, str) else None)
    except InvalidInput:
        return True
    return False


def _check_place(frame: pd.DataFrame, checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    raw_lat, raw_lon = frame["lat"].str.strip(), frame["lon"].str.strip()
    lat, lon = _number(raw_lat), _number(raw_lon)
    checks.add((raw_lat == "") != (raw_lon == ""), "lat" , raw_lat + ", " + raw_lon, "coords_half", skip=True)
    given = (raw_lat != "") & (raw_lon != "")
    bad = given & (lat.isna() | lon.isna() | ~lat.between(-90, 90) | ~lon.between(-180, 180))
    checks.add(bad, "lat", raw_lat + ", " + raw_lon, "coords_invalid", skip=True)
    return lat.where(given), lon.where(given)


def _check_enabled(frame: pd.DataFrame, checks: RowChecks) -> pd.Series:
    value = frame["enabled"].str.strip().str.lower()
    checks.add(~value.isin(YES | NO), "enabled", frame["enabled"], "enabled_invalid", skip=True)
    return value.isin(YES)


def plan_import(session: Session, frame: pd.DataFrame) -> ImportPlan:
    """Check every row (nothing is written); a missing required column is one message and checks nothing else."""
    if len(frame) > MAX_ROWS:
        raise InvalidInput(f"Tệp có {len(frame)} dòng: mỗi lần nhập tối đa {MAX_ROWS} camera.")
    missing = [c for c in REQUIRED if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in REQUIRED + OPTIONAL]
    header = [{"row": 1, "column": c, "value": "", "severity": "error", "reason": "column_missing",
               "message": MESSAGES["column_missing"]} for c in missing]
    header += [{"row": 1, "column": c, "value": "", "severity": "warning", "reason": "column_unknown",
                "message": MESSAGES["column_unknown"]} for c in unknown]
    checks = RowChecks(frame, MESSAGES)
    if missing:
        return ImportPlan(len(frame), checks.frame(header))
    frame = frame.assign(**{c: frame[c] if c in frame.columns else "" for c in OPTIONAL})
    known = {c.code: c for c in session.scalars(select(Camera).where(Camera.code.in_(set(frame["code"].str.strip()))))}
    _check_codes(frame, checks)
    _check_texts(frame, checks)
    _check_urls(frame, checks, known)
    lat, lon = _check_place(frame, checks)
    enabled = _check_enabled(frame, checks)
    plan = ImportPlan(len(frame), checks.frame(header))
    if plan.errors:
        return plan
    for i in frame.index:
        data = _row_input(frame.loc[i], lat[i], lon[i], bool(enabled[i]))
        camera = known.get(data.code)
        if camera is None:
            plan.creates.append(data)
        elif _differs(camera, data):
            plan.updates.append((camera.id, data))
        else:
            plan.unchanged += 1
    return plan


def _row_input(row: pd.Series, lat: float, lon: float, enabled: bool) -> CameraInput:
    return CameraInput(
        code=row["code"].strip(), name=" ".join(row["name"].split()), stream_url=row["stream_url"].strip(),
        group=" ".join(row["group"].split()), sub_stream_url=row["sub_stream_url"].strip(),
        lat=None if pd.isna(lat) else float(lat), lon=None if pd.isna(lon) else float(lon), enabled=enabled,
    )


def _differs(camera: Camera, data: CameraInput) -> bool:
    now = (camera.name, camera.group_name or "", camera.stream_url, camera.sub_stream_url or "",
           camera.lat, camera.lon, bool(camera.enabled))
    sub = unmasked(data.sub_stream_url, camera.sub_stream_url) if data.sub_stream_url else ""
    return now != (data.name, data.group, unmasked(data.stream_url, camera.stream_url), sub,
                   data.lat, data.lon, data.enabled)


def apply_plan(session: Session, who: Who, plan: ImportPlan, filename: str) -> ImportPlan:
    """Write a plan without errors, in the caller's transaction; each camera audited, and the import itself."""
    if plan.errors:
        raise InvalidInput(f"Tệp còn {plan.errors} lỗi (xem báo cáo theo dòng): chưa nhập camera nào.")
    wards = WardFinder(session)
    for data in plan.creates:
        create_camera(session, who, data, via="import", wards=wards)
    for camera_id, data in plan.updates:
        update_camera(session, who, camera_id, data, version=None, via="import", wards=wards)
    plan.applied = True
    who.record(session, "admin.camera.import", f"file:{filename[:180]}", plan.summary())
    return plan


def import_cameras(session: Session, who: Who, raw: bytes, filename: str, dry_run: bool) -> ImportPlan:
    """Read a CSV/Excel file of cameras, check it, and (unless ``dry_run`` or with errors) import it."""
    plan = plan_import(session, read_table(raw, filename))
    if dry_run or plan.errors:
        return plan
    return apply_plan(session, who, plan, filename)


__all__ = ["PROBLEM_COLUMNS", "ImportPlan", "apply_plan", "import_cameras", "plan_import"]
