"""Phản ánh: the public web form at ``/phan-anh`` (Flask + Jinja, so it has file inputs and works without JS).

Every submission goes through ``data.intake.submit``. The form carries one signed token per page load:
it proves the POST came from a form this server rendered (CSRF for an anonymous form) and it is the
submission's idempotency key, so a double click or a retry after a lost connection makes one report.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, jsonify, render_template, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.auth import audit_action
from dashboard.i18n import lang, t
from data.core.errors import InvalidInput, IocError
from data.core.runtime import Runtime
from data.intake.pipeline import Receipt, submit
from data.intake.submission import MAX_DESCRIPTION, IntakeError, Submission
from data.models import Category, Channel
from data.reports.uploads import ImageWorkBusy, MediaFile

log = logging.getLogger(__name__)

TOKEN_SALT = "ioc-report-form"
TOKEN_MAX_AGE_S = 24 * 3600  # a citizen may fill the form slowly, not over days
# The core's field names (Open311's) -> the form's fields, where the message is shown.
FORM_FIELD = {
    "description": "description", "title": "description", "lat": "place", "long": "place",
    "address_string": "address", "phone": "phone", "email": "name", "name": "name", "service_code": "category",
}


@dataclass
class FormInput:
    """What the citizen typed, kept to re-render the form after an error."""

    description: str = ""
    category: str = ""
    lat: str = ""
    lon: str = ""
    address: str = ""
    name: str = ""
    phone: str = ""
    consent: bool = True
    token: str = ""

    @classmethod
    def of(cls, form: Any) -> FormInput:
        return cls(description=form.get("description", ""), category=form.get("category", ""),
                   lat=form.get("lat", ""), lon=form.get("lon", ""), address=form.get("address", ""),
                   name=form.get("name", ""), phone=form.get("phone", ""),
                   consent=form.get("consent") in ("1", "on", "true"), token=form.get("token", ""))


@dataclass
class FormError:
    message: str
    target: str  # the form field it is shown next to, or "form" for the whole form
    status: int = 400
    errors: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The per-load token
# ---------------------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def new_token(secret: str) -> str:
    """A signed random nonce: one per form load."""
    return _serializer(secret).dumps(secrets.token_urlsafe(16))


def token_key(secret: str, token: str) -> str:
    """The idempotency key a valid token stands for; an expired or forged one is refused."""
    try:
        nonce = _serializer(secret).loads(token, max_age=TOKEN_MAX_AGE_S)
    except BadSignature:
        raise IntakeError(t("form.expired"), field="form") from None
    return f"web:{nonce}"


# ---------------------------------------------------------------------------------------------
# From the request to a Submission
# ---------------------------------------------------------------------------------------------


def _coordinate(value: str) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise IntakeError(t("form.bad_place"), field="place") from None
    if not math.isfinite(number):
        raise IntakeError(t("form.bad_place"), field="place")
    return number


def _media(files: list[FileStorage]) -> list[MediaFile]:
    # A file input left empty still sends one part, with no name and no bytes.
    return [MediaFile(f.filename or "", f.read()) for f in files if f.filename]


def submission_of(data: FormInput, files: list[FileStorage], key: str, public_codes: set[str]) -> Submission:
    """The form's fields as a Submission; what the form itself requires is checked here."""
    lat, lon = _coordinate(data.lat), _coordinate(data.lon)
    if (lat is None or lon is None) and not data.address.strip():
        raise IntakeError(t("form.need_place"), field="place")
    if data.category and data.category not in public_codes:
        raise IntakeError(t("form.bad_category"), field="category")
    return Submission(
        channel=Channel.WEB, description=data.description, category_code=data.category or None,
        lat=lat if lon is not None else None, lon=lon if lat is not None else None,
        address=data.address, reporter_name=data.name, reporter_phone=data.phone,
        publish_consent=data.consent, idempotency_key=key, media=_media(files),
    )


