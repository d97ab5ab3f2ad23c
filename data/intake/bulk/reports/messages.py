"""The words of the report import's problems, one per reason (Vietnamese: operators read them)."""

from __future__ import annotations

from data.intake.submission import MAX_ADDRESS, MAX_DESCRIPTION, MAX_TITLE

MAX_EXTERNAL_ID = 150  # "import:<source>:" + id must fit the 200-character idempotency key

MESSAGES: dict[str, str] = {
    "column_missing": "Tệp không có cột này (bảng ánh xạ cần nó); coi như để trống ở mọi dòng.",
    "id_missing": "Thiếu mã phản ánh gốc: không thể chống nhập trùng.",
    "id_too_long": f"Mã phản ánh gốc dài quá {MAX_EXTERNAL_ID} ký tự.",
    "id_duplicate": "Mã phản ánh gốc trùng với một dòng phía trên trong tệp; chỉ nhập dòng đầu tiên.",
    "date_missing": "Thiếu thời điểm tiếp nhận.",
    "date_unparseable": "Không đọc được ngày giờ.",
    "date_format_mismatch": "Định dạng ngày không đọc được ngày nào trong cột: mọi dòng bị bỏ qua; sửa định dạng "
                            "rồi chạy thử lại.",
    "already_imported": "Đã nhập từ trước (cùng nguồn, cùng mã gốc); bỏ qua.",
    "closed_before_created": "Ngày đóng sớm hơn ngày tiếp nhận; bỏ ngày đóng.",
    "closed_without_date": "Trạng thái đã đóng nhưng thiếu ngày đóng.",
    "description_empty": "Nội dung phản ánh trống.",
    "description_too_long": f"Nội dung vượt giới hạn {MAX_DESCRIPTION} ký tự.",
    "title_truncated": f"Tiêu đề dài quá {MAX_TITLE} ký tự; đã cắt bớt.",
    "address_truncated": f"Địa chỉ dài quá {MAX_ADDRESS} ký tự; đã cắt bớt.",
    "status_unknown": "Trạng thái không có trong bảng ánh xạ; dùng trạng thái mặc định.",
    "status_unknown_skip": "Trạng thái không có trong bảng ánh xạ.",
    "coords_missing": "Không có toạ độ (trống hoặc bằng 0): phản ánh được nhập không có vị trí.",
    "coords_missing_skip": "Không có toạ độ (trống hoặc bằng 0) mà bảng ánh xạ yêu cầu toạ độ.",
    "coords_invalid": "Toạ độ không hợp lệ; phản ánh được nhập không có vị trí.",
    "coords_outside": "Vị trí nằm ngoài địa bàn thành phố; đã bỏ toạ độ.",
    "coords_outside_skip": "Vị trí nằm ngoài địa bàn thành phố.",
    "category_unmapped": "Lĩnh vực gốc không có trong bảng ánh xạ; để hệ thống tự phân loại.",
    "category_unknown": "Mã lĩnh vực không có trong danh mục; để hệ thống tự phân loại.",
    "agency_unmapped": "Đơn vị gốc không có trong bảng ánh xạ; để hệ thống tự điều phối.",
    "agency_unknown": "Mã đơn vị không có trong danh mục; để hệ thống tự điều phối.",
}
