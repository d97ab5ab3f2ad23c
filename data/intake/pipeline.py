"""``submit``: one durable path for every channel. Checked, committed, then processed in the background.

Order matters for "nothing accepted is lost, nothing half-written remains":
1. everything that can be refused is checked first (text, place, category, every file's bytes);
2. files are written under fresh random keys;
3. the report, its attachments, its first history event and the reply to the citizen are committed
   in ONE transaction; if it fails, the files just written are removed;
4. only then is processing queued. If the queue is down or a worker dies, the report is still
   committed with ``processed_at`` empty, and the ``reports.process_pending`` sweep picks it up.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Executable, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.core.text import fold
from data.geo import postgis
from data.geo.boundaries import unit_shapes
from data.geo.geometry import UnitShape, locate
from data.intake.submission import IntakeError, Submission, validate
from data.models import Attachment, Category, Channel, Outbox, Report, ReportEvent, ReportStatus, utcnow
from data.reports.uploads import CleanMedia, Limits, check_media, delete_files, write_file

if TYPE_CHECKING:
    from data.core.runtime import Runtime
    from data.core.settings import Settings

log = logging.getLogger(__name__)

# No 0/O or 1/I/L: citizens read tracking codes over the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 7  # 31**7 ≈ 27 billion: unguessable enough to let the code holder follow the report


@dataclass(frozen=True)
class Receipt:
    report_id: int
    tracking_code: str
    created: bool  # False: a retry of an earlier submission, which is returned instead
    status: str
    created_at: datetime


def new_tracking_code(city_code: str, year: int) -> str:
    return f"{city_code}-{year}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# ---------------------------------------------------------------------------------------------
# Where the report is
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """The city's units as ``locate`` needs them, finest level first, and the box they cover."""

    levels: tuple[tuple[UnitShape, ...], ...]
    bbox: tuple[float, float, float, float] | None
    # The schema of PostGIS's functions when reports are located in the database (IOC_POSTGIS), else None.
    postgis: str | None = None


_places_cache: dict[str, tuple[float, Places]] = {}
_places_lock = threading.Lock()
PLACES_TTL_S = 300.0  # boundaries change a few times a year; a new import shows within 5 minutes


