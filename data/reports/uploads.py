"""Photos and videos that come with reports: checked by their bytes, cleaned, stored under random keys.

A file is judged by its content (magic bytes, via ``filetype``), never by its name or the type the
client claims: a ``.exe`` renamed ``.jpg`` is refused. Photos are decoded and re-encoded with Pillow,
which drops EXIF (GPS position, phone model, owner) before anything is stored, so a published photo
cannot reveal where the reporter lives. Files live under ``upload_dir`` at a random, unguessable key
and are only ever served through a view that checks who may see them.

Decoding is where a photo costs memory, so it is bounded three ways: a photo with more pixels than
``Limits.max_pixels`` is refused from its header, before any pixel is decoded (a 150 KB PNG can hold
159 M pixels, 1 GB once decoded, and Pillow's own bomb check only warns below 2 × its limit); a JPEG
far larger than what is stored is decoded at a reduced scale and every photo is shrunk before it is
copied; and a process decodes at most
``image_workers`` photos at once, the others waiting for a slot.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from data.core.errors import InvalidInput, IocError
from data.core.text import without_nul

# iPhones shoot HEIC, and a photo mailed or sent over Open311 arrives as taken: pillow-heif lets Pillow
# decode it; it is stored as JPEG like every photo, so every browser shows it.
register_heif_opener()
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm", "video/3gpp"}
THUMBNAIL_PX = 320
# A backstop only (Pillow refuses above twice this, warns above it): Limits.max_pixels, at most this,
# refuses a photo from its header first.
Image.MAX_IMAGE_PIXELS = 80_000_000


class ImageWorkBusy(IocError):
    """Every decoding slot of this process stayed taken: the photo is refused, nothing is stored."""

    status = 503
    title = "Máy chủ đang bận"


# One set of slots per process, by design: the bound is on this process's memory, whichever runtime
# or thread decodes (keyed by the setting's value only so tests with other settings do not share).
_image_slots: dict[int, threading.BoundedSemaphore] = {}
_image_slots_lock = threading.Lock()


def image_slots(workers: int) -> threading.BoundedSemaphore:
    """This process's photo-decoding slots (``IOC_UPLOAD_IMAGE_WORKERS``)."""
    with _image_slots_lock:
        slots = _image_slots.get(workers)
        if slots is None:
            slots = _image_slots[workers] = threading.BoundedSemaphore(workers)
        return slots


@dataclass(frozen=True)
class MediaFile:
    """A file as received: its bytes and the name the client gave it (kept only for display)."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class CleanMedia:
    """A checked file ready to store: what it really is, its cleaned bytes and a thumbnail."""

    kind: str  # photo | video
    content_type: str
    content: bytes
    thumbnail: bytes | None
    original_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Limits:
    """What a report's files may be (the ``IOC_UPLOAD_*`` settings)."""

    max_files: int
    max_photo_bytes: int
    max_video_bytes: int
    max_pixels: int = 40_000_000
    max_side: int = 4096  # stored photos are downscaled to this on their longer side
    image_workers: int = 2
    image_wait_s: float = 30.0

    @classmethod
    def from_mb(cls, max_files: int, photo_mb: float, video_mb: float, *, max_megapixels: float = 40.0,
                max_side: int = 4096, image_workers: int = 2, image_wait_s: float = 30.0) -> Limits:
        return cls(max_files, int(photo_mb * 1024 * 1024), int(video_mb * 1024 * 1024),
                   int(max_megapixels * 1_000_000), max_side, image_workers, image_wait_s)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _unreadable(name: str, exc: Exception) -> InvalidInput:
    return InvalidInput(f"Ảnh «{name}» bị hỏng hoặc không đọc được ({exc}).")


def _too_many_pixels(name: str, size: tuple[int, int] | None, limit: int) -> InvalidInput:
    found = f"{size[0]}×{size[1]} điểm ảnh ({size[0] * size[1] / 1e6:.1f} triệu)" if size else "quá nhiều điểm ảnh"
    return InvalidInput(f"Ảnh «{name}» có {found}, vượt giới hạn {limit / 1e6:g} triệu điểm ảnh; "
                        "hãy gửi ảnh nhỏ hơn (ảnh điện thoại thường dưới 20 triệu).")


def _opened(content: bytes, name: str, max_pixels: int) -> Image.Image:
    """The photo with only its header read, refused when it has more pixels than ``max_pixels``."""
    try:
        image = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError:
        raise _too_many_pixels(name, None, max_pixels) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise _unreadable(name, exc) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise _too_many_pixels(name, (width, height), max_pixels)
    return image


def _decoded(image: Image.Image, name: str, max_side: int) -> Image.Image:
    """The pixels, upright and at most ``max_side`` on the longer side (the header is already checked)."""
    try:
        # Shrunk in place before anything is copied (a JPEG far larger is even decoded at 1/2..1/8
        # scale); never enlarged. The EXIF orientation survives it, so it is applied after, in place.
        image.thumbnail((max_side, max_side))
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        image.close()
        raise _unreadable(name, exc) from None
    if image.mode not in ("RGB", "RGBA", "L"):
        return image.convert("RGBA" if "transparency" in image.info or "A" in image.getbands() else "RGB")
    return image


