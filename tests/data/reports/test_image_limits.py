"""Photo bombs and photo sizes: a small file of huge dimensions is refused before it is decoded, what is
stored is bounded in size, and the decoding a process does at once is bounded too.

The bomb is a real PNG (12,600 × 12,600 grey pixels, ~150 KB) posted to ``python app.py`` through the
public form and Open311; the app's memory is read from the kernel (its peak RSS, reset before the posts).
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from data.accounts.apikeys import create_api_key
from data.core.errors import IocError
from data.models import Category, Report
from data.reports.uploads import ImageWorkBusy, Limits, MediaFile, check_media, image_slots
from tests.browser import LiveApp, start_app, stop_app
from tests.dbfixtures import open_runtime

BOMB_SIDE = 12_600
PLACE = {"lat": "16.4637", "long": "107.5909"}


def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A valid 8-bit grey PNG of ``side`` × ``side`` black pixels, written row by row (never decoded here)."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte "none", then the pixels
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def photo(size: tuple[int, int], kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format=kind)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Through the running app
# ---------------------------------------------------------------------------------------------


@dataclass
class App:
    live: LiveApp
    api_key: str

    @property
    def pid(self) -> int:
        return self.live.process.pid

    def reports(self) -> int:
        return int(self.live.scalars(select(func.count()).select_from(Report))[0])

    def files(self) -> list[Path]:
        return sorted(p for p in Path(self.live.env["IOC_UPLOAD_DIR"]).rglob("*") if p.is_file())

    def post_form(self, name: str, content: bytes) -> requests.Response:
        page = requests.get(f"{self.live.url}/phan-anh", timeout=30)
        token = re.search(r'name="token"[^>]* value="([^"]+)"', page.text)
        assert token is not None, page.text[:500]
        fields = {"token": token.group(1), "description": "Ảnh hiện trường", "category": "rac-thai",
                  "lat": PLACE["lat"], "lon": PLACE["long"], "consent": "1"}
        return requests.post(f"{self.live.url}/phan-anh", data=fields, files={"media": (name, content)},
                             headers={"Accept": "application/json"}, timeout=120)

    def post_open311(self, name: str, content: bytes) -> requests.Response:
        fields = {"api_key": self.api_key, "service_code": "rac-thai", "description": "Ảnh hiện trường", **PLACE}
        return requests.post(f"{self.live.url}/open311/v2/requests.json", data=fields,
                             files={"media": (name, content)}, timeout=120)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    tmp = tmp_path_factory.mktemp("bomb")
    url = f"sqlite:///{tmp / 'bomb.sqlite3'}"
    live = start_app(tmp, IOC_DATABASE_URL=url, IOC_DEMO="false", IOC_RUN_STREAMS="false",
                     IOC_INTAKE_FORM_RATE_LIMIT="")
    try:
        with open_runtime(url) as runtime, runtime.session() as s:
            s.add(Category(code="rac-thai", name="Rác thải", name_en="Waste"))
            _, key = create_api_key(s, "bomb test")
        yield App(live, key)
    finally:
        stop_app(live)


def _reset_peak(pid: int) -> None:
    """Reset the process's peak RSS (VmHWM) to its current RSS (proc(5), clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


def test_a_pixel_bomb_is_refused_before_it_is_decoded(app: App) -> None:
    bomb = bomb_png()
    assert len(bomb) < 200_000
    # A real photo through each door first: lazy imports and first allocations are not the bomb's.
    assert app.post_form("that.jpg", photo((800, 600))).status_code == 201
    assert app.post_open311("that.jpg", photo((800, 600))).status_code == 200
    reports, files = app.reports(), app.files()

    _reset_peak(app.pid)
    baseline = psutil.Process(app.pid).memory_info().rss / 2**20
    form = app.post_form("bom.png", bomb)
    open311 = app.post_open311("bom.png", bomb)
    growth = _peak_mb(app.pid) - baseline

    assert form.status_code == 400, form.text
    assert form.json()["field"] == "media"
    assert "12600×12600" in form.json()["error"] and "40" in form.json()["error"], form.json()
    assert open311.status_code == 400, open311.text
    [error] = open311.json()
    assert error["code"] == 400 and error["description"].startswith("media:"), error
    assert "12600×12600" in error["description"]
    assert growth < 100, f"the app's memory grew by {growth:.0f} MB for two refused bombs"
    assert (app.reports(), app.files()) == (reports, files)  # nothing stored


# ---------------------------------------------------------------------------------------------
# The checks themselves
# ---------------------------------------------------------------------------------------------


def test_a_large_photo_is_stored_downscaled_and_its_thumbnail_small() -> None:
    limits = Limits.from_mb(5, 10, 50, max_side=1000)
    for kind, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png")):
        [clean] = check_media([MediaFile(f"big.{kind.lower()}", photo((3000, 2000), kind))], limits)
        assert clean.content_type == mime
        with Image.open(io.BytesIO(clean.content)) as stored:
            assert stored.size == (1000, 667), kind
        assert clean.thumbnail is not None
        with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
            assert max(thumb.size) == 320
    [small] = check_media([MediaFile("small.jpg", photo((640, 480)))], limits)  # never enlarged
    with Image.open(io.BytesIO(small.content)) as stored:
        assert stored.size == (640, 480)
    turned = io.BytesIO()  # a phone's portrait shot: landscape pixels, EXIF orientation 6 (turn 90°)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (3000, 2000), (10, 20, 30)).save(turned, format="JPEG", exif=exif.tobytes())
    [portrait] = check_media([MediaFile("doc.jpg", turned.getvalue())], limits)
    with Image.open(io.BytesIO(portrait.content)) as stored:
        assert stored.size == (667, 1000) and not stored.getexif()  # upright, shrunk, no metadata


def test_the_pixel_limit_is_a_setting_and_names_the_file() -> None:
    limits = Limits.from_mb(5, 10, 50, max_megapixels=1.0)
    with pytest.raises(IocError) as refused:
        check_media([MediaFile("rong.jpg", photo((1200, 1000)))], limits)
    assert refused.value.status == 400
    assert "rong.jpg" in refused.value.message and "1200×1000" in refused.value.message
    assert check_media([MediaFile("vua.jpg", photo((1000, 1000)))], limits)  # exactly at the limit


def test_image_work_is_bounded_per_process() -> None:
    """With every slot taken, a photo waits, then is refused with 503 (try again), never decoded."""
    limits = Limits.from_mb(5, 10, 50, image_workers=1, image_wait_s=0.2)
    slots = image_slots(1)
    assert slots.acquire(timeout=60)
    try:
        with pytest.raises(ImageWorkBusy) as busy:
            check_media([MediaFile("cho.jpg", photo((64, 48)))], limits)
        assert busy.value.status == 503
    finally:
        slots.release()
    assert check_media([MediaFile("cho.jpg", photo((64, 48)))], limits)  # the slot is free again