def load_places(session: Session, cache_key: str, postgis_mode: str = "off") -> Places:
    """Ward, district and province shapes, cached per database for a few minutes; with PostGIS in use
    (``IOC_POSTGIS``, ``data.geo.postgis``) single reports are located there."""
    cache_key = f"{cache_key}|{postgis_mode}"
    now = time.monotonic()
    with _places_lock:
        hit = _places_cache.get(cache_key)
        if hit and now - hit[0] < PLACES_TTL_S:
            return hit[1]
    levels = tuple(tuple(unit_shapes(session, level)) for level in ("ward", "district", "province"))
    boxes = [s.bbox for level in levels for s in level]
    bbox = (
        (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        if boxes
        else None
    )
    conn = session.connection()
    places = Places(levels, bbox, postgis.shapes_schema(conn) if postgis.in_use(conn, postgis_mode) else None)
    with _places_lock:
        _places_cache[cache_key] = (now, places)
    return places


def clear_places_cache() -> None:
    with _places_lock:
        _places_cache.clear()
    _category_cache.clear()


def place_of(session: Session, settings: Settings, lat: float, lon: float) -> int | None:
    """The finest admin unit holding the point; outside the city is refused, naming the city's box."""
    places = load_places(session, settings.database_url, settings.postgis)
    box = settings.intake_bbox or places.bbox
    if box is not None:
        min_lon, min_lat, max_lon, max_lat = box
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            raise IntakeError(
                f"Vị trí ({lat:.5f}, {lon:.5f}) nằm ngoài địa bàn thành phố "
                f"(vĩ độ {min_lat:.3f}–{max_lat:.3f}, kinh độ {min_lon:.3f}–{max_lon:.3f}).",
                field="lat",
            )
    for level in places.levels:
        if places.postgis and level:
            unit = postgis.locate(session.connection(), lat, lon, [u.id for u in level], ext=places.postgis)
        else:
            unit = locate(lat, lon, level)
        if unit is not None:
            return unit
    if places.bbox is not None and settings.intake_bbox is None:
        # Inside the box but in no unit: the box of an irregular city holds sea and neighbours.
        raise IntakeError(f"Vị trí ({lat:.5f}, {lon:.5f}) nằm ngoài địa bàn thành phố.", field="lat")
    return None


# ---------------------------------------------------------------------------------------------
# Submit
# ---------------------------------------------------------------------------------------------


def limits_of(settings: Settings) -> Limits:
    return Limits.from_mb(settings.upload_max_files, settings.upload_max_photo_mb, settings.upload_max_video_mb,
                          max_megapixels=settings.upload_max_photo_megapixels,
                          max_side=settings.upload_photo_max_side_px, image_workers=settings.upload_image_workers,
                          image_wait_s=settings.upload_image_wait_s)


def _existing(session: Session, key: str, fingerprint: str) -> Receipt | None:
    report = session.scalar(select(Report).where(Report.idempotency_key == key))
    if report is None:
        return None
    if (report.attributes or {}).get("_fingerprint") not in (None, fingerprint):
        raise IntakeError(
            "Khoá Idempotency-Key này đã dùng cho một phản ánh khác; hãy dùng khoá mới cho phản ánh mới.",
            field="Idempotency-Key",
            status=422,
        )
    return Receipt(report.id, report.tracking_code, False, str(report.status), report.created_at)


# Category codes never change meaning; caching them saves a query per report (Open311 bench: hot path).
_category_cache: dict[tuple[str, str, bool], tuple[float, int]] = {}
CATEGORY_TTL_S = 60.0


# Channels where the citizen names the category: only the public ones (Open311's services, the form's
# list) may be named there; internal categories are for operators, the hotline and imports.
CITIZEN_CHOSEN = frozenset({Channel.OPEN311, Channel.WEB, Channel.APP})


def _category_id(session: Session, code: str | None, cache_key: str = "", public_only: bool = False) -> int | None:
    if code is None:
        return None
    now = time.monotonic()
    hit = _category_cache.get((cache_key, code, public_only))
    if hit is not None and now - hit[0] < CATEGORY_TTL_S:
        return hit[1]
    query = select(Category.id).where(Category.code == code)
    found = session.scalar(query.where(Category.public.is_(True)) if public_only else query)
    if found is None:
        raise IntakeError(f"Không có lĩnh vực (service_code) «{code}».", field="service_code", status=404)
    if len(_category_cache) > 10_000:
        _category_cache.clear()
    _category_cache[(cache_key, code, public_only)] = (now, found)
    return found


def _report_row(sub: Submission, key: str | None, category_id: int | None, unit_id: int | None,
                code: str, now: datetime) -> dict[str, Any]:
    attributes: dict[str, Any] = dict(sub.attributes)
    if key:
        attributes["_fingerprint"] = sub.fingerprint()
    if sub.reply_to:
        attributes["sender_id"] = sub.reply_to
    return {
        "tracking_code": code,
        "channel": str(sub.channel),
        "external_id": sub.external_id,
        "idempotency_key": key,
        "category_id": category_id,
        "admin_unit_id": unit_id,
        "status": ReportStatus.RECEIVED.value,
        "urgency": sub.urgency,
        "title": sub.title,
        "description": sub.description,
        "search_text": fold(f"{sub.title or ''} {sub.description}"),
        "lat": sub.lat,
        "lon": sub.lon,
        "address": sub.address,
        "reporter_name": sub.reporter_name,
        "reporter_phone": sub.reporter_phone,
        "reporter_email": sub.reporter_email,
        "publish_consent": sub.publish_consent,
        "attributes": attributes or None,
        "created_at": sub.created_at or now,
        "updated_at": now,
        "is_demo": sub.is_demo,
    }


def _store_files(settings: Settings, media: list[CleanMedia]) -> list[tuple[CleanMedia, str, str | None]]:
    stored: list[tuple[CleanMedia, str, str | None]] = []
    try:
        for item in media:
            key = write_file(settings.upload_dir, item.content)
            thumb = write_file(settings.upload_dir, item.thumbnail) if item.thumbnail else None
            stored.append((item, key, thumb))
    except OSError:
        delete_files(settings.upload_dir, [k for _, key, t in stored for k in (key, t) if k])
        raise
    return stored


def submit(runtime: Runtime, sub: Submission) -> Receipt:
    """Accept one report: validate, store files, commit, queue processing. Retries return the first."""
    settings = runtime.settings
    validate(sub)
    key = sub.dedup_key()
    fingerprint = sub.fingerprint() if key else ""
    # No look-up of the key first: retries are rare, and the unique index answers them at the insert
    # (the hot path, e.g. 500 Open311 posts a second, saves a round trip).
    media = check_media(sub.media, limits_of(settings))
    with runtime.session() as session:
        category_id = _category_id(session, sub.category_code, settings.database_url,
                                   public_only=sub.channel in CITIZEN_CHOSEN)
        unit_id = (place_of(session, settings, sub.lat, sub.lon) if sub.lat is not None and sub.lon is not None
                   else sub.admin_unit_id)
    stored = _store_files(settings, media)
    now = utcnow()
    try:
        receipt = _commit(runtime, sub, key, category_id, unit_id, stored, now)
    except IntegrityError:
        delete_files(settings.upload_dir, [k for _, key_, t in stored for k in (key_, t) if k])
        if key:  # the same retry raced us and won: answer with its report
            with runtime.session() as session:
                earlier = _existing(session, key, fingerprint)
            if earlier:
                return earlier
        raise
    except Exception:
        delete_files(settings.upload_dir, [k for _, key_, t in stored for k in (key_, t) if k])
        raise
    _after_commit(runtime, receipt, sub)
    return receipt


def _commit(runtime: Runtime, sub: Submission, key: str | None, category_id: int | None,
            unit_id: int | None, stored: list[tuple[CleanMedia, str, str | None]], now: datetime) -> Receipt:
    """One transaction of Core inserts (the ORM's unit of work doubled the cost of a report)."""
    year = (sub.created_at or now).year
    base_url = runtime.settings.public_base_url
    reply = _reply_to(sub)
    # A report with no files and no reply is ONE statement on PostgreSQL (report + event in a CTE),
    # atomic by itself: sent in autocommit it costs one round trip instead of three (BEGIN, INSERT,
    # COMMIT). That is most Open311 traffic.
    single = runtime.engine.dialect.name == "postgresql" and not stored and reply is None
    for attempt in range(5):
        code = new_tracking_code(runtime.settings.city_code, year)
        row = _report_row(sub, key, category_id, unit_id, code, now)
        try:
            with _transaction(runtime, autocommit=single) as conn:
                event = {"at": now, "user_id": sub.user_id, "action": "created", "to_status": row["status"],
                         "data": {"channel": str(sub.channel), "files": len(stored)}}
                report_id = _insert_report(conn, row, event)
                if stored:
                    conn.execute(insert(Attachment), [
                        {"report_id": report_id, "kind": item.kind, "storage_key": storage_key,
                         "thumbnail_key": thumb, "content_type": item.content_type,
                         "size_bytes": len(item.content), "sha256": item.sha256,
                         "original_name": item.original_name[:300], "public": False, "created_at": now}
                        for item, storage_key, thumb in stored
                    ])
                if reply is not None:
                    conn.execute(insert(Outbox), {"channel": reply[0], "recipient": reply[1], "report_id": report_id,
                                                  "body": receipt_message(code, base_url)})
            return Receipt(report_id, code, True, row["status"], row["created_at"])
        except IntegrityError as exc:
            # A tracking-code collision (1 in billions) is retried; an idempotency clash is the caller's.
            if "tracking_code" not in str(exc.orig) or attempt == 4:
                raise
    raise AssertionError("unreachable")


# Built once per column set: building an INSERT of 22 values and its cache key anew cost ~2 ms of CPU
# per report, more than PostgreSQL spends storing it (bench/open311_post.py).
_insert_statements: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Executable] = {}


