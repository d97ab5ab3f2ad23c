"""The durable intake path every channel shares: checked, committed, retried once, processed, never lost."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from data.core.bus import drain
from data.core.runtime import Runtime
from data.core.settings import PROJECT_ROOT
from data.intake import IntakeError, Submission, submit
from data.intake.pipeline import clear_places_cache
from data.intake.processing import process_pending, process_report
from data.models import (
    AdminUnit,
    Agency,
    Attachment,
    Category,
    Channel,
    Outbox,
    Report,
    ReportEvent,
    RoutingRule,
    utcnow,
)
from data.reports.uploads import Limits, MediaFile, check_media, path_for
from tests.conftest import REDIS_URL
from tests.dbfixtures import fresh_pg_database, open_runtime

# A box around Huế's centre; the tests' ward.
WARD = {"type": "Polygon", "coordinates": [[[107.55, 16.44], [107.62, 16.44], [107.62, 16.49], [107.55, 16.49],
                                             [107.55, 16.44]]]}
INSIDE = (16.4698, 107.5786)


@pytest.fixture(params=["sqlite", "postgres"])
def rt(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime with its own upload directory (to count files) and a ward, a category and its agency."""
    clear_places_cache()
    uploads = tmp_path / "uploads"
    if request.param == "sqlite":
        with open_runtime(f"sqlite:///{tmp_path / 'intake.sqlite3'}", upload_dir=uploads) as runtime:
            _seed(runtime)
            yield runtime
    else:
        with fresh_pg_database() as url, open_runtime(url, upload_dir=uploads) as runtime:
            _seed(runtime)
            yield runtime


def _seed(runtime: Runtime) -> None:
    with runtime.session() as s:
        city = Agency(code="do-thi", name="Phòng Quản lý đô thị")
        lights = Agency(code="chieu-sang", name="Công ty Chiếu sáng")
        s.add_all([city, lights])
        s.flush()
        ward = AdminUnit(level="ward", code="W1", name="Phường Phú Hội", boundary=WARD,
                         bbox=[107.55, 16.44, 107.62, 16.49])
        s.add(ward)
        s.flush()
        cat = Category(code="chieu-sang", name="Chiếu sáng", name_en="Street lights", default_agency_id=city.id,
                       keywords=["đèn đường", "chiếu sáng", "bóng đèn"], sla_working_days=3)
        s.add(cat)
        s.flush()
        s.add(RoutingRule(category_id=cat.id, admin_unit_id=ward.id, agency_id=lights.id, priority=50))


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    gps = {1: "N", 2: (16.0, 28.0, 11.0), 3: "E", 4: (107.0, 34.0, 43.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _count(runtime: Runtime, model: type) -> int:
    with runtime.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_report_is_committed_with_clean_photos_and_its_first_event(rt: Runtime) -> None:
    sub = rt.bus.subscribe("reports")
    photo = _jpeg_with_gps()
    assert b"SecretPhoneMaker" in photo
    receipt = submit(rt, Submission(
        channel=Channel.WEB, description="Đèn đường trước số 12 Lê Lợi bị hỏng", lat=INSIDE[0], lon=INSIDE[1],
        reporter_name="Trần Thị Bình", reporter_phone="0905 123 456", media=[MediaFile("den.jpg", photo)],
    ))
    assert receipt.created and receipt.status == "received"
    assert receipt.tracking_code.startswith(f"HUE-{utcnow().year}-") and len(receipt.tracking_code) == 16
    with rt.session() as s:
        report = s.get(Report, receipt.report_id)
        assert report is not None
        assert (report.reporter_phone, report.admin_unit_id is not None) == ("0905123456", True)
        assert report.search_text == "den duong truoc so 12 le loi bi hong"
        files = s.scalars(select(Attachment).where(Attachment.report_id == report.id)).all()
        assert len(files) == 1 and files[0].content_type == "image/jpeg" and files[0].thumbnail_key
        stored = path_for(rt.settings.upload_dir, files[0].storage_key).read_bytes()
        events = s.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id)).all()
    assert b"SecretPhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif() and image.size == (120, 80)
    assert events[0].action == "created"
    messages = [m for m in drain(sub, timeout=2) if m.get("tracking_code")]
    assert messages and messages[0]["id"] == receipt.report_id