def _reencode_photo(content: bytes, content_type: str, name: str, limits: Limits) -> tuple[bytes, bytes]:
    """The photo without metadata (EXIF, GPS, XMP, comments), upright, bounded in size, and its thumbnail."""
    image = _opened(content, name, limits.max_pixels)
    slots = image_slots(limits.image_workers)
    if not slots.acquire(timeout=limits.image_wait_s):
        image.close()
        raise ImageWorkBusy("Máy chủ đang xử lý nhiều ảnh cùng lúc; phản ánh chưa được ghi nhận, vui lòng gửi lại "
                            "sau ít phút.")
    try:
        return _clean(_decoded(image, name, limits.max_side), content_type)
    finally:
        slots.release()


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled to fit a ``side`` × ``side`` box, keeping its proportions."""
    scale = side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _clean(upright: Image.Image, content_type: str) -> tuple[bytes, bytes]:
    """The stored bytes (PNG stays PNG, the rest JPEG) and a JPEG thumbnail."""
    # A new image with the pixels only: nothing of the original's info dict (EXIF, ICC, XMP) survives.
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    upright.close()
    out = io.BytesIO()
    if content_type == "image/png":
        clean.save(out, format="PNG", optimize=True)
    else:  # JPEG, WebP and HEIC are all stored as JPEG: every browser shows it
        clean.convert("RGB").save(out, format="JPEG", quality=88)
    thumb = clean.copy() if max(clean.size) <= THUMBNAIL_PX else clean.resize(
        _fitted(clean.size, THUMBNAIL_PX), Image.Resampling.BICUBIC, reducing_gap=2.0)  # no full-size copy
    thumb = thumb.convert("RGB")
    small = io.BytesIO()
    thumb.save(small, format="JPEG", quality=80)
    return out.getvalue(), small.getvalue()


def check_media(files: list[MediaFile], limits: Limits) -> list[CleanMedia]:
    """Check and clean every file, or raise InvalidInput naming the first bad one (nothing is stored)."""
    if len(files) > limits.max_files:
        raise InvalidInput(f"Chỉ được gửi tối đa {limits.max_files} tệp ảnh/video; đã gửi {len(files)}.")
    cleaned = []
    for media in files:
        name = without_nul(media.filename) or "tệp không tên"  # only shown, never a path
        if not media.content:
            raise InvalidInput(f"Tệp «{name}» rỗng.")
        kind = filetype.guess(media.content)
        mime = kind.mime if kind else None
        if mime in PHOTO_TYPES:
            if len(media.content) > limits.max_photo_bytes:
                raise InvalidInput(
                    f"Ảnh «{name}» nặng {_mb(len(media.content))}, vượt giới hạn {_mb(limits.max_photo_bytes)}."
                )
            content, thumb = _reencode_photo(media.content, mime, name, limits)
            stored_type = "image/png" if mime == "image/png" else "image/jpeg"
            cleaned.append(CleanMedia("photo", stored_type, content, thumb, name))
        elif mime in VIDEO_TYPES:
            if len(media.content) > limits.max_video_bytes:
                raise InvalidInput(
                    f"Video «{name}» nặng {_mb(len(media.content))}, vượt giới hạn {_mb(limits.max_video_bytes)}."
                )
            # Videos are kept as sent and never published (their metadata may hold a position).
            cleaned.append(CleanMedia("video", mime, media.content, None, name))
        else:
            what = f"loại {mime}" if mime else "không phải ảnh hay video"
            raise InvalidInput(
                f"Tệp «{name}» {what}: chỉ nhận ảnh JPEG/PNG/WebP/HEIC và video MP4/MOV/WebM."
            )
    return cleaned


# What new_key makes (URL-safe base64), with room for longer keys: anything else is no key of ours.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


def new_key() -> str:
    """A random storage key: 192 bits, so no one can guess another report's files."""
    return secrets.token_urlsafe(24)


def is_storage_key(value: str) -> bool:
    """Whether ``value`` could be a key ``new_key`` made (checked before it reaches a query)."""
    return KEY_PATTERN.fullmatch(value) is not None


def path_for(root: Path, key: str) -> Path:
    """Where a key's file lives: two levels of fan-out keep directories small."""
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise InvalidInput("Khoá tệp không hợp lệ.")
    return root / key[:2] / key[2:4] / key


def write_file(root: Path, content: bytes) -> str:
    """Store bytes at a new key (written to a temporary name, then renamed: never half a file)."""
    key = new_key()
    path = path_for(root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(path)
    return key


def delete_files(root: Path, keys: list[str]) -> None:
    """Remove stored files (after a transaction that would have referenced them failed)."""
    for key in keys:
        path_for(root, key).unlink(missing_ok=True)
