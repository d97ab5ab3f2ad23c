"""Services: our public categories as Open311 services, and what a request posted to one must carry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.text import has_nul, shown
from data.intake.submission import IntakeError
from data.models import Agency, Category

# Stored as the text of a post that came without ``description`` (operators read it; Open311 answers "").
NO_DESCRIPTION = "(Phản ánh qua Open311 không có mô tả: xem ảnh và thuộc tính kèm theo.)"

URGENCY_ATTRIBUTE: dict[str, Any] = {
    "variable": True,
    "code": "urgency",
    "datatype": "singlevaluelist",
    "required": False,
    "datatype_description": "normal hoặc emergency (mặc định normal)",
    "order": 1,
    "description": "Mức khẩn: chọn 'Khẩn cấp' khi có nguy hiểm cho người hoặc tài sản",
    "values": [{"key": "normal", "name": "Bình thường"}, {"key": "emergency", "name": "Khẩn cấp"}],
}
ATTRIBUTES: tuple[dict[str, Any], ...] = (URGENCY_ATTRIBUTE,)


def service_entry(category: Category, group: str | None) -> dict[str, Any]:
    """One element of ``GET services``: every service takes attributes (at least ``urgency``)."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",
        "keywords": ", ".join(str(k) for k in category.keywords or []),
        "group": group or "",
    }


def service_definition(category: Category) -> dict[str, Any]:
    """``GET services/{code}``: the attributes a request of this service may carry."""
    return {"service_code": category.code, "attributes": [dict(a) for a in ATTRIBUTES]}


def public_categories(session: Session) -> list[tuple[Category, str | None]]:
    """The public categories with their default agency's name (the service group), by code."""
    rows = session.execute(
        select(Category, Agency.name).outerjoin(Agency, Agency.id == Category.default_agency_id)
        .where(Category.public.is_(True)).order_by(Category.code)
    ).all()  # fmt: skip
    return [(row[0], row[1]) for row in rows]


def public_category(session: Session, code: str) -> Category:
    """The public category with this service code, or a 404 naming it."""
    category = session.scalar(select(Category).where(Category.code == code, Category.public.is_(True)))
    if category is None:
        raise IntakeError(f"Không có lĩnh vực (service_code) «{code}».", field="service_code", status=404)
    return category


def attributes_from_form(values: dict[str, str]) -> tuple[str, dict[str, str]]:
    """``attribute[code]`` values checked against the definition: (urgency, the other attributes)."""
    known = {a["code"]: a for a in ATTRIBUTES}
    for code, value in values.items():
        spec = known.get(code)
        if spec is None:
            raise IntakeError(f"Thuộc tính attribute[{code}] không có trong định nghĩa dịch vụ.", field="attribute")
        keys = [v["key"] for v in spec.get("values", [])]
        if keys and value not in keys:
            raise IntakeError(
                f"attribute[{code}] phải là một trong: {', '.join(keys)} (nhận được «{value}»).", field="attribute"
            )
    rest = {k: v for k, v in values.items() if k != "urgency"}
    return values.get("urgency") or "normal", rest


def description_for(category: Category, described: bool) -> str:
    """The stored text of a post without ``description``, or the spec's 400 naming the field.

    GeoReport v2 makes ``description`` optional: accepted when the post carries attribute values or
    media (``described``), unless the city requires a description for this service.
    """
    if category.description_required:
        raise IntakeError(f"description: lĩnh vực «{category.name}» ({category.code}) cần mô tả sự việc; "
                          "hãy gửi description.", field="description")
    if not described:
        raise IntakeError("description: cần mô tả sự việc, hoặc gửi kèm ảnh (media, media_url) hay thuộc tính "
                          "(attribute[...]).", field="description")
    return NO_DESCRIPTION


def refuse_nul(fields: dict[str, str]) -> None:
    """A NUL character in any field (name or value) is the spec's 400 naming the field, before anything else."""
    for name, value in fields.items():
        if has_nul(name) or has_nul(value):
            raise IntakeError(f"{shown(name)}: có ký tự NUL (\\x00) không hợp lệ; hãy bỏ ký tự đó rồi gửi lại.",
                              field=shown(name))
