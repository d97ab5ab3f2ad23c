"""The Open311 GeoReport v2 API at ``/open311/v2`` (no login; posting needs an API key).

Every answer exists as ``.json`` (the default) and ``.xml``; every error, including a body too large
and an unknown path, is the spec's ``[{"code": 400, "description": "..."}]`` with that HTTP status.
Reports are posted through the one intake path (``data.intake.submit``), which commits before we
answer, so ``service_request_id`` (the tracking code) is returned at once; see ``data/intake/open311/records.py``
for what the public may read.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from data.accounts.apikeys import ApiKeyCache
from data.alerts import public_warnings
from data.core.errors import IocError
from data.core.runtime import Runtime
from data.core.settings import Settings
from data.intake.open311 import records as open311
from data.intake.open311.openapi import openapi_document
from data.intake.pipeline import submit
from data.intake.submission import IntakeError, Submission
from data.models import Channel, utcnow
from data.reports.uploads import MediaFile

log = logging.getLogger(__name__)

FORMATS = ("json", "xml")
MAX_FIELD = 1000  # any single form field (description is checked, at 4000 chars, by the intake core)
HTTP_MESSAGES = {
    404: "Không có địa chỉ API này (xem /open311/v2/discovery.json).",
    405: "Phương thức HTTP không được hỗ trợ ở địa chỉ này.",
}


def _split(name: str) -> tuple[str, str]:
    """``abc.xml`` → (``abc``, ``xml``); no known suffix → JSON."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in FORMATS:
        return stem, suffix
    return name, "json"


def _format_of_path() -> str:
    return _split(request.path.rstrip("/").rsplit("/", 1)[-1])[1]


def _answer(kind: str, payload: Any, fmt: str, status: int = 200) -> Response:
    if fmt == "xml":
        root, item = open311.xml_names(kind)
        return Response(open311.to_xml(root, item, payload), status=status, mimetype="text/xml")
    response = jsonify(payload)
    response.status_code = status
    return response


def _error(status: int, description: str) -> Response:
    return _answer("errors", open311.errors(status, description), _format_of_path(), status)


def _described(exc: IocError) -> str:
    """The message, naming the field at fault when the message does not already."""
    field = getattr(exc, "field", None) or ("media" if "Tệp" in exc.message or "Ảnh" in exc.message else None)
    if field and field not in exc.message:
        return f"{field}: {exc.message}"
    return exc.message


