"""The OpenAPI 3.1 description of our Open311 GeoReport v2 API (served at ``/open311/v2/openapi.json``).

Each answer has two schemas: the JSON one, and its XML twin (``<name>Xml``) with the element names
``data.intake.open311.records.to_xml`` writes (``<service_requests><request>…``, wrapped lists such as
``<notes><note>…``, an empty element for a missing value). The XML twins are derived from the JSON
schemas, so the two cannot drift apart. Paths without a suffix answer JSON only.
"""

from __future__ import annotations

from typing import Any

from data.intake.open311.records import DEFAULT_LIMIT, MAX_SPAN_DAYS, XML_ITEM, xml_names

JSON, XML = "application/json", "text/xml"
# None is written as an empty element: a value that may be missing is its type or empty text.
EMPTY_TEXT = {"type": "string", "maxLength": 0, "description": "empty element: no value"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(answer: str) -> dict[str, Any]:
    """An answer's two bodies: ``ANSWERS[answer]`` in JSON, its XML twin in XML."""
    return {JSON: {"schema": ANSWERS[answer][1]}, XML: {"schema": _ref(f"{answer}Xml")}}


def _ok(description: str, answer: str) -> dict[str, Any]:
    return {"description": description, "content": _content(answer)}


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {400: "Dữ liệu không hợp lệ (the field is named in the description)",
               403: "Thiếu hoặc sai api_key", 404: "Không tìm thấy (service_code, request or token)",
               413: "Yêu cầu quá lớn", 422: "Idempotency-Key đã dùng cho một yêu cầu khác",
               503: "Máy chủ đang bận xử lý ảnh: chưa ghi nhận, hãy gửi lại"}
    return {str(c): {"description": meaning[c], "content": _content("Errors")} for c in codes}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


FORMAT = {"name": "format", "in": "path", "required": True, "description": "json (default without suffix) or xml",
          "schema": {"type": "string", "enum": ["json", "xml"]}}
NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Errors": {"type": "array", "items": {
        "type": "object", "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}},
    "Service": {"type": "object", "required": ["service_code", "service_name", "metadata", "type"], "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"}, "description": {"type": "string"},
        "metadata": {"type": "boolean"}, "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": "string", "description": "comma-separated"}, "group": {"type": "string"}}},
    "Attribute": {"type": "object", "required": ["variable", "code", "datatype", "required", "order"], "properties": {
        "variable": {"type": "boolean"}, "code": {"type": "string"},
        "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                                 "multivaluelist"]},
        "required": {"type": "boolean"}, "datatype_description": {"type": "string"}, "order": {"type": "integer"},
        "description": {"type": "string"},
        "values": {"type": "array", "items": {"type": "object", "properties": {
            "key": {"type": "string"}, "name": {"type": "string"}}}}}},
    "ServiceDefinition": {"type": "object", "required": ["service_code", "attributes"], "properties": {
        "service_code": {"type": "string"}, "attributes": {"type": "array", "items": _ref("Attribute")}}},
    "Note": {"type": "object", "properties": {
        "datetime": {"type": "string", "format": "date-time"}, "summary": {"type": "string"},
        "description": {"type": "string"}, "type": {"type": "string"}}},
    "ServiceRequest": {"type": "object", "required": ["service_request_id", "status"], "description":
        "A published request has every field; an unpublished one, asked for by its id, only "
        "service_request_id, status, service_code, service_name, requested_datetime, updated_datetime, "
        "expected_datetime and agency_responsible.", "properties": {
        "service_request_id": {"type": "string", "description": "the tracking code"},
        "status": {"type": "string", "enum": ["open", "closed"]}, "status_notes": {"type": "string"},
        "service_name": {"type": "string"}, "service_code": {"type": "string"}, "description": {"type": "string"},
        "agency_responsible": {"type": "string"}, "service_notice": {"type": "string"},
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": "string", "format": "date-time"},
        "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
        "address": {"type": "string"}, "address_id": {"type": "string"}, "zipcode": {"type": "string"},
        "lat": {"type": ["number", "null"]}, "long": {"type": ["number", "null"]}, "media_url": {"type": "string"},
        "extended_attributes": {"type": "object", "properties": {
            "channel": {"type": "string"}, "status_detail": {"type": "string"}, "urgency": {"type": "string"},
            "photos": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "duplicate_of": {"type": "string"}, "me_too_count": {"type": "integer"}}},
        "notes": {"type": "array", "items": _ref("Note")}}},
    "PostAnswer": {"type": "array", "items": {"type": "object", "required": ["service_request_id"], "properties": {
        "service_request_id": {"type": "string"}, "service_notice": {"type": "string"},
        "account_id": NULLABLE_STRING}}},
    "Token": {"type": "array", "items": {"type": "object", "properties": {
        "service_request_id": {"type": "string"}, "token": {"type": "string"}}}},
    "PostForm": {"type": "object", "required": ["api_key", "service_code"], "properties": {
        "api_key": {"type": "string"}, "service_code": {"type": "string"},
        "lat": {"type": "number"}, "long": {"type": "number"}, "address_string": {"type": "string"},
        "address_id": {"type": "string"}, "email": {"type": "string"}, "device_id": {"type": "string"},
        "account_id": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"},
        "phone": {"type": "string"}, "description": {"type": "string", "maxLength": 4000, "description":
            "optional when attribute values or media are sent, unless the service requires it (then a 400 "
            "naming description)"},
        "media_url": {"type": "string", "format": "uri"},
        "attribute[urgency]": {"type": "string", "enum": ["normal", "emergency"]}}},
    "PostMultipart": {"allOf": [_ref("PostForm"), {"type": "object", "properties": {
        "media": {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                  "description": "photos (JPEG/PNG/WebP/HEIC) and videos (MP4/MOV/WebM)"}}}]},
    "Discovery": {"type": "object", "properties": {
        "changeset": {"type": "string"}, "contact": {"type": "string"}, "key_service": {"type": "string"},
        "endpoints": {"type": "array", "items": {"type": "object", "properties": {
            "specification": {"type": "string"}, "url": {"type": "string", "format": "uri"},
            "changeset": {"type": "string"}, "type": {"type": "string"},
            "formats": {"type": "array", "items": {"type": "string"}}}}}}},
}  # fmt: skip

