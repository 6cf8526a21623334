"""The local file policy and media sniffing.

A tool argument naming media is one of three things:
- a local path: read only inside the configured media roots (resolved, so `..` and symlinks cannot escape),
  size-limited, its type taken from its bytes rather than its name;
- an https URL: passed to vendors as is, or downloaded through outbound.download (the one download path: public
  https addresses only, bounded time, size and redirects, then a type check); http is refused;
- an asset key (`asset:<id>` or a vendor key such as HeyGen's image_key): handed to the vendor untouched.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import struct
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal
from urllib.parse import urlsplit

from avatar_mcp.errors import MediaRejected

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

MediaKind = Literal["image", "video", "audio"]
SourceKind = Literal["path", "url", "asset"]

MIME_EXTENSIONS: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/mp4": ".m4a",
    "text/plain": ".txt",
}

_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""No control character (NUL included) belongs in a path: refused before the file system sees it."""

PHOTO_MAX_BYTES = 10 * 1024 * 1024
"""HeyGen's photo rule (seed 002): under 10 MB. The local studio applies it too."""
MAX_IMAGE_PIXELS = 40_000_000
"""Images larger than this (width x height, read from the file's header) are refused before anything decodes
them: a small compressed file can declare a huge image (173 KB of PNG can hold 59 megapixels, ~1 GB decoded).
40 MP covers 7700x5200; every consumer here scales photos down far below that anyway."""
MAX_CONCURRENT_DECODES = 2
"""Image decodes running at once in this process (each may take a few hundred MB at the pixel cap)."""
_DECODES = threading.BoundedSemaphore(MAX_CONCURRENT_DECODES)
_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def sniff_mime(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when it is not media we handle."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    return None


def image_size(fh: BinaryIO) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG or WebP from its header (nothing is decoded), or None when unknown.

    JPEG segments are skipped by their lengths (seeking), so large EXIF or ICC blocks before the frame header
    do not hide it.
    """
    head = fh.read(32)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and len(head) >= 30:
        chunk = head[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
        if chunk == b"VP8L" and head[20] == 0x2F:
            bits = int.from_bytes(head[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
            width, height = struct.unpack("<HH", head[26:30])
            return width & 0x3FFF, height & 0x3FFF
        return None
    if not head.startswith(b"\xff\xd8"):
        return None
    fh.seek(2)
    for _ in range(4096):
        marker = fh.read(2)
        while len(marker) == 2 and marker[0] == 0xFF and marker[1] == 0xFF:  # fill bytes
            marker = marker[1:] + fh.read(1)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        if code == 0x01 or 0xD0 <= code <= 0xD8:
            continue
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0]
        if code in _JPEG_FRAMES:
            frame = fh.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return int(width), int(height)
        if code == 0xDA or length < 2:  # scan data before any frame header: not a JPEG we can size
            return None
        fh.seek(length - 2, os.SEEK_CUR)
    return None


def check_image_pixels(path: Path, source: str | None = None) -> tuple[int, int] | None:
    """Refuse an image whose header declares more than MAX_IMAGE_PIXELS; returns its size when known."""
    with path.open("rb") as fh:
        size = image_size(fh)
    if size is not None:
        refuse_pixels(source or path.name, *size)
    return size


def refuse_pixels(name: str, width: int, height: int) -> None:
    """Raise MediaRejected naming the limit when width x height is over MAX_IMAGE_PIXELS."""
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaRejected(
            f"{name!r} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); images may have at most "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels (MAX_IMAGE_PIXELS). Scale it down and try again.")


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of the MAX_CONCURRENT_DECODES slots while an image is decoded (waits for a free one)."""
    with _DECODES:
        yield


def kind_of(mime: str) -> MediaKind | None:
    major = mime.split("/", 1)[0]
    if major in ("image", "video", "audio"):
        return major  # type: ignore[return-value]
    return None


def classify(source: str) -> SourceKind:
    """Whether a media argument is a URL, an asset key, or a local path."""
    lowered = source.strip().lower()
    if "://" in lowered:
        return "url"
    if lowered.startswith("asset:"):
        return "asset"
    return "path"


_LOCAL_NAMES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
"""Name suffixes that only ever resolve inside a private network (RFC 6761, 6762, 8375, and common practice)."""


def require_https(url: str, *, what: str = "URL", vendor: str | None = None) -> str:
    """An https URL with a host. With `vendor`, the URL is handed to that vendor to fetch (or to send to) from its
    own network, so its host must also be able to name the public internet: no loopback, private, link-local or
    other non-public address literal (outbound.address_problem), no single-label or local-only name. The
    server's own downloads are not checked here: outbound.py resolves and checks every address they connect to."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise MediaRejected(
            f"The {what} {url!r} is not an https URL. Vendors only fetch https links: upload the file somewhere "
            f"that serves https, or pass a local path inside the media roots instead.",
            source=url,
        )
    if vendor is not None and not _public_host(parts.hostname):
        raise MediaRejected(
            f"The {what} {url!r} names {parts.hostname}, which is not on the public internet, so {vendor} could not "
            f"reach it. Host the file at a public https address and call again.", source=url)
    return url.strip()


def _public_host(host: str) -> bool:
    """Whether a URL's host (lower case, IPv6 without brackets) can name a public internet address."""
    from avatar_mcp.outbound import address_problem

    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        name = host.rstrip(".")
        return "." in name and name != "localhost" and not name.endswith(_LOCAL_NAMES)
    return address_problem(host) is None


def _a_kind(kinds: tuple[str, ...]) -> str:
    """'an image', 'a video', 'an audio or video file'."""
    words = " or ".join(kinds) + (" file" if len(kinds) > 1 else "")
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


@dataclass(frozen=True)
class LocalMedia:
    path: Path
    mime: str
    size: int

    @property
    def kind(self) -> MediaKind | None:
        return kind_of(self.mime)

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


class MediaPolicy:
    """Which local files may be read, and how big they may be."""

    def __init__(self, roots: Iterable[Path], *, max_bytes: int) -> None:
        self.roots = [Path(r).expanduser().resolve() for r in roots]
        self.max_bytes = max_bytes

    def describe_roots(self) -> str:
        return ", ".join(str(r) for r in self.roots) or "(none)"

    def _within(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.roots)

    def resolve(self, source: str) -> Path:
        """The real path of a local file, if it lies inside a media root (symlinks followed first)."""
        if _PATH_CONTROL.search(source):
            raise MediaRejected(f"{source!r} holds a control character, which no file path may; give the path "
                                f"as plain text.", source=source)
        # Whether a path outside the roots exists is never looked at, so the answer cannot tell: only paths
        # that resolve (symlinks followed) inside a root are checked for a file.
        try:
            raw = Path(source.strip()).expanduser()
            candidates = [raw] if raw.is_absolute() else [root / raw for root in self.roots]
        except RuntimeError:  # "~user" of an unknown user: outside, as a known user's home is (no user oracle)
            candidates = []
        inside = escaped = False
        for candidate in candidates:
            try:
                real = candidate.resolve()
            except (OSError, RuntimeError):  # a symlink loop
                continue
            if self._within(real):
                if real.is_file():
                    return real
                inside = True
            elif self._within(Path(os.path.normpath(candidate))):
                # Written inside a root, resolved outside it: a symlink leads out. That is the answer even when the
                # same name is merely absent from another root (decided by resolving alone: no existence oracle).
                escaped = True
        if escaped or not inside:
            raise MediaRejected(
                f"{source!r} is outside the media roots ({self.describe_roots()}). Copy the file into one of "
                f"them, or add its folder to AVATAR_MCP_MEDIA_ROOTS (separated by '{os.pathsep}') and restart.",
                source=source,
            )
        raise MediaRejected(
            f"No file at {source!r}. Give an absolute path inside the media roots ({self.describe_roots()}), "
            f"a path relative to one of them, or an https URL.",
            source=source,
        )

    def open_local(self, source: str, *, kinds: Iterable[MediaKind], max_bytes: int | None = None) -> LocalMedia:
        """Check a local media file: inside the roots, small enough, and of an accepted kind by its content."""
        path = self.resolve(source)
        limit = min(max_bytes or self.max_bytes, self.max_bytes)
        size = path.stat().st_size
        if size == 0:
            raise MediaRejected(f"{source!r} is empty.", source=source)
        if size > limit:
            raise MediaRejected(
                f"{source!r} is {size / 1e6:.1f} MB; the limit here is {limit / 1e6:.1f} MB. "
                f"Compress or trim it and try again.",
                source=source,
            )
        with path.open("rb") as fh:
            head = fh.read(64)
        mime = sniff_mime(head)
        wanted = tuple(kinds)
        if mime is None or kind_of(mime) not in wanted:
            found = mime or "not a recognised media file"
            raise MediaRejected(
                f"{source!r} is {found}, but {_a_kind(wanted)} is needed here "
                f"(types are read from the file's content, not its name).",
                source=source,
            )
        if kind_of(mime) == "image":
            check_image_pixels(path, source)
        return LocalMedia(path=path, mime=mime, size=size)
