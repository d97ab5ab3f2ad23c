"""The public web form (/phan-anh) and the media view (/media/<key>) over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
import requests
from PIL import Image
from PIL.ExifTags import IFD
from sqlalchemy import func, select, update
from werkzeug.serving import make_server

from app import create_server
from dashboard.report_form import _content_policy, tile_sources
from data.accounts.users import create_user
from data.core.runtime import Runtime
from data.models import AdminUnit, Agency, Attachment, Category, Report, Role
from tests.dbfixtures import fresh_pg_database, open_runtime
from tests.logins import session_login

PASSWORD = "mat-khau-thu-nghiem-1"
# One ward around central Huế: the city, for "outside the city".
WARD = {"type": "Polygon", "coordinates": [[[107.55, 16.42], [107.65, 16.42], [107.65, 16.50],
                                             [107.55, 16.50], [107.55, 16.42]]]}
INSIDE = (16.4637, 107.5909)


@contextmanager
def serve(runtime: Runtime) -> Iterator[str]:
    """The app's Flask server on a free port, in a thread: real HTTP, real multipart parsing."""
    httpd = make_server("127.0.0.1", 0, create_server(runtime.settings, runtime), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def seed(runtime: Runtime) -> tuple[int, int]:
    """Two public categories and one internal, a ward, two agencies and a user per role."""
    with runtime.session() as s:
        s.add_all([Category(code="duong-pho", name="Giao thông, đường phố", name_en="Roads"),
                   Category(code="rac-thai", name="Rác thải", name_en="Rubbish"),
                   Category(code="noi-bo", name="Nội bộ", name_en="Internal", public=False)])
        s.add(AdminUnit(level="ward", code="W1", name="Phường Thuận Hoá", boundary=WARD,
                        bbox=[107.55, 16.42, 107.65, 16.50]))
        a, b = Agency(code="A", name="Đơn vị A"), Agency(code="B", name="Đơn vị B")
        s.add_all([a, b])
        s.flush()
        create_user(s, "vanhanh", PASSWORD, Role.OPERATOR)
        create_user(s, "donvi-a", PASSWORD, Role.AGENCY, agency_id=a.id)
        create_user(s, "donvi-b", PASSWORD, Role.AGENCY, agency_id=b.id)
        return a.id, b.id


@dataclass
class Live:
    url: str
    runtime: Runtime
    upload_dir: Path
    agency_a: int

    def files(self) -> set[Path]:
        return {p for p in self.upload_dir.rglob("*") if p.is_file()}

    def reports(self) -> int:
        with self.runtime.session() as s:
            return int(s.scalar(select(func.count(Report.id))) or 0)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("form")
    uploads = tmp / "uploads"
    options = {"upload_dir": uploads, "intake_form_rate_limit": "1000/minute"}
    with _database(request.param, tmp) as url, open_runtime(url, **options) as runtime:
        agency_a, _ = seed(runtime)
        with serve(runtime) as base:
            yield Live(base, runtime, uploads, agency_a)


@contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'form.sqlite3'}"
        return
    with fresh_pg_database() as url:
        yield url


# ---------------------------------------------------------------------------------------------
# Files made here: a JPEG carrying a GPS position, a real one-second MP4
# ---------------------------------------------------------------------------------------------


