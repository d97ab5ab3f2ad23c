"""Vietnamese first, English on request: the language is a cookie set by ``/lang/<code>``."""

from __future__ import annotations

from flask import current_app, has_request_context, request

LANGS = ("vi", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app.title": ("Trung tâm Giám sát, Điều hành đô thị thông minh", "Intelligent Operations Center"),
    "app.short": ("IOC Huế", "Hue IOC"),
    "nav.overview": ("Tổng quan", "Overview"),
    "nav.map": ("Bản đồ", "Map"),
    "nav.cameras": ("Camera", "Cameras"),
    "nav.reports": ("Phản ánh", "Reports"),
    "nav.kpis": ("Chỉ số", "KPIs"),
    "nav.public": ("Công khai", "Public"),
    "nav.logout": ("Đăng xuất", "Log out"),
    "nav.login": ("Đăng nhập", "Log in"),
    "nav.switch": ("English", "Tiếng Việt"),
    "login.title": ("Đăng nhập hệ thống IOC", "Log in to the IOC"),
    "login.username": ("Tên đăng nhập", "Username"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Log in"),
    "login.failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "login.required": ("Vui lòng đăng nhập để xem trang này.", "Please log in to see this page."),
    "login.forbidden": ("Tài khoản của bạn không có quyền xem trang này.",
                        "Your account may not see this page."),
    "ov.open": ("Phản ánh đang xử lý", "Open reports"),
    "ov.overdue": ("Quá hạn", "Overdue"),
    "ov.today": ("Tiếp nhận hôm nay", "Received today"),
    "ov.resolved30": ("Đã xử lý 30 ngày", "Resolved, 30 days"),
    "ov.cameras": ("Camera trực tuyến", "Cameras online"),
    "ov.alerts": ("Cảnh báo mới", "New alerts"),
    "ov.latest_kpis": ("Chỉ số mới nhất", "Latest KPIs"),
    "ov.recent": ("Phản ánh mới nhất", "Latest reports"),
    "ov.by_category": ("Phản ánh theo lĩnh vực (30 ngày)", "Reports by category (30 days)"),
    "ov.updated": ("Cập nhật lúc", "Updated at"),
    "col.code": ("Mã", "Code"),
    "col.time": ("Thời gian", "Time"),
    "col.category": ("Lĩnh vực", "Category"),
    "col.title": ("Nội dung", "Subject"),
    "col.status": ("Trạng thái", "Status"),
    "col.channel": ("Kênh", "Channel"),
    "col.agency": ("Đơn vị xử lý", "Agency"),
    "col.area": ("Địa bàn", "Area"),
    "col.deadline": ("Hạn xử lý", "Deadline"),
    "col.result": ("Kết quả", "Result"),
    "col.rating": ("Đánh giá", "Rating"),
    "map.title": ("Bản đồ điều hành", "Operations map"),
    "cam.title": ("Màn hình camera", "Video wall"),
    "cam.layout": ("Bố cục", "Layout"),
    "cam.group": ("Nhóm camera", "Camera group"),
    "cam.all": ("Tất cả", "All"),
    "cam.none": ("Chưa có camera nào.", "No cameras yet."),
    "cam.layout.1": ("1 camera", "1 camera"),
    "cam.layout.1p5": ("1 lớn + 5 nhỏ", "1 large + 5 small"),
    "cam.tour": ("Tự chuyển trang", "Tour"),
    "cam.tour.off": ("Không tự chuyển", "Tour off"),
    "cam.tour.every": ("Mỗi {n} giây", "Every {n} s"),
    "cam.page": ("Trang {page}/{pages}", "Page {page}/{pages}"),
    "cam.prev": ("Trang trước", "Previous page"),
    "cam.next": ("Trang sau", "Next page"),
    "cam.fullscreen": ("Toàn màn hình", "Full screen"),
    "cam.close": ("Đóng", "Close"),
    "cam.focus_hint": ("Bấm vào một camera để xem lớn; Esc để quay lại.",
                       "Click a camera to see it large; Esc to go back."),
    "cam.pop": ("Tự bật camera khi có cảnh báo gần", "Pop up a camera when an alert is near"),
    "cam.pop.alert": ("Cảnh báo gần camera {camera} ({m} m): {title}",
                      "Alert near camera {camera} ({m} m): {title}"),
    "cam.pop.report": ("Phản ánh mới gần camera {camera} ({m} m): {title}",
                       "New report near camera {camera} ({m} m): {title}"),
    "rep.title": ("Phản ánh hiện trường", "Field reports"),
    "rep.by_channel": ("Theo kênh tiếp nhận", "By channel"),
    "rep.by_status": ("Theo trạng thái", "By status"),
    "kpi.title": ("Chỉ số kinh tế - xã hội và dịch vụ công", "Socio-economic and public-service KPIs"),
    "kpi.target": ("Mục tiêu", "Target"),
    "kpi.nodata": ("Chưa có số liệu kỳ này", "No data this period"),
    "kpi.period": ("Kỳ", "Period"),
    "pub.title": ("Kết quả xử lý phản ánh của người dân", "How citizens' reports were handled"),
    "pub.received": ("Phản ánh tiếp nhận (12 tháng)", "Reports received (12 months)"),
    "pub.resolved": ("Đã xử lý", "Resolved"),
    "pub.rating": ("Mức hài lòng trung bình", "Average satisfaction"),
    "pub.search": ("Tra cứu theo mã phản ánh", "Look up by tracking code"),
    "pub.notfound": ("Không tìm thấy phản ánh đã công khai với mã này.",
                     "No published report has this code."),
    "pub.latest": ("Kết quả công khai mới nhất", "Latest published results"),
    "theme.economy": ("Kinh tế", "Economy"),
    "theme.budget": ("Ngân sách", "Budget"),
    "theme.public_services": ("Dịch vụ công", "Public services"),
    "theme.citizen_reports": ("Phản ánh hiện trường", "Citizen reports"),
    "theme.education": ("Giáo dục", "Education"),
    "theme.health": ("Y tế", "Health"),
    "theme.tourism": ("Du lịch", "Tourism"),
    "theme.environment": ("Môi trường", "Environment"),
    "theme.security": ("An ninh trật tự", "Security"),
    "status.received": ("Mới tiếp nhận", "Received"),
    "status.verified": ("Đã xác minh", "Verified"),
    "status.assigned": ("Đã chuyển xử lý", "Assigned"),
    "status.in_progress": ("Đang xử lý", "In progress"),
    "status.resolved": ("Đã xử lý", "Resolved"),
    "status.closed": ("Đã đóng", "Closed"),
    "status.reopened": ("Mở lại", "Reopened"),
    "status.rejected": ("Từ chối", "Rejected"),
    "status.duplicate": ("Trùng lặp", "Duplicate"),
    "status.not_responsible": ("Không thuộc thẩm quyền", "Not responsible"),
    "status.referred": ("Chuyển đơn vị khác", "Referred"),
    "channel.app": ("Ứng dụng Hue-S", "Hue-S app"),
    "channel.web": ("Cổng thông tin", "Web portal"),
    "channel.zalo": ("Zalo", "Zalo"),
    "channel.facebook": ("Facebook", "Facebook"),
    "channel.email": ("Thư điện tử", "Email"),
    "channel.hotline": ("Tổng đài", "Hotline"),
    "channel.open311": ("Open311", "Open311"),
    "channel.import": ("Nhập tệp", "File import"),
    "camstate.online": ("Trực tuyến", "Online"),
    "camstate.stale": ("Hình ảnh cũ", "Stale"),
    "camstate.offline": ("Mất tín hiệu", "Offline"),
    "camstate.unknown": ("Chưa rõ", "Unknown"),
    "common.overdue": ("Quá hạn", "Overdue"),
    "common.error": ("Đã xảy ra lỗi", "Something went wrong"),
}


def lang() -> str:
    """The language of this request: the ``lang`` cookie, else the deployment's default."""
    if has_request_context():
        chosen = request.cookies.get("lang")
        if chosen in LANGS:
            return chosen
        runtime = current_app.extensions.get("ioc")
        if runtime is not None:
            return str(runtime.settings.default_language)
    return "vi"


def t(key: str) -> str:
    """The text for ``key`` in the current language (the key itself if it is unknown)."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    return pair[1] if lang() == "en" else pair[0]


def t_enum(prefix: str, value: str | None) -> str:
    """A translated enum value (status, channel, ...), or the raw value if it has no text."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    return t(key) if key in TEXTS else value
