"""The XML twins of the JSON answers, with the element names of the spec's examples."""

from __future__ import annotations

from typing import Any

import xmltodict

# XML: a JSON list under this key becomes repeated child elements of this name.
XML_ITEM = {
    "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
    "photos": "photo", "notes": "note",
}  # fmt: skip


def _xml_value(value: Any, key: str = "") -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _xml_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        item = XML_ITEM.get(key, "item")
        return {item: [_xml_value(v, item) for v in value]} if value else None
    return str(value)


def to_xml(root: str, item: str | None, payload: Any) -> str:
    """The spec's XML: ``<services><service>…`` for a list, ``<root>…`` for one object."""
    body: Any = {item: [_xml_value(v) for v in payload]} if item is not None else _xml_value(payload)
    text: str = xmltodict.unparse({root: body or None}, encoding="utf-8", pretty=False)
    return text


def xml_names(kind: str) -> tuple[str, str | None]:
    """The root and item element names of each answer, as the spec's examples write them."""
    return {
        "services": ("services", "service"),
        "service_definition": ("service_definition", None),
        "requests": ("service_requests", "request"),
        "errors": ("errors", "error"),
        "discovery": ("discovery", None),
    }[kind]