def form_error(exc: IocError) -> FormError:
    """Where the core's refusal is shown: a file problem (no field) belongs to the file input."""
    name = getattr(exc, "field", None)
    target = "media" if name is None else FORM_FIELD.get(name, name if name in ("place", "category") else "form")
    return FormError(exc.message, target, exc.status, {target: exc.message})


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _categories(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.session() as session:
        rows = session.execute(select(Category.code, Category.name, Category.name_en)
                               .where(Category.public.is_(True)).order_by(Category.name)).all()
    en = lang() == "en"
    return [(r.code, (r.name_en or r.name) if en else r.name) for r in rows]


# Leaflet's default subdomains: what ``{s}`` in a tile URL becomes (neither map sets others).
TILE_SUBDOMAINS = ("a", "b", "c")


def _hosts(netloc: str) -> list[str]:
    netloc = netloc.rpartition("@")[2]  # a CSP source has no user:password@
    if "{s}" in netloc:
        return [netloc.replace("{s}", s) for s in TILE_SUBDOMAINS]
    if "{" in netloc:  # another placeholder in the host's first label: any host of the domain under it
        first, _, rest = netloc.partition(".")
        return [f"*.{rest}"] if "{" in first and rest and "{" not in rest else []
    return [netloc]


def tile_sources(*tile_urls: str) -> list[str]:
    """The CSP sources a browser fetches these XYZ tile URLs from: their origins, ``{s}`` expanded.

    A relative URL (the built-in ``/tiles/...``) is the app's own origin, already 'self'."""
    sources: list[str] = []
    for url in tile_urls:
        parts = urlsplit(url)
        if parts.netloc and parts.scheme in ("", "http", "https"):
            scheme = f"{parts.scheme}://" if parts.scheme else ""  # //host/...: the page's own scheme
            sources += [scheme + host for host in _hosts(parts.netloc) if scheme + host not in sources]
    return sources


def _content_policy(*tile_urls: str) -> str:
    tiles = " ".join(tile_sources(*tile_urls))
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: {tiles}; connect-src 'self'; media-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def render_form(runtime: Runtime, data: FormInput | None = None, error: FormError | None = None) -> Response:
    """The form page; after an error, with the citizen's input and the message next to its field."""
    settings = runtime.settings
    data = data or FormInput(token=new_token(settings.secret_key))
    if not data.token:
        data.token = new_token(settings.secret_key)
    html = render_template(
        "report_form.html", t=t, lang=lang(), other="en" if lang() == "vi" else "vi", data=data,
        errors=error.errors if error else {}, form_message=error.message if error else "",
        categories=_categories(runtime), max_chars=MAX_DESCRIPTION, settings=settings,
        media_hint=t("form.media_hint").format(files=settings.upload_max_files,
                                               photo=f"{settings.upload_max_photo_mb:g}",
                                               video=f"{settings.upload_max_video_mb:g}"),
        max_request_bytes=int(settings.intake_max_request_mb * 1024 * 1024),
        too_large=t("form.too_large").format(mb=f"{settings.intake_max_request_mb:g}"),
    )
    response = Response(html, status=error.status if error else 200, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _content_policy(settings.map_tile_url)
    response.headers["Cache-Control"] = "no-store"  # each load needs its own token
    return response


def render_done(receipt: Receipt) -> Response:
    html = render_template("report_done.html", t=t, lang=lang(), code=receipt.tracking_code,
                           follow_url=f"/public?code={receipt.tracking_code}")
    return Response(html, status=201 if receipt.created else 200, mimetype="text/html")


def _refused(runtime: Runtime, data: FormInput | None, error: FormError) -> Any:
    if _wants_json():
        body: dict[str, Any] = {"ok": False, "error": error.message, "field": error.target, "status": error.status}
        if data is not None and not data.token:
            body["token"] = new_token(runtime.settings.secret_key)
        return jsonify(body), error.status
    return render_form(runtime, data, error)


# ---------------------------------------------------------------------------------------------
# The blueprint
# ---------------------------------------------------------------------------------------------


def _limiter(runtime: Runtime) -> Limiter:
    """Per-IP limits in Redis when there is one (shared by every worker), else in memory.

    ``swallow_errors``: if Redis is down the form keeps taking reports rather than refusing them.
    """
    settings = runtime.settings
    options: dict[str, str | int] = {"key_prefix": f"{settings.redis_prefix}-limits"} if settings.redis_url else {}
    limiter = Limiter(get_remote_address, storage_uri=settings.redis_url or "memory://", storage_options=options,
                      swallow_errors=True, on_breach=partial(_rate_limited, runtime))
    # The limiter checks every request of the app; only the form's POST has a limit. Saying so up front
    # spares each other request (Open311 posts, Dash callbacks) the limit look-up: ~4 % of a post's CPU.
    limiter.request_filter(lambda: request.endpoint != "report_form.receive")
    return limiter


def _rate_limited(runtime: Runtime, limit: RequestLimit) -> Response:
    audit_action("rate_limited", target="page:/phan-anh", detail={"limit": str(limit.limit)})
    error = FormError(t("form.rate_limited"), "form", 429, {})
    if _wants_json():
        response = jsonify(ok=False, error=error.message, field="form", status=429)
        response.status_code = 429
        return response
    return render_form(runtime, None, error)


def make_report_form_blueprint(runtime: Runtime) -> Blueprint:
    """``/phan-anh`` (form and submit) and its static files under ``/phan-anh/static/``."""
    settings = runtime.settings
    bp = Blueprint("report_form", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/phan-anh/static")

    def show() -> Response:
        return render_form(runtime)

    def receive() -> Any:
        data = FormInput.of(request.form)  # reading the form raises 413 on an oversized body
        try:
            key = token_key(settings.secret_key, data.token)
            with runtime.session() as session:
                codes = set(session.scalars(select(Category.code).where(Category.public.is_(True))))
            receipt = submit(runtime, submission_of(data, request.files.getlist("media"), key, codes))
        except (InvalidInput, ImageWorkBusy) as exc:  # refused, or busy decoding: nothing stored
            error = form_error(exc)
            if error.status == 422:  # this form load already sent a different report
                error = FormError(t("form.reused"), "form", 422)
            if error.target == "form":
                data.token = ""  # expired or used up: the re-rendered form gets a fresh one
            return _refused(runtime, data, error)
        log.info("web form: report %s (%s)", receipt.tracking_code, "new" if receipt.created else "retry")
        if _wants_json():
            return jsonify(ok=True, tracking_code=receipt.tracking_code, created=receipt.created,
                           follow_url=f"/public?code={receipt.tracking_code}"), 201 if receipt.created else 200
        return render_done(receipt)

    if settings.intake_form_rate_limit.strip():
        limiter = _limiter(runtime)
        bp.record_once(lambda state: limiter.init_app(cast(Flask, state.app)))
        receive = limiter.limit(settings.intake_form_rate_limit, methods=["POST"])(receive)

    bp.add_url_rule("/phan-anh", "show", show, methods=["GET"])
    bp.add_url_rule("/phan-anh", "receive", receive, methods=["POST"])

    @bp.errorhandler(RequestEntityTooLarge)
    def _too_large(_: RequestEntityTooLarge) -> Any:
        message = t("form.too_large").format(mb=f"{settings.intake_max_request_mb:g}")
        return _refused(runtime, None, FormError(message, "media", 413, {"media": message}))

    return bp