def _number(form: dict[str, str], name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise IntakeError(f"{name} «{raw[:40]}» không phải là số.", field=name) from None
    if not math.isfinite(value):
        raise IntakeError(f"{name} «{raw[:40]}» không phải là số hữu hạn.", field=name)
    return value


def _form() -> dict[str, str]:
    """The form fields (one value each), every one but ``description`` bounded in length."""
    form = {key: request.form.get(key, "") for key in request.form}
    open311.refuse_nul(form)
    for key, value in form.items():
        if key != "description" and len(value) > MAX_FIELD:
            raise IntakeError(f"{key}: dài quá {MAX_FIELD} ký tự.", field=key)
    return form


def _attributes(form: dict[str, str]) -> dict[str, str]:
    """``attribute[code]=value`` fields as {code: value}."""
    return {
        key[len("attribute["):-1]: value.strip() for key, value in form.items()
        if key.startswith("attribute[") and key.endswith("]")
    }  # fmt: skip


def _submission(form: dict[str, str], api_key_id: int) -> Submission:
    """The spec's POST fields → our Submission (the reporter's identity goes to the sealed fields)."""
    service_code = (form.get("service_code") or "").strip()
    if not service_code:
        raise IntakeError("Thiếu service_code (lĩnh vực phản ánh).", field="service_code")
    lat, lon = _number(form, "lat"), _number(form, "long")
    address = (form.get("address_string") or "").strip() or None
    address_id = (form.get("address_id") or "").strip() or None
    if lat is None and lon is None and address is None and address_id is None:
        raise IntakeError("Cần vị trí: lat và long, hoặc address_string, hoặc address_id.", field="lat")
    urgency, attributes = open311.attributes_from_form(_attributes(form))
    extras: dict[str, Any] = {"api_key_id": api_key_id, "open311_attributes": attributes}
    for name in ("address_id", "device_id", "account_id", "media_url"):
        if form.get(name):
            extras[name] = form[name].strip()
    if extras.get("media_url") and not str(extras["media_url"]).startswith(("http://", "https://")):
        raise IntakeError("media_url phải là địa chỉ http:// hoặc https://.", field="media_url")
    name = " ".join(p for p in ((form.get("first_name") or "").strip(), (form.get("last_name") or "").strip()) if p)
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > 150:
        raise IntakeError("Idempotency-Key dài quá 150 ký tự.", field="Idempotency-Key")
    media = [MediaFile(f.filename or "", f.read()) for f in request.files.getlist("media")]
    return Submission(
        channel=Channel.OPEN311, description=form.get("description") or "", category_code=service_code,
        lat=lat, lon=lon, address=address or address_id, reporter_name=name or None,
        reporter_phone=form.get("phone") or None, reporter_email=form.get("email") or None, urgency=urgency,
        idempotency_key=f"open311:{api_key_id}:{key}" if key else None, attributes=extras, media=media,
    )  # fmt: skip


def _fill_description(runtime: Runtime, sub: Submission, form: dict[str, str]) -> None:
    """A post without ``description``: a placeholder when attributes or media say it, else the spec's 400."""
    described = bool(_attributes(form) or form.get("media_url") or sub.media)
    with runtime.session() as session:
        category = open311.public_category(session, sub.category_code or "")
        sub.description = open311.description_for(category, described)
    sub.attributes["placeholder_description"] = True


NOTICE_TTL_S = 30.0  # a warning shows in Open311 answers within 30 s; the POST hot path stays query-free


class WarningsNotice:
    """The public warnings in force, appended to the service notice (views are counted on /public)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._at, self._text = -NOTICE_TTL_S, ""

    def text(self) -> str:
        now = time.monotonic()
        if now - self._at >= NOTICE_TTL_S:
            with self._runtime.session() as session:
                self._text = "".join(f" Cảnh báo: {w.title}." for w in public_warnings.in_force(session))
            self._at = now
        return self._text


def make_open311_blueprint(runtime: Runtime) -> Blueprint:
    """Discovery, services, service definitions, requests (read and post) and tokens."""
    bp = Blueprint("open311", __name__)
    _guard(bp, runtime.settings)
    _add_reads(bp, runtime)
    _add_posts(bp, runtime)

    @bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown(rest: str) -> Response:
        return _error(404, HTTP_MESSAGES[404])

    return bp


def _guard(bp: Blueprint, settings: Settings) -> None:
    """The body's size limit, NUL refusal, and every error in the spec's format."""
    max_bytes = int(settings.intake_max_request_mb * 1024 * 1024)

    @bp.before_request
    def _limit_body() -> Response | None:
        # Werkzeug also enforces it while a chunked body streams in (no Content-Length to check).
        request.max_content_length = max_bytes
        if request.content_length is not None and request.content_length > max_bytes:
            raise RequestEntityTooLarge()
        return None

    @bp.before_request
    def _refuse_nul() -> None:
        # The path (a service code, an id, a token) and the query string; the form is checked in _form,
        # once the body's limit is set.
        open311.refuse_nul({"path": request.path, **request.args.to_dict()})

    @bp.errorhandler(IocError)
    def _ioc_error(exc: IocError) -> Response:
        return _error(exc.status, _described(exc))

    @bp.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        return _error(413, f"Yêu cầu quá lớn: tối đa {settings.intake_max_request_mb:g} MB cho cả ảnh và video "
                           f"(ảnh ≤ {settings.upload_max_photo_mb:g} MB, video ≤ {settings.upload_max_video_mb:g} MB).")

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        return _error(status, HTTP_MESSAGES.get(status, exc.description or exc.name))

    @bp.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        log.exception("open311 %s %s failed", request.method, request.path)
        return _error(500, "Lỗi máy chủ; phản ánh chưa được ghi nhận nếu chưa nhận được mã. Vui lòng thử lại.")


def _add_reads(bp: Blueprint, runtime: Runtime) -> None:
    """Discovery, services and their definitions, requests and tokens, and the OpenAPI document."""
    settings = runtime.settings
    started = utcnow()

    @bp.get("/discovery")
    @bp.get("/discovery.<any(json,xml):fmt>")
    def discovery(fmt: str = "json") -> Response:
        contact = f"Trung tâm IOC ({settings.public_base_url.rstrip('/')})"
        return _answer("discovery", open311.discovery(settings.public_base_url, started, settings.tz, contact), fmt)

    @bp.get("/services")
    @bp.get("/services.<any(json,xml):fmt>")
    def services(fmt: str = "json") -> Response:
        with runtime.session() as session:
            rows = [open311.service_entry(c, group) for c, group in open311.public_categories(session)]
        return _answer("services", rows, fmt)

    @bp.get("/services/<name>")
    def service_definition(name: str) -> Response:
        code, fmt = _split(name)
        with runtime.session() as session:
            body = open311.service_definition(open311.public_category(session, code))
        return _answer("service_definition", body, fmt)

    @bp.get("/requests")
    @bp.get("/requests.<any(json,xml):fmt>")
    def requests_list(fmt: str = "json") -> Response:
        query = open311.parse_query(request.args.to_dict(), settings.tz, utcnow())
        with runtime.session() as session:
            reports = open311.find_requests(session, query)
            rows = open311.request_records(session, reports, settings.tz, settings.public_base_url)
        return _answer("requests", rows, fmt)

    @bp.get("/requests/<name>")
    def request_one(name: str) -> Response:
        code, fmt = _split(name)
        with runtime.session() as session:
            report = open311.find_request(session, code)
            rows = open311.request_records(session, [report], settings.tz, settings.public_base_url)
        return _answer("requests", rows, fmt)

    @bp.get("/tokens/<name>")
    def token(name: str) -> Response:
        token, fmt = _split(name)
        with runtime.session() as session:
            code = open311.find_token(session, token)
        return _answer("requests", [{"service_request_id": code, "token": token}], fmt)

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document(settings.public_base_url))


def _add_posts(bp: Blueprint, runtime: Runtime) -> None:
    """``POST requests``: a report through the one intake path, answered once it is committed."""
    api_keys = ApiKeyCache()
    notice = WarningsNotice(runtime)

    @bp.post("/requests")
    @bp.post("/requests.<any(json,xml):fmt>")
    def requests_post(fmt: str = "json") -> Response:
        form = _form()
        with runtime.session() as session:  # no query at all while the key is cached
            key_id = api_keys.check(session, form.get("api_key") or request.args.get("api_key"))
        if key_id is None:
            return _error(403, "api_key: thiếu hoặc sai khoá API (xin khoá từ quản trị viên hệ thống).")
        sub = _submission(form, key_id)
        if not sub.description.strip():
            _fill_description(runtime, sub, form)
        receipt = submit(runtime, sub)
        text = (f"Đã tiếp nhận phản ánh, mã theo dõi {receipt.tracking_code}. "
                "Phản ánh hiện công khai sau khi được kiểm duyệt.") + notice.text()
        return _answer("requests", open311.post_answer(receipt.tracking_code, text, form.get("account_id")), fmt)
