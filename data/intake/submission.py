"""What every intake channel hands over: one ``Submission``, and the errors it can get back."""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from data.core.errors import InvalidInput
from data.core.text import ascii_digits, has_nul
from data.models import Channel
from data.reports.uploads import MediaFile

MAX_DESCRIPTION = 4000  # Open311's limit, kept for every channel
MAX_TITLE = 300
MAX_ADDRESS = 500


class IntakeError(InvalidInput):
    """A submission refused, naming the field at fault (Open311 answers carry it as the error's code)."""

    def __init__(self, message: str, *, field: str, status: int = 400) -> None:
        super().__init__(message, status=status)
        self.field = field

    def as_json(self) -> dict[str, object]:
        return super().as_json() | {"field": self.field}


@dataclass
class Submission:
    """A citizen report as one channel received it, before anything is stored.

    ``idempotency_key`` (or the channel's own ``external_id``) makes a retried submission return the
    first one's receipt instead of creating a second report.
    """

    channel: Channel
    description: str
    category_code: str | None = None
    title: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    publish_consent: bool = True
    urgency: str = "normal"
    external_id: str | None = None
    idempotency_key: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    media: list[MediaFile] = field(default_factory=list)
    # The channel's reply address (e.g. a Zalo user id): the tracking code is sent there.
    reply_to: str | None = None
    # When the report was really made (imports of old reports); None = now.
    created_at: datetime | None = None
    user_id: int | None = None  # the operator who entered it (hotline, import)
    # The unit a caller names when there is no point (hotline: "Phường An Cựu"); a point wins.
    admin_unit_id: int | None = None
    is_demo: bool = False  # the demo's live reports take this same path, marked so they can be removed

    def dedup_key(self) -> str | None:
        """The key that makes a retry find the first report: the client's key, else the channel's id."""
        if self.idempotency_key:
            return f"key:{self.idempotency_key}"[:200]
        if self.external_id:
            return f"{self.channel}:{self.external_id}"[:200]
        return None

    def fingerprint(self) -> str:
        """A hash of what was asked: a reused key with a different request is refused, not merged."""
        parts = [self.channel, self.description, self.category_code, self.lat, self.lon, self.address,
                 sorted(hashlib.sha256(m.content).hexdigest() for m in self.media)]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# The text a submission carries, by the name its refusal gives (Open311's where it has one).
TEXT_FIELDS = {
    "description": "description", "title": "title", "address": "address_string", "reporter_name": "name",
    "reporter_phone": "phone", "reporter_email": "email", "category_code": "service_code",
    "external_id": "external_id", "idempotency_key": "Idempotency-Key", "reply_to": "reply_to",
    "attributes": "attribute",
}  # fmt: skip


def _refuse_nul(sub: Submission) -> None:
    """A NUL character is no one's text and PostgreSQL cannot store it: refused, naming the field."""
    for attribute, name in TEXT_FIELDS.items():
        if has_nul(getattr(sub, attribute)):
            raise IntakeError(f"{name}: có ký tự NUL (\\x00) không hợp lệ; hãy bỏ ký tự đó rồi gửi lại.", field=name)


def validate(sub: Submission) -> Submission:
    """Normalise the free-text fields and refuse what no one can act on, field by field."""
    _refuse_nul(sub)
    sub.description = (sub.description or "").strip()
    if not sub.description:
        raise IntakeError("Vui lòng mô tả sự việc (nội dung phản ánh đang trống).", field="description")
    if len(sub.description) > MAX_DESCRIPTION:
        raise IntakeError(
            f"Nội dung dài {len(sub.description)} ký tự, vượt giới hạn {MAX_DESCRIPTION} ký tự.",
            field="description",
        )
    sub.title = _clean_text(sub.title)
    if sub.title and len(sub.title) > MAX_TITLE:
        raise IntakeError(f"Tiêu đề vượt giới hạn {MAX_TITLE} ký tự.", field="title")
    sub.address = _clean_text(sub.address)
    if sub.address and len(sub.address) > MAX_ADDRESS:
        raise IntakeError(f"Địa chỉ vượt giới hạn {MAX_ADDRESS} ký tự.", field="address_string")
    sub.reporter_name = _clean_text(sub.reporter_name)
    sub.reporter_email = _clean_text(sub.reporter_email)
    sub.reporter_phone = _clean_phone(sub.reporter_phone)
    if sub.reporter_email and ("@" not in sub.reporter_email or len(sub.reporter_email) > 200):
        raise IntakeError(f"Địa chỉ email «{sub.reporter_email}» không hợp lệ.", field="email")
    if (sub.lat is None) != (sub.lon is None):
        raise IntakeError("Cần cả vĩ độ (lat) và kinh độ (long) của vị trí.", field="lat")
    if sub.lat is not None and sub.lon is not None and not (
        math.isfinite(sub.lat) and math.isfinite(sub.lon) and -90 <= sub.lat <= 90 and -180 <= sub.lon <= 180
    ):
        raise IntakeError(f"Toạ độ ({sub.lat}, {sub.lon}) không hợp lệ.", field="lat")
    if sub.urgency not in ("normal", "emergency"):
        raise IntakeError("Mức khẩn phải là normal hoặc emergency.", field="urgency")
    return sub


def _clean_phone(value: str | None) -> str | None:
    """Digits (and a leading +) only; a number no one could call is refused."""
    value = _clean_text(value)
    if value is None:
        return None
    # NFKC: a superscript or full-width digit from a phone keyboard is the digit it shows.
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ascii_digits(ch))
    if not 8 <= len(digits) <= 15:
        raise IntakeError(f"Số điện thoại «{value}» không hợp lệ.", field="phone")
    return ("+" if value.startswith("+") else "") + digits
