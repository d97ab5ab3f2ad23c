"""``/api/reports/export.csv`` and ``.xlsx``: the reports page's filtered set, as a file.

They take the page's own query string (``ReportFilter.from_query``), narrowed on the server to
what the logged-in user may see; the reporter's name, phone and e-mail only for the roles that may
read them. CSV is streamed chunk by chunk (UTF-8 with a BOM, so Excel reads the accents); an Excel
workbook is built whole before it is sent, so it is capped at ``Settings.export_xlsx_max_rows`` with a
message beyond.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, send_file, stream_with_context
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dashboard.auth import audit_action
from dashboard.components import fmt_number
from dashboard.i18n import t
from data.accounts.users import SEES_REPORTER
from data.core.errors import InvalidInput
from data.core.runtime import Runtime
from data.models import Role, utcnow
from data.reports.filters import ReportFilter
from data.reports.queries import count_reports, export_rows

CSV_FLUSH_ROWS = 500
# (field, Vietnamese header); the sealed three only for SEES_REPORTER roles.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("tracking_code", "Mã phản ánh"), ("created_at", "Thời gian tiếp nhận"), ("channel", "Kênh tiếp nhận"),
    ("category", "Lĩnh vực"), ("status", "Trạng thái"), ("overdue", "Quá hạn"), ("urgency", "Mức độ"),
    ("agency", "Đơn vị xử lý"), ("area", "Địa bàn"), ("title", "Tiêu đề"), ("description", "Nội dung"),
    ("address", "Địa chỉ"), ("lat", "Vĩ độ"), ("lon", "Kinh độ"), ("expected_at", "Hạn xử lý"),
    ("resolved_at", "Thời gian xử lý xong"), ("result_text", "Kết quả xử lý"), ("rating", "Đánh giá"),
    ("me_too_count", "Số người cùng phản ánh"),
)  # fmt: skip
SEALED_COLUMNS = (("reporter_name", "Người phản ánh"), ("reporter_phone", "Số điện thoại"),
                  ("reporter_email", "Thư điện tử"))
# A cell that starts like a formula is run by Excel: text from citizens must never be one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns_for(sealed: bool) -> tuple[tuple[str, str], ...]:
    """The export's columns: the sealed reporter columns only when ``sealed``."""
    return COLUMNS + SEALED_COLUMNS if sealed else COLUMNS


def cell(key: str, value: Any, tz: Any, labels: dict[str, dict[str, str]]) -> Any:
    """One value as a spreadsheet shows it: local times, Vietnamese labels, no formulas, no control characters."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if key == "overdue":
        return "Có" if value else ""
    if key in labels:
        return labels[key].get(str(value), str(value))
    if isinstance(value, str):
        # Control characters (a citizen's app may send \x01) cannot be stored in an .xlsx cell (openpyxl
        # refuses the whole file); they are dropped in every format, before the formula check they could hide.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return "'" + value if value.startswith(FORMULA_START) else value
    return value


def value_labels() -> dict[str, dict[str, str]]:
    """Vietnamese labels of the status, channel and urgency values, as an export shows them."""
    from dashboard.i18n import catalogue

    out: dict[str, dict[str, str]] = {"status": {}, "channel": {}, "urgency": {"normal": "Bình thường",
                                                                              "emergency": "Khẩn cấp"}}
    for key, vi in catalogue("vi").items():
        prefix, _, value = key.partition(".")
        if prefix in ("status", "channel") and value:
            out[prefix][value] = vi
    return out


def _viewer_filter(runtime: Runtime) -> tuple[ReportFilter, bool]:
    """The request's filter, limited to what the user may see, and whether they see reporters."""
    role = Role(current_user.role)
    settings = runtime.settings
    f = ReportFilter.from_query(request.args, utcnow(), settings.tz).seen_by(role, current_user.agency_id)
    return f, role in SEES_REPORTER


def _filename(ext: str, tz: Any) -> str:
    return f"phan-anh-{datetime.now(tz).strftime('%Y%m%d-%H%M')}.{ext}"


def make_report_export_blueprint(runtime: Runtime) -> Blueprint:
    """``GET /api/reports/export.csv`` and ``GET /api/reports/export.xlsx`` (login required by the guard)."""
    bp = Blueprint("report_export", __name__)

    @bp.get("/api/reports/export.csv")
    def export_csv() -> Response:
        f, sealed = _viewer_filter(runtime)
        audit_action("export.csv", detail={"query": request.query_string.decode()[:500], "reporters": sealed})
        tz, labels, cols = runtime.settings.tz, value_labels(), columns_for(sealed)

        def lines() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")
            writer.writerow([header for _, header in cols])
            with runtime.session() as session:
                for n, row in enumerate(export_rows(session, f, sealed=sealed), start=1):
                    writer.writerow([cell(key, row.get(key), tz, labels) for key, _ in cols])
                    if n % CSV_FLUSH_ROWS == 0:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
            yield buffer.getvalue()

        response = Response(stream_with_context(lines()), mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{_filename("csv", tz)}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/api/reports/export.xlsx")
    def export_xlsx() -> Response:
        f, sealed = _viewer_filter(runtime)
        audit_action("export.xlsx", detail={"query": request.query_string.decode()[:500], "reporters": sealed})
        tz, labels, cols = runtime.settings.tz, value_labels(), columns_for(sealed)
        with runtime.session() as session:
            total, cap = count_reports(session, f), runtime.settings.export_xlsx_max_rows
            if total > cap:  # the reports page shows this message in place, with a CSV link
                raise InvalidInput(t("rep.export.xlsx_refused").format(total=fmt_number(total), cap=fmt_number(cap)))
            book = Workbook(write_only=True)
            sheet = book.create_sheet("Phản ánh")
            sheet.append([header for _, header in cols])
            for row in export_rows(session, f, sealed=sealed):
                sheet.append([cell(key, row.get(key), tz, labels) for key, _ in cols])
        # A spooled file: small workbooks stay in memory, large ones go to disk, never both.
        out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - send_file closes it
        book.save(out)
        out.seek(0)
        response = send_file(out, as_attachment=True, download_name=_filename("xlsx", tz),
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
