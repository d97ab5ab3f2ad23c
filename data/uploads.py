"""Photos and videos that come with reports: checked by their bytes, cleaned, stored under random keys.

A file is judged by its content (magic bytes, via ``filetype``), never by its name or the type the
client claims: a ``.exe`` renamed ``.jpg`` is refused. Photos are decoded and re-encoded with Pillow,
which drops EXIF (GPS position, phone model, owner) before anything is stored, so a published photo
cannot reveal where the reporter lives. Files live under ``upload_dir`` at a random, unguessable key
and are only ever served through a view that checks who may see them.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from data.errors import InvalidInput

# iPhones shoot HEIC, and a photo mailed or sent over Open311 arrives as taken: pillow-heif lets Pillow
# decode it; it is stored as JPEG like every photo, so every browser shows it.
register_heif_opener()
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm", "video/3gpp"}
THUMBNAIL_PX = 320
# Decoding a crafted "decompression bomb" could take gigabytes; no phone photo has more pixels.
Image.MAX_IMAGE_PIXELS = 80_000_000


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
    max_files: int
    max_photo_bytes: int
    max_video_bytes: int

    @classmethod
    def from_mb(cls, max_files: int, photo_mb: float, video_mb: float) -> Limits:
        return cls(max_files, int(photo_mb * 1024 * 1024), int(video_mb * 1024 * 1024))


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _reencode_photo(content: bytes, content_type: str, name: str) -> tuple[bytes, bytes]:
    """The photo without metadata (EXIF, GPS, XMP, comments), upright, and its JPEG thumbnail."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"Ảnh «{name}» bị hỏng hoặc không đọc được ({exc}).") from None
    if upright.mode not in ("RGB", "RGBA", "L"):
        upright = upright.convert("RGBA" if "transparency" in upright.info or "A" in upright.getbands() else "RGB")
    # A new image from the pixels only: nothing of the original's info dict (EXIF, ICC, XMP) survives.
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    if content_type == "image/png":
        clean.save(out, format="PNG", optimize=True)
    else:  # JPEG, WebP and HEIC are all stored as JPEG: every browser shows it
        clean.convert("RGB").save(out, format="JPEG", quality=88)
    thumb = clean.convert("RGB")
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    small = io.BytesIO()
    thumb.save(small, format="JPEG", quality=80)
    return out.getvalue(), small.getvalue()


def check_media(files: list[MediaFile], limits: Limits) -> list[CleanMedia]:
    """Check and clean every file, or raise InvalidInput naming the first bad one (nothing is stored)."""
    if len(files) > limits.max_files:
        raise InvalidInput(f"Chỉ được gửi tối đa {limits.max_files} tệp ảnh/video; đã gửi {len(files)}.")
    cleaned = []
    for media in files:
        name = media.filename or "tệp không tên"
        if not media.content:
            raise InvalidInput(f"Tệp «{name}» rỗng.")
        kind = filetype.guess(media.content)
        mime = kind.mime if kind else None
        if mime in PHOTO_TYPES:
            if len(media.content) > limits.max_photo_bytes:
                raise InvalidInput(
                    f"Ảnh «{name}» nặng {_mb(len(media.content))}, vượt giới hạn {_mb(limits.max_photo_bytes)}."
                )
            content, thumb = _reencode_photo(media.content, mime, name)
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


def new_key() -> str:
    """A random storage key: 192 bits, so no one can guess another report's files."""
    return secrets.token_urlsafe(24)


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
