"""Inline thumbnails of a job's images (photo-generation candidates, avatar previews), made once and kept.

The process that finishes a job makes a small JPEG beside each image (`<name>.thumb.jpg`, in the attempt folder,
so it moves into place with the image); check_job then only reads it. Images finished before thumbnails were kept
get theirs on first use. Encoded answers are remembered per file version, so a repeated check_job costs a stat.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from avatar_mcp.models import JobResult

logger = logging.getLogger(__name__)

THUMBNAIL_PX = 256
MAX_INLINE_IMAGE_BYTES = 400_000
SUFFIX = ".thumb.jpg"
_CACHE_SIZE = 256

_cache: OrderedDict[tuple[str, int, int], tuple[str, str]] = OrderedDict()
_cache_lock = threading.Lock()


def thumbnail_path(image: Path) -> Path:
    return image.with_name(image.stem + SUFFIX)


def encode(image: Path) -> bytes | None:
    """A small JPEG of `image`; None without Pillow or when the image cannot be read."""
    try:
        from PIL import Image
    except ImportError:
        return None
    from avatar_mcp.media import MAX_IMAGE_PIXELS, decode_slot

    try:
        with Image.open(image) as opened, decode_slot():
            if opened.width * opened.height > MAX_IMAGE_PIXELS:  # a vendor's image is not decoded past the cap
                return None
            small = opened.convert("RGB")
            small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buf = io.BytesIO()
            small.save(buf, format="JPEG", quality=80)
    except (OSError, ValueError):
        logger.info("could not make a thumbnail of %s", image)
        return None
    return buf.getvalue()


def keep(image: Path) -> Path | None:
    """Make `image`'s thumbnail beside it (written under a temporary name, then renamed); its path, or None."""
    data = encode(image)
    if data is None:
        return None
    target = thumbnail_path(image)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError:  # a read-only folder (the bundled portraits): the thumbnail lives in memory only
        partial.unlink(missing_ok=True)
        return None
    return target


def keep_all(result: JobResult) -> None:
    """Thumbnails of every image `result` shows inline (run by the worker that finishes the job)."""
    for candidate in result.candidates or []:
        if candidate.image_path:
            keep(Path(candidate.image_path))
    if result.preview_image_path:
        keep(Path(result.preview_image_path))


def inline(path_str: str | None) -> tuple[str, str] | None:
    """(base64 data, mime type) of the image to show inline for `path_str`: its kept thumbnail (made now if it
    is missing), else the file itself when it is small and Pillow is not installed; None when there is nothing."""
    if not path_str:
        return None
    image = Path(path_str)
    try:
        stat = image.stat()
    except OSError:
        return None
    key = (path_str, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    answer = _load(image, stat.st_size)
    if answer is not None:
        with _cache_lock:
            _cache[key] = answer
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return answer


def _load(image: Path, size: int) -> tuple[str, str] | None:
    kept = thumbnail_path(image)
    data: bytes | None = None
    if kept.is_file():
        data = kept.read_bytes()
    else:
        made = keep(image)
        data = made.read_bytes() if made is not None else encode(image)
    if data is not None:
        return base64.b64encode(data).decode(), "image/jpeg"
    if size > MAX_INLINE_IMAGE_BYTES:
        return None
    raw = image.read_bytes()
    return base64.b64encode(raw).decode(), "image/png" if raw.startswith(b"\x89PNG") else "image/jpeg"