def _report_insert(dialect: str, row_keys: tuple[str, ...], event_keys: tuple[str, ...]) -> Executable:
    key = (dialect, row_keys, event_keys)
    statement = _insert_statements.get(key)
    if statement is not None:
        return statement
    reports, events = Report.__table__.c, ReportEvent.__table__.c
    if dialect == "postgresql":
        # Report and "created" event in one statement (a data-modifying CTE): one round trip per report.
        new = insert(Report).values({k: bindparam(k, type_=reports[k].type) for k in row_keys}).returning(
            Report.id).cte("new_report")
        values = [bindparam(f"event_{k}", type_=events[k].type) for k in event_keys]
        statement = insert(ReportEvent).from_select(["report_id", *event_keys], select(new.c.id, *values)).returning(
            ReportEvent.report_id)
    else:
        statement = insert(Report).values({k: bindparam(k, type_=reports[k].type) for k in row_keys}).returning(
            Report.id)
    _insert_statements[key] = statement
    return statement


@contextmanager
def _transaction(runtime: Runtime, *, autocommit: bool) -> Iterator[Connection]:
    if not autocommit:
        with runtime.engine.begin() as conn:
            yield conn
        return
    with runtime.engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def _insert_report(conn: Connection, row: dict[str, Any], event: dict[str, Any]) -> int:
    """Insert the report and its "created" event; on PostgreSQL in one statement, elsewhere in two."""
    dialect = conn.dialect.name
    statement = _report_insert(dialect, tuple(row), tuple(event))
    if dialect == "postgresql":
        params = {**row, **{f"event_{k}": v for k, v in event.items()}}
        return int(conn.execute(statement, params).scalar_one())
    report_id = int(conn.execute(statement, row).scalar_one())
    conn.execute(insert(ReportEvent), {"report_id": report_id, **event})
    return report_id


