"""The template's layout: its columns, the hidden ones adapters add, and the words of its problems."""

from __future__ import annotations

from data.core.errors import InvalidInput

TEMPLATE_COLUMNS = ("indicator_code", "period", "geography", "value", "unit", "source", "note")
REQUIRED_COLUMNS = ("indicator_code", "period", "value")
# Set by adapters, which turn one source row into several: the source row (as the user numbers it)
# and the source column each value came from, so the report points into the file the user has.
SOURCE_ROW, SOURCE_COLUMN = "_row", "_column"
# Set by adapters of files where each row names its province: there a blank one is missing, not the city.
PLACE_REQUIRED = "_place_required"
KEY = ["indicator_id", "period", "admin_unit_id", "agency_id", "place"]  # one current value per key
FREQUENCY_NAMES = {"year": "năm", "quarter": "quý", "month": "tháng", "day": "ngày"}

MESSAGES: dict[str, str] = {
    "column_missing": "Tệp thiếu cột bắt buộc này; không nhập được dòng nào.",
    "indicator_missing": "Thiếu mã chỉ số.",
    "indicator_unknown": "Mã chỉ số không có trong danh mục chỉ số (xem tệp mẫu).",
    "period_missing": "Thiếu kỳ số liệu.",
    "period_unparseable": "Không đọc được kỳ: viết 2024 (năm), 2024-Q3 (quý), 2024-10 (tháng) hoặc 2024-10-31 (ngày).",
    "period_frequency": "Kỳ không khớp tần suất của chỉ số (năm, quý, tháng hay ngày).",
    "period_future": "Kỳ số liệu chưa bắt đầu (ở tương lai).",
    "value_missing": "Thiếu giá trị.",
    "value_not_number": "Giá trị không phải là số (không dùng dấu phân cách hàng nghìn; dấu thập phân là . hoặc ,).",
    "unit_mismatch": "Đơn vị khác đơn vị của chỉ số trong danh mục.",
    "place_missing": "Thiếu địa bàn: mỗi dòng của tệp này phải ghi tỉnh hoặc đơn vị.",
    "place_unknown": ("Không nhận ra địa bàn: ghi mã hoặc tên phường/xã, quận/huyện, mã hoặc tên cơ quan, "
                      "hoặc tên tỉnh; để trống là toàn thành phố."),
    "duplicate": "Trùng chỉ số, kỳ và địa bàn với một dòng phía trên; chỉ nhập dòng đầu tiên.",
}


class IndicatorImportError(InvalidInput):
    """An import that cannot start: no file, an unknown adapter, a file an adapter cannot read."""

    title = "Không nhập được chỉ số"