def test_an_iphone_heic_photo_is_kept_as_jpeg_without_its_position() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x8825] = {1: "N", 2: (16.0, 28.0, 11.0), 3: "E", 4: (107.0, 34.0, 43.0)}
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (20, 160, 40)).save(out, format="HEIF", exif=exif.tobytes())
    with Image.open(io.BytesIO(out.getvalue())) as original:
        assert 0x8825 in original.getexif()  # the phone's position is really in the file sent
    [clean] = check_media([MediaFile("IMG_0042.HEIC", out.getvalue())], Limits.from_mb(5, 10, 50))
    assert (clean.kind, clean.content_type) == ("photo", "image/jpeg")
    with Image.open(io.BytesIO(clean.content)) as image:
        assert image.format == "JPEG" and image.size == (96, 64) and not image.getexif()
        assert abs(image.getpixel((48, 32))[1] - 160) < 12  # the picture itself survives
    assert b"SecretPhoneMaker" not in clean.content and clean.thumbnail


def _bad_cases() -> list[tuple[str, Submission, str]]:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    big = io.BytesIO()
    Image.effect_noise((3000, 3000), 80).convert("RGB").save(big, format="PNG")  # noise: ~9 MB, > 1 MB limit
    ok = {"channel": Channel.WEB, "lat": INSIDE[0], "lon": INSIDE[1]}
    return [
        ("description", Submission(description="x" * 4001, **ok), "4001"),
        ("description", Submission(description="   ", **ok), "trống"),
        ("lat", Submission(channel=Channel.WEB, description="Ngập", lat=21.03, lon=105.85), "ngoài địa bàn"),
        ("service_code", Submission(description="Ngập", category_code="khong-co", **ok), "khong-co"),
        ("phone", Submission(description="Ngập", reporter_phone="12", **ok), "không hợp lệ"),
        ("media", Submission(description="Ngập", media=[MediaFile("anh.jpg", _jpeg_with_gps()),
                                                         MediaFile("virus.jpg", exe)], **ok), "virus.jpg"),
        ("media", Submission(description="Ngập", media=[MediaFile("to.png", big.getvalue())], **ok), "vượt giới hạn"),
    ]


def test_refused_submissions_leave_nothing_behind(rt: Runtime) -> None:
    rt.settings.upload_max_photo_mb = 1.0
    for field, submission, words in _bad_cases():
        with pytest.raises(IntakeError if field != "media" else Exception) as caught:
            submit(rt, submission)
        assert words in str(caught.value), (field, str(caught.value))
        if isinstance(caught.value, IntakeError):
            assert caught.value.field == field
    assert _count(rt, Report) == 0 and _count(rt, Attachment) == 0 and _count(rt, ReportEvent) == 0
    assert _files(rt.settings.upload_dir) == []


def test_a_retry_returns_the_first_report_and_a_reused_key_is_refused(rt: Runtime) -> None:
    def attempt(text: str = "Cây đổ chắn đường") -> Submission:
        return Submission(channel=Channel.OPEN311, description=text, lat=INSIDE[0], lon=INSIDE[1],
                          idempotency_key="client-42", media=[MediaFile("cay.jpg", _jpeg_with_gps())])

    first = submit(rt, attempt())
    again = submit(rt, attempt())
    assert (again.report_id, again.tracking_code, again.created) == (first.report_id, first.tracking_code, False)
    with pytest.raises(IntakeError) as reused:
        submit(rt, attempt("Một phản ánh khác hẳn"))
    assert reused.value.status == 422
    assert _count(rt, Report) == 1 and _count(rt, Attachment) == 1
    assert len(_files(rt.settings.upload_dir)) == 2  # the photo and its thumbnail, once


