"""Photos sent by chat arrive as addresses: a job downloads them after the report is committed.

A webhook must answer within seconds (Facebook retries after 20 s), so the report is committed with
the addresses in ``attributes["pending_media"]`` and ``channels.fetch_media`` fetches them: each
download is size-limited, then checked like any upload (magic bytes, EXIF stripped). A file that
can never be taken (too large, not a photo, gone) is noted in ``attributes["media_problems"]``; a
network failure is retried by the ``channels.fetch_media_pending`` sweep, up to ``MAX_TRIES``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests
from sqlalchemy import func, select

from data.core.errors import InvalidInput
from data.core.jobs import register
from data.core.text import ascii_digits
from data.intake.pipeline import limits_of
from data.models import Attachment, Report, utcnow
from data.reports.uploads import CleanMedia, ImageWorkBusy, Limits, MediaFile, check_media, delete_files, write_file

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

MAX_TRIES = 5
DOWNLOAD_TIMEOUT_S = (5.0, 30.0)  # connect, read
SWEEP_LOOKBACK = timedelta(days=2)  # platform media addresses expire within days anyway


@dataclass(frozen=True)
class Fetched:
    url: str
    media: CleanMedia | None = None
    problem: str | None = None  # final: noted, never tried again
    retry: str | None = None  # passing: tried again by the sweep


def download(url: str, limits: Limits) -> Fetched:
    """Fetch one photo, refusing anything larger than a photo may be, and check its bytes."""
    if urlparse(url).scheme not in ("http", "https"):
        return Fetched(url, problem=f"Địa chỉ ảnh không hợp lệ: {url[:100]}")
    try:
        with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT_S) as response:
            if response.status_code >= 500 or response.status_code == 429:
                return Fetched(url, retry=f"HTTP {response.status_code}")
            if response.status_code != 200:
                return Fetched(url, problem=f"Không tải được ảnh (HTTP {response.status_code}).")
            content = _read_limited(response, limits.max_photo_bytes)
    except requests.RequestException as exc:
        return Fetched(url, retry=str(exc)[:200])
    if content is None:
        return Fetched(url, problem=f"Ảnh vượt giới hạn {limits.max_photo_bytes // (1024 * 1024)} MB.")
    name = urlparse(url).path.rsplit("/", 1)[-1][:100] or "anh.jpg"
    try:
        return Fetched(url, media=check_media([MediaFile(name, content)], limits)[0])
    except InvalidInput as exc:
        return Fetched(url, problem=exc.message)
    except ImageWorkBusy as exc:  # every decoding slot taken: the sweep tries again
        return Fetched(url, retry=exc.message)


def _read_limited(response: requests.Response, limit: int) -> bytes | None:
    declared = response.headers.get("Content-Length")
    if declared and ascii_digits(declared) and int(declared) > limit:
        return None
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@register("channels.fetch_media")
def fetch_media(runtime: Runtime, report_id: int) -> int:
    """The job: download a report's pending photos and attach them."""
    return attach_pending(runtime, report_id)


def attach_pending(runtime: Runtime, report_id: int) -> int:
    """Download a report's pending photos and attach them; returns how many were attached."""
    with runtime.session() as session:
        report = session.get(Report, report_id)
        pending = list((report.attributes or {}).get("pending_media", [])) if report else []
    if not pending:
        return 0
    limits = limits_of(runtime.settings)
    results = {item["url"]: download(item["url"], limits) for item in pending}
    stored = {url: (write_file(runtime.settings.upload_dir, f.media.content),
                    write_file(runtime.settings.upload_dir, f.media.thumbnail) if f.media.thumbnail else None)
              for url, f in results.items() if f.media is not None}
    try:
        return _attach(runtime, report_id, results, stored, limits.max_files)
    except Exception:
        delete_files(runtime.settings.upload_dir, [k for pair in stored.values() for k in pair if k])
        raise


def _attach(runtime: Runtime, report_id: int, results: dict[str, Fetched],
            stored: dict[str, tuple[str, str | None]], max_files: int) -> int:
    """Record the outcome under the report's row lock; a file another pass attached first is dropped."""
    unused: list[str] = []
    attached = 0
    now = utcnow()
    with runtime.session() as session:
        report = session.scalar(select(Report).where(Report.id == report_id).with_for_update())
        assert report is not None
        attributes: dict[str, Any] = dict(report.attributes or {})
        count = session.scalar(select(func.count()).select_from(Attachment).where(Attachment.report_id == report_id))
        files = int(count or 0)
        problems = list(attributes.get("media_problems", []))
        still: list[dict[str, Any]] = []
        for item in attributes.get("pending_media", []):
            found = results.get(item["url"])
            if found is None:  # added by a message after this pass started
                still.append(item)
            elif found.media is not None:
                if item["url"] not in stored:  # the same address sent twice: attached once
                    continue
                key, thumb = stored.pop(item["url"])
                if files >= max_files:
                    unused += [k for k in (key, thumb) if k]
                    problems.append({"url": item["url"], "problem": f"Vượt quá {max_files} tệp cho một phản ánh."})
                    continue
                session.add(Attachment(
                    report_id=report_id, kind=found.media.kind, storage_key=key, thumbnail_key=thumb,
                    content_type=found.media.content_type, size_bytes=len(found.media.content),
                    sha256=found.media.sha256, original_name=found.media.original_name[:300], public=False,
                    created_at=now,
                ))
                files += 1
                attached += 1
            elif found.problem is not None or int(item.get("tries", 0)) + 1 >= MAX_TRIES:
                problems.append({"url": item["url"], "problem": found.problem or f"Không tải được: {found.retry}"})
            else:
                still.append(item | {"tries": int(item.get("tries", 0)) + 1, "last_error": found.retry})
        unused += [k for pair in stored.values() for k in pair if k]  # URLs no longer pending
        attributes.pop("pending_media", None)
        if still:
            attributes["pending_media"] = still
        if problems:
            attributes["media_problems"] = problems
        report.attributes = attributes
    delete_files(runtime.settings.upload_dir, unused)
    if attached:
        runtime.bus.publish("reports", {"id": report_id, "attachments": attached})
    return attached


@register("channels.fetch_media_pending", every_s=60)
def fetch_media_pending(runtime: Runtime, limit: int = 100) -> int:
    """The retry sweep: every report of the last days with photos still to fetch gets another pass."""
    since = utcnow() - SWEEP_LOOKBACK
    with runtime.session() as session:
        ids = list(session.scalars(
            select(Report.id)
            .where(Report.created_at >= since, Report.attributes["pending_media"].is_not(None))
            .order_by(Report.id)
            .limit(limit)
        ))
    attached = 0
    for report_id in ids:
        try:
            attached += attach_pending(runtime, report_id)
        except Exception:  # one report's failure must not stop the others
            log.exception("channels.fetch_media_pending: report %s failed", report_id)
    return attached
