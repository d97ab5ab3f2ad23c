"""The few exceptions the IOC raises on purpose; each carries a message a person can act on."""

from __future__ import annotations


class IocError(Exception):
    """A failure to show to a user: a message (Vietnamese first), an HTTP status and a title."""

    status: int = 400
    title: str = "Yêu cầu không hợp lệ"

    def __init__(self, message: str, *, status: int | None = None, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title

    def as_json(self) -> dict[str, object]:
        return {"ok": False, "error": self.message, "title": self.title, "status": self.status}


class ConfigError(IocError):
    """Start-up cannot go on: a setting is wrong or a service it names is unreachable."""

    status = 500
    title = "Cấu hình sai"


class NotFound(IocError):
    status = 404
    title = "Không tìm thấy"


class Forbidden(IocError):
    status = 403
    title = "Không có quyền"


class InvalidInput(IocError):
    status = 400
    title = "Dữ liệu không hợp lệ"


class ServiceUnavailable(IocError):
    """A service the request needs (the database) is down for now: 503, and when to try again."""

    status = 503
    title = "Tạm ngừng phục vụ"
    retry_after_s = 30  # Retry-After: long enough for a restart, short enough for a person to wait

    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s


class FieldError(InvalidInput):
    """Bad input in one field of a form: ``field`` names it, ``code`` (with ``params``) lets a page say it in
    the reader's language; ``message`` says it in Vietnamese (English) for everyone else."""

    def __init__(self, field: str, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.params = params


class Conflict(IocError):
    """Someone else changed the thing meanwhile: nothing was applied; reload and decide again."""

    status = 409
    title = "Đã bị thay đổi"