def jpeg_with_gps(colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    image = Image.new("RGB", (96, 64), colour)
    exif = image.getexif()
    exif[0x010F] = "DienThoaiCuaToi"  # Make
    exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (16.0, 27.0, 49.0), 3: "E", 4: (107.0, 35.0, 27.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(IFD.GPSInfo), "the test photo must carry GPS"
    return data


def tiny_mp4() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def token_of(live: Live) -> str:
    page = requests.get(f"{live.url}/phan-anh", timeout=10)
    match = re.search(r'name="token" id="rf-token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def fields(live: Live, **values: str) -> dict[str, str]:
    base = {"token": token_of(live), "description": "Ổ gà lớn giữa đường Lê Lợi, xe máy dễ ngã.",
            "category": "duong-pho", "lat": str(INSIDE[0]), "lon": str(INSIDE[1]), "consent": "1"}
    return base | values


def post(live: Live, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
         json: bool = True) -> requests.Response:
    headers = {"Accept": "application/json"} if json else {}
    return requests.post(f"{live.url}/phan-anh", data=data, files=files or [], headers=headers, timeout=60)


# ---------------------------------------------------------------------------------------------
# The form
# ---------------------------------------------------------------------------------------------


def test_form_page_is_vietnamese_offline_and_lists_public_categories(live: Live) -> None:
    page = requests.get(f"{live.url}/phan-anh", timeout=10)
    assert page.status_code == 200
    html = page.text
    assert '<html lang="vi">' in html and "Gửi phản ánh hiện trường" in html
    assert "Dùng vị trí của tôi" in html and "Tôi đồng ý công khai nội dung phản ánh" in html
    assert "Giao thông, đường phố" in html and "Rác thải" in html and "Nội bộ" not in html
    # The city may be offline: every script and stylesheet comes from the app itself.
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?!/)', html) == []
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for path in ("/phan-anh/static/vendor/leaflet/leaflet.js", "/phan-anh/static/report_form.js",
                 "/phan-anh/static/vendor/leaflet/leaflet.css", "/vendor/bootstrap5/css/bootstrap.min.css"):
        assert requests.get(f"{live.url}{path}", timeout=10).status_code == 200, path
    english = requests.get(f"{live.url}/phan-anh", cookies={"lang": "en"}, timeout=10).text
    assert "Report a problem in the city" in english and "Roads" in english


def test_the_content_policy_lets_the_map_load_its_configured_tiles() -> None:
    assert tile_sources("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == ["https://tile.openstreetmap.org"]
    assert tile_sources("https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}.png") == [
        "https://a.basemaps.cartocdn.com", "https://b.basemaps.cartocdn.com", "https://c.basemaps.cartocdn.com"]
    assert tile_sources("http://10.0.0.5:8080/{z}/{x}/{y}.png", "//tiles.hue.gov.vn/{z}/{x}/{y}.png") == [
        "http://10.0.0.5:8080", "tiles.hue.gov.vn"]
    assert tile_sources("https://{r}.tiles.vn/{z}/{x}/{y}.png") == ["https://*.tiles.vn"]
    assert tile_sources("/tiles/{z}/{x}/{y}.png") == []  # the app's own: 'self' already
    policy = _content_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in policy


def test_photos_and_video_are_committed_and_the_photo_loses_its_gps(live: Live) -> None:
    photo = jpeg_with_gps()
    files = [("media", ("anh1.jpg", photo, "image/jpeg")),
             ("media", ("anh2.jpg", jpeg_with_gps((30, 120, 200)), "image/jpeg")),
             ("media", ("clip.mp4", tiny_mp4(), "video/mp4"))]
    answer = post(live, fields(live, name="Nguyễn Văn A", phone="0905 123 456"), files)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["ok"] is True and body["created"] is True
    assert re.fullmatch(r"HUE-\d{4}-[2-9A-Z]{7}", body["tracking_code"])
    assert body["follow_url"] == f"/public?code={body['tracking_code']}"
    with live.runtime.session() as s:
        report = s.scalar(select(Report).where(Report.tracking_code == body["tracking_code"]))
        assert report is not None
        assert (report.channel, report.reporter_name, report.reporter_phone) == ("web", "Nguyễn Văn A", "0905123456")
        assert report.publish_consent is True and report.admin_unit_id is not None
        attachments = sorted((a.kind, a.content_type, a.storage_key) for a in report.attachments)
    assert [a[:2] for a in attachments] == [("photo", "image/jpeg"), ("photo", "image/jpeg"), ("video", "video/mp4")]
    stored = (live.upload_dir / attachments[0][2][:2] / attachments[0][2][2:4] / attachments[0][2]).read_bytes()
    assert stored != photo
    assert not Image.open(io.BytesIO(stored)).getexif(), "EXIF (and its GPS) must be gone"
    assert b"Exif" not in stored and b"DienThoaiCuaToi" not in stored


def test_the_same_token_twice_makes_one_report(live: Live) -> None:
    data = fields(live, description="Đèn đường hỏng trước số 12 Hùng Vương.")
    before = live.reports()
    first = post(live, data, [("media", ("a.jpg", jpeg_with_gps(), "image/jpeg"))])
    again = post(live, data, [("media", ("a.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    assert again.json()["created"] is False
    assert live.reports() == before + 1


def test_without_javascript_a_plain_post_shows_the_tracking_code(live: Live) -> None:
    answer = post(live, fields(live), json=False)
    assert answer.status_code == 201
    code = re.search(r'id="rf-code">([^<]+)<', answer.text)
    assert code and f'href="/public?code={code.group(1)}"' in answer.text
    assert "Đã nhận phản ánh của bạn" in answer.text


# ---------------------------------------------------------------------------------------------
# Bad input: a Vietnamese message next to the field, nothing half-written
# ---------------------------------------------------------------------------------------------


def test_a_4001_character_description_is_refused_and_kept(live: Live) -> None:
    before_reports, before_files = live.reports(), live.files()
    text = "Nước ngập sâu. " * 266 + "x" * 11
    assert len(text) == 4001
    answer = post(live, fields(live, description=text), [("media", ("a.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert answer.status_code == 400
    assert answer.json()["field"] == "description"
    assert "4001 ký tự, vượt giới hạn 4000" in answer.json()["error"]
    page = post(live, fields(live, description=text, name="Trần Thị B"), json=False)
    assert page.status_code == 400
    assert re.search(r'id="rf-err-description" role="alert">[^<]*vượt giới hạn 4000', page.text)
    assert "Nước ngập sâu. Nước ngập sâu." in page.text and 'value="Trần Thị B"' in page.text
    assert live.reports() == before_reports and live.files() == before_files


def test_an_internal_category_cannot_be_chosen_from_the_form(live: Live) -> None:
    """The form lists public categories only; a hand-made post naming an internal one is refused."""
    before = live.reports()
    answer = post(live, fields(live, category="noi-bo"))
    assert answer.status_code == 400 and answer.json()["field"] == "category"
    assert live.reports() == before


def test_a_place_outside_the_city_is_refused_naming_it(live: Live) -> None:
    before = live.reports()
    answer = post(live, fields(live, lat="21.0278", lon="105.8342"))  # Hà Nội
    assert answer.status_code == 400
    assert answer.json()["field"] == "place"
    assert "(21.02780, 105.83420) nằm ngoài địa bàn thành phố" in answer.json()["error"]
    no_place = post(live, fields(live, lat="", lon=""))
    assert no_place.status_code == 400 and no_place.json()["field"] == "place"
    assert live.reports() == before


def test_an_exe_renamed_jpg_is_refused_and_nothing_is_stored(live: Live) -> None:
    before_reports, before_files = live.reports(), live.files()
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 400
    files = [("media", ("anh-dep.jpg", jpeg_with_gps(), "image/jpeg")),
             ("media", ("virus.jpg", exe, "image/jpeg"))]
    answer = post(live, fields(live), files)
    assert answer.status_code == 400
    assert answer.json()["field"] == "media"
    assert "virus.jpg" in answer.json()["error"] and "chỉ nhận ảnh JPEG/PNG/WebP/HEIC" in answer.json()["error"]
    assert live.reports() == before_reports and live.files() == before_files


def test_a_50_mb_upload_gets_413_in_vietnamese_and_nothing_is_stored(live: Live) -> None:
    before_reports, before_files = live.reports(), live.files()
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024)
    answer = post(live, fields(live), [("media", ("to.jpg", big, "image/jpeg"))])
    assert answer.status_code == 413
    assert answer.json()["field"] == "media"
    assert "Tệp quá lớn" in answer.json()["error"] and "40 MB" in answer.json()["error"]
    page = post(live, fields(live), [("media", ("to.jpg", big, "image/jpeg"))], json=False)
    assert page.status_code == 413 and "Tệp quá lớn" in page.text and "Request Entity Too Large" not in page.text
    assert live.reports() == before_reports and live.files() == before_files


def test_a_forged_token_is_refused_and_a_fresh_one_given(live: Live) -> None:
    before = live.reports()
    answer = post(live, fields(live, token="gia-mao.abc.def"))
    assert answer.status_code == 400
    assert answer.json()["field"] == "form" and "hết hạn" in answer.json()["error"]
    assert answer.json()["token"]
    assert post(live, fields(live, token=answer.json()["token"])).status_code == 201
    assert live.reports() == before + 1


def test_a_reused_token_with_other_content_is_refused(live: Live) -> None:
    data = fields(live)
    assert post(live, data).status_code == 201
    other = post(live, data | {"description": "Một phản ánh khác hẳn."})
    assert other.status_code == 422 and other.json()["field"] == "form" and other.json()["token"]


@pytest.mark.parametrize("store", ["memory", pytest.param("redis", marks=pytest.mark.integration)])
def test_the_form_is_rate_limited_per_ip(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'limit.sqlite3'}"
    shared: dict[str, object] = {}
    if store == "redis":  # several web workers share the count through Redis
        shared = {"redis_url": request.getfixturevalue("redis_url"),
                  "redis_prefix": request.getfixturevalue("redis_prefix")}
    with open_runtime(url, upload_dir=tmp_path / "up", intake_form_rate_limit="2/minute", **shared) as runtime:
        seed(runtime)
        with serve(runtime) as base:
            live = Live(base, runtime, tmp_path / "up", 0)
            codes = [post(live, fields(live, description=f"Phản ánh số {i}")).status_code for i in range(3)]
            assert codes == [201, 201, 429]
            refused = post(live, fields(live), json=False)
            assert refused.status_code == 429 and "quá nhiều phản ánh" in refused.text
            assert requests.get(f"{base}/phan-anh", timeout=10).status_code == 200  # reading is not limited


# ---------------------------------------------------------------------------------------------
# /media/<key>
# ---------------------------------------------------------------------------------------------


def _logged_in(live: Live, username: str) -> requests.Session:
    session = requests.Session()
    answer = session_login(session, live.url, username, PASSWORD)
    assert answer.status_code == 302, answer.text
    return session


def test_media_is_served_only_to_who_may_see_it(live: Live) -> None:
    files = [("media", ("a.jpg", jpeg_with_gps(), "image/jpeg")), ("media", ("v.mp4", tiny_mp4(), "video/mp4"))]
    code = post(live, fields(live), files).json()["tracking_code"]
    with live.runtime.session() as s:
        report = s.scalar(select(Report).where(Report.tracking_code == code))
        assert report is not None
        report.agency_id = live.agency_a
        keys = {a.kind: a.storage_key for a in report.attachments}
        report_id = report.id
    photo, video = f"{live.url}/media/{keys['photo']}", f"{live.url}/media/{keys['video']}"
    anonymous, operator = requests.Session(), _logged_in(live, "vanhanh")
    agency_a, agency_b = _logged_in(live, "donvi-a"), _logged_in(live, "donvi-b")

    # Not published: the centre and the report's agency only; everyone else a 404, as for no file at all.
    assert anonymous.get(photo, timeout=10).status_code == 404
    assert agency_b.get(photo, timeout=10).status_code == 404
    seen = operator.get(photo, timeout=10)
    assert seen.status_code == 200 and seen.headers["Content-Type"] == "image/jpeg"
    assert seen.headers["X-Content-Type-Options"] == "nosniff"
    assert seen.headers["Content-Disposition"] == f"inline; filename={code}-{_id(live, keys['photo'])}.jpg"
    assert seen.headers["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(seen.content)).size == (96, 64)
    assert agency_a.get(photo, timeout=10).status_code == 200
    assert agency_a.get(video, timeout=10).headers["Content-Type"] == "video/mp4"
    thumb = operator.get(f"{photo}?thumb=1", timeout=10)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert operator.get(f"{video}?thumb=1", timeout=10).status_code == 404  # videos have no thumbnail

    # Published with the photo marked public: anyone sees the photo, still nobody the video.
    with live.runtime.session() as s:
        s.execute(update(Report).where(Report.id == report_id).values(published=True))
        s.execute(update(Attachment).where(Attachment.storage_key == keys["photo"]).values(public=True))
    public = anonymous.get(photo, timeout=10)
    assert public.status_code == 200 and public.headers["Cache-Control"].startswith("public")
    assert agency_b.get(photo, timeout=10).status_code == 200
    assert anonymous.get(video, timeout=10).status_code == 404
    assert agency_b.get(video, timeout=10).status_code == 404

    for bad in ("khong-co-khoa-nay", "..%2F..%2Fetc%2Fpasswd", ".hidden"):
        assert operator.get(f"{live.url}/media/{bad}", timeout=10).status_code == 404, bad


def _id(live: Live, key: str) -> int:
    with live.runtime.session() as s:
        found = s.scalar(select(Attachment.id).where(Attachment.storage_key == key))
        assert found is not None
        return found
