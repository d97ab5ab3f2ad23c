"""``/media/<key>``: a report's photo or video, only to those who may see it; 404 for everyone else.

Files are found by their random storage key, never by a path from the request. Staff of the centre
see every file, an agency only its own reports' files, the public only files marked public of
published reports. A refusal is a 404, like a key that does not exist: it confirms nothing.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request, send_file
from flask_login import current_user
from sqlalchemy import select

from data.core.errors import InvalidInput, NotFound
from data.core.runtime import Runtime
from data.models import Attachment, Report, Role
from data.reports.uploads import is_storage_key, path_for

log = logging.getLogger(__name__)

SEES_ALL_MEDIA = frozenset({Role.OPERATOR, Role.ADMIN, Role.ANALYST, Role.LEADER})
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4", "video/quicktime": "mov",
              "video/webm": "webm", "video/3gpp": "3gp"}


def may_see(attachment: Attachment, report: Report, role: Role | None, agency_id: int | None) -> bool:
    """Who may see a file: the centre's staff, the report's agency, or anyone once it is published."""
    if attachment.public and report.published:
        return True
    if role in SEES_ALL_MEDIA:
        return True
    return role == Role.AGENCY and agency_id is not None and report.agency_id == agency_id


def _viewer() -> tuple[Role | None, int | None]:
    if not current_user.is_authenticated:
        return None, None
    return Role(current_user.role), current_user.agency_id


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy tệp.")


def make_media_blueprint(runtime: Runtime) -> Blueprint:
    """``GET /media/<key>`` (``?thumb=1``: the photo's thumbnail)."""
    bp = Blueprint("media", __name__)

    @bp.get("/media/<key>")
    def media(key: str) -> Response:
        thumb = request.args.get("thumb") == "1"
        if not is_storage_key(key):  # a NUL or a path is no key of ours: not found, before any query
            raise _not_found()
        with runtime.session() as session:
            row = session.execute(select(Attachment, Report).join(Report, Report.id == Attachment.report_id)
                                  .where(Attachment.storage_key == key)).first()
            if row is None or not may_see(row[0], row[1], *_viewer()):
                raise _not_found()
            attachment, report = row
            public = bool(attachment.public and report.published)
            stored = attachment.thumbnail_key if thumb else attachment.storage_key
            content_type = "image/jpeg" if thumb else attachment.content_type
            name = f"{report.tracking_code}-{attachment.id}{'-thumb' if thumb else ''}"
        if stored is None:
            raise _not_found()
        try:
            path = path_for(runtime.settings.upload_dir, stored)
        except InvalidInput:
            raise _not_found() from None
        if not path.is_file():
            log.warning("media: attachment %s has no file at its key", key[:6])
            raise _not_found()
        # A safe name made by us (no user input), with the extension of what is really stored.
        response = send_file(path, mimetype=content_type, conditional=True, as_attachment=False,
                             download_name=f"{name}.{EXTENSIONS.get(content_type, 'bin')}",
                             max_age=3600 if public else 0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "public, max-age=3600" if public else "private, max-age=300"
        response.headers["Vary"] = "Cookie"
        return response

    return bp