def test_simultaneous_retries_make_one_report(rt: Runtime) -> None:
    receipts: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            receipts.append(submit(rt, Submission(channel=Channel.ZALO, description="Rác thải ùn ứ",
                                                  external_id="msg-7", lat=INSIDE[0], lon=INSIDE[1],
                                                  media=[MediaFile("rac.jpg", _jpeg_with_gps())])).report_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(set(receipts)) == 1 and len(receipts) == 6
    assert _count(rt, Report) == 1 and _count(rt, Attachment) == 1
    assert len(_files(rt.settings.upload_dir)) == 2  # the losers' files were removed


def test_processing_classifies_routes_and_sets_the_deadline_once(rt: Runtime) -> None:
    receipt = submit(rt, Submission(channel=Channel.HOTLINE, description="Bóng đèn chiếu sáng ở kiệt 5 bị tắt",
                                    lat=INSIDE[0], lon=INSIDE[1], reporter_phone="0914000111"))
    process_report(rt, receipt.report_id)
    assert process_report(rt, receipt.report_id) is False  # done already: nothing twice
    with rt.session() as s:
        report = s.get(Report, receipt.report_id)
        assert report is not None
        lights = s.scalar(select(Agency.id).where(Agency.code == "chieu-sang"))
        category = s.scalar(select(Category.id).where(Category.code == "chieu-sang"))
        assert (report.category_id, report.agency_id) == (category, lights)  # the ward's rule beat the default
        assert report.expected_at is not None and report.expected_at > report.created_at
        assert report.processed_at is not None and report.classification_confidence
        processed = s.scalars(select(ReportEvent.action).where(ReportEvent.report_id == report.id)).all()
    assert processed.count("processed") == 1


def test_a_reply_with_the_tracking_code_is_queued_in_the_same_transaction(rt: Runtime) -> None:
    receipt = submit(rt, Submission(channel=Channel.ZALO, description="Nước ngập sâu", reply_to="zalo-user-1",
                                    external_id="zmsg-1", lat=INSIDE[0], lon=INSIDE[1]))
    with rt.session() as s:
        outbox = s.scalars(select(Outbox)).all()
    assert [(o.channel, o.recipient, o.report_id) for o in outbox] == [("zalo", "zalo-user-1", receipt.report_id)]
    assert receipt.tracking_code in outbox[0].body


@pytest.mark.integration  # runs and kills a worker process on the real Redis
def test_a_killed_worker_loses_no_report(tmp_path: Path) -> None:
    """The worker's sweep processes new reports; it is SIGKILLed mid-way; the next sweep finishes the rest."""
    prefix = f"ioc-intake-{uuid.uuid4().hex[:6]}"
    with fresh_pg_database() as url, open_runtime(url, redis_url=REDIS_URL, redis_prefix=prefix,
                                                  upload_dir=tmp_path / "up", demo=False) as runtime:
        _seed(runtime)
        ids = [submit(runtime, Submission(channel=Channel.WEB, description=f"Đèn đường hỏng số {i}",
                                          lat=INSIDE[0], lon=INSIDE[1])).report_id for i in range(60)]
        env = os.environ | {"IOC_DATABASE_URL": url, "IOC_REDIS_URL": REDIS_URL, "IOC_REDIS_PREFIX": prefix,
                            "IOC_DEMO": "false", "IOC_SECRET_KEY": "test-secret-key-0123456789"}
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-m", "data.worker"], cwd=PROJECT_ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

        def processed() -> int:
            with runtime.session() as s:
                return int(s.scalar(select(func.count()).where(Report.processed_at.is_not(None))) or 0)

        deadline = time.monotonic() + 60
        while processed() < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work-horse, mid-queue
        worker.wait()
        log.close()
        done_at_kill = processed()
        assert 5 <= done_at_kill < len(ids), (tmp_path / "worker.log").read_text()[-2000:]
        process_pending(runtime)  # what the next worker's sweep does
        with runtime.session() as s:
            left = s.scalar(select(func.count()).where(Report.processed_at.is_(None)))
            per_report = s.execute(
                select(ReportEvent.report_id, func.count()).where(ReportEvent.action == "processed")
                .group_by(ReportEvent.report_id)
            ).all()
        runtime.redis.delete(*runtime.redis.keys(f"{prefix}*")) if runtime.redis and runtime.redis.keys(
            f"{prefix}*") else None
    assert left == 0
    assert sorted(r for r, _ in per_report) == sorted(ids) and {n for _, n in per_report} == {1}