def _reply_to(sub: Submission) -> tuple[str, str] | None:
    """Where the tracking code goes back: the chat the report came from, or the sender's mailbox.

    Only chat adapters fill ``reply_to`` (their sender's id), so it alone says "answer in this chat":
    a new chat channel needs no line here."""
    if sub.reply_to:
        return str(sub.channel), sub.reply_to
    if sub.reporter_email and sub.channel == "email":
        return "email", sub.reporter_email
    return None


def receipt_message(code: str, base_url: str) -> str:
    return (
        f"Cảm ơn bạn đã phản ánh. Mã theo dõi: {code}. "
        f"Tra cứu kết quả tại {base_url.rstrip('/')}/public?code={code}"
    )


def _after_commit(runtime: Runtime, receipt: Receipt, sub: Submission) -> None:
    """Start processing and tell the screens; a failure here loses nothing (the sweep processes it).

    In embedded mode a thread processes the report at once. Over Redis, the ``reports.process_pending``
    sweep (every few seconds) processes new reports in batches: an RQ job per report cost a fifth of
    the CPU of an Open311 post, and a sweep is needed anyway for reports a crash left behind.
    """
    if runtime.settings.embedded:
        try:
            runtime.jobs.enqueue("reports.process", report_id=receipt.report_id)
        except Exception:
            log.exception("could not start processing of report %s; the sweep will", receipt.report_id)
    try:
        runtime.bus.publish("reports", {"id": receipt.report_id, "tracking_code": receipt.tracking_code,
                                        "channel": str(sub.channel), "lat": sub.lat, "lon": sub.lon})
    except Exception:
        log.exception("could not announce report %s", receipt.report_id)