# Every answer: its kind in ``data.intake.open311.records.xml_names`` (the XML root and item names) and its JSON schema.
ANSWERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Discovery": ("discovery", _ref("Discovery")),
    "Services": ("services", {"type": "array", "items": _ref("Service")}),
    "ServiceDefinition": ("service_definition", _ref("ServiceDefinition")),
    "ServiceRequests": ("requests", {"type": "array", "items": _ref("ServiceRequest")}),
    "PostAnswer": ("requests", _ref("PostAnswer")),
    "Token": ("requests", _ref("Token")),
    "Errors": ("errors", _ref("Errors")),
}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its references replaced by their targets: an XML twin names its own elements."""
    if "$ref" in schema:
        return _inline(SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]])
    out = dict(schema)
    if "items" in out:
        out["items"] = _inline(out["items"])
    if "properties" in out:
        out["properties"] = {name: _inline(p) for name, p in out["properties"].items()}
    return out


def _xml(schema: dict[str, Any], name: str, item: str | None = None) -> dict[str, Any]:
    """An inlined JSON schema as the XML ``to_xml`` writes: named elements, wrapped lists, text values."""
    kind = schema.get("type")
    if kind == "array":
        return schema | {"xml": {"name": name, "wrapped": True},
                         "items": _xml(schema["items"], item or XML_ITEM.get(name, "item"))}
    if kind == "object":
        return schema | {"xml": {"name": name},
                         "properties": {key: _xml(p, key) for key, p in schema.get("properties", {}).items()}}
    if isinstance(kind, list) and "null" in kind:  # None is written as an empty element
        rest = [k for k in kind if k != "null"]
        value = schema | {"type": rest[0] if len(rest) == 1 else rest}
        return {"anyOf": [value, EMPTY_TEXT], "xml": {"name": name}}
    return schema | {"xml": {"name": name}}


def xml_twin(answer: str) -> dict[str, Any]:
    """The XML schema of an answer, derived from its JSON schema."""
    kind, schema = ANSWERS[answer]
    root, item = xml_names(kind)
    return _xml(_inline(schema), root, item)


def _get(summary: str, answer: str, params: list[dict[str, Any]], errors: tuple[int, ...]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params,
                    "responses": {"200": _ok(summary, answer), **_errors(*errors)}}}


def _json_only(op: dict[str, Any]) -> dict[str, Any]:
    """An operation without the ``.{format}`` suffix: it answers JSON only."""
    responses = {code: r | {"content": {JSON: r["content"][JSON]}} for code, r in op["responses"].items()}
    return op | {"responses": responses}


def _both(path: str, item: dict[str, Any]) -> dict[str, Any]:
    """The same operation without the suffix (JSON) and with ``.{format}`` (JSON or XML)."""
    with_format = {method: op | {"parameters": [*op.get("parameters", []), FORMAT],
                                 "operationId": f"{op['operationId']}_format"}
                   for method, op in item.items()}
    return {path: {method: _json_only(op) for method, op in item.items()}, f"{path}.{{format}}": with_format}


def _named(item: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return {method: op | {"operationId": f"{operation_id}_{method}"} for method, op in item.items()}


def openapi_document(base_url: str) -> dict[str, Any]:
    """The document, with our server's address."""
    list_params = [
        _query("service_request_id", "comma-separated ids; overrides every other filter"),
        _query("service_code", "comma-separated service codes"),
        _query("start_date", "W3C datetime; default: 90 days ago", {"type": "string", "format": "date-time"}),
        _query("end_date", f"W3C datetime; at most {MAX_SPAN_DAYS} days after start_date",
               {"type": "string", "format": "date-time"}),
        _query("status", "open, closed or both (comma-separated)"),
        _query("page", "extension: page number from 1", {"type": "integer", "minimum": 1}),
        _query("page_size", f"extension: results per page (default and max {DEFAULT_LIMIT})",
               {"type": "integer", "minimum": 1, "maximum": DEFAULT_LIMIT}),
        _query("jurisdiction_id", "accepted and ignored: this server has one jurisdiction"),
    ]
    requests_item = _named({
        "get": _get("Published service requests, newest first (by service_request_id: unpublished ones too, "
                    "as their minimal record)", "ServiceRequests", list_params, (400,))["get"],
        "post": {
            "summary": "Post a service request (committed before the answer)",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "description": "a retry with the same key returns the first request",
                            "schema": {"type": "string", "maxLength": 150}}],
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": _ref("PostForm")},
                "multipart/form-data": {"schema": _ref("PostMultipart")}}},
            "responses": {"200": _ok("the new request's id", "PostAnswer"),
                          **_errors(400, 403, 404, 413, 422, 503)},
        },
    }, "requests")  # fmt: skip
    paths: dict[str, Any] = {}
    paths |= _both("/discovery", _named(_get("Discovery", "Discovery", [], ()), "discovery"))
    paths |= _both("/services", _named({"get": {"summary": "Service list", "parameters": [], "responses": {
        "200": _ok("services", "Services")}}}, "services"))
    paths |= _both("/services/{service_code}", _named(_get(
        "Service definition", "ServiceDefinition", [_path_param("service_code", "the service code")], (400, 404)),
        "service_definition"))
    paths |= _both("/requests", requests_item)
    paths |= _both("/requests/{service_request_id}", _named({"get": {
        "summary": "One service request (unpublished: its minimal record only)",
        "parameters": [_path_param("service_request_id", "tracking code")],
        "responses": {"200": _ok("a list of one request", "ServiceRequests"),
                      **_errors(404)}}}, "request"))
    paths |= _both("/tokens/{token}", _named(_get(
        "The request id of a token (our token is the tracking code itself)", "Token",
        [_path_param("token", "the token")], (404,)), "token"))
    schemas = SCHEMAS | {f"{answer}Xml": xml_twin(answer) for answer in ANSWERS}
    return {
        "openapi": "3.1.0",
        "info": {"title": "IOC Open311 GeoReport v2", "version": "2.0.0",
                 "description": "Phản ánh hiện trường theo chuẩn Open311 GeoReport v2 "
                                "(http://wiki.open311.org/GeoReport_v2). "
                                "Only published reports are listed. Asked for by its id, an unpublished "
                                "report answers its minimal record (service_request_id, status, service_code, "
                                "service_name, the three datetimes, agency_responsible): never its "
                                "description, address, place or media. "
                                "Reporter names, phones and emails never appear in any answer."},
        "servers": [{"url": f"{base_url.rstrip('/')}/open311/v2"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }  # fmt: skip
