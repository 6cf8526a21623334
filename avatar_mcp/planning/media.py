"""Local media arguments checked before the checklist asks anything: a path outside the media roots, a missing
file or the wrong kind of file is refused at once, not after the user has answered a form.

The providers check their media again when they submit (sizes, photo rules, vendor limits), and judge URLs by
their own rules (which hosts a vendor can fetch from): this is the cheap part that needs no vendor, where a
local file is and what its first bytes say it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import MediaKind, MediaPolicy, classify

if TYPE_CHECKING:
    from avatar_mcp.operations import Operation

def _looks_like_a_file(value: str) -> bool:
    """A path rather than a vendor id (Runware's `image` is a HeyGen avatar id, for instance)."""
    return "/" in value or "\\" in value or value.startswith("~") or bool(PurePath(value).suffix)


def media_arguments(op: Operation, request: dict[str, Any]) -> Iterator[tuple[str, str, tuple[MediaKind, ...]]]:
    """(where, value, accepted kinds) for every media argument of the request."""
    for name, kinds in op.media.items():
        value = request.get(name)
        if isinstance(value, str) and value.strip():
            yield name, value, kinds
    for where, part in op.speaking_parts(request):
        if op.speech == "scenes" and isinstance(part.get("audio"), str):
            yield f"{where}audio", part["audio"], ("audio", "video")
        background = part.get("background")
        if isinstance(background, dict) and isinstance(background.get("url"), str) and background["url"].strip():
            kind: MediaKind = "video" if background.get("type") == "video" else "image"
            yield f"{where}background.url", background["url"], (kind,)


def check_media(media: MediaPolicy, op: Operation, request: dict[str, Any]) -> None:
    """Refuse (MediaRejected, naming the argument) the first local media file that cannot be used, before anything
    is asked."""
    for where, value, kinds in media_arguments(op, request):
        if classify(value) == "path" and _looks_like_a_file(value.strip()):
            try:
                media.open_local(value, kinds=kinds)
            except MediaRejected as exc:
                raise MediaRejected(f"Nothing was sent. {where}: {exc}", source=exc.source) from exc
