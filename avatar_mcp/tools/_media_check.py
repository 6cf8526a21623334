"""Local media arguments checked before the checklist asks anything: a path outside the media roots, a missing
file or the wrong kind of file is refused at once, not after the user has answered a form.

The providers check their media again when they submit (sizes, photo rules, vendor limits), and judge URLs by
their own rules (which hosts a vendor can fetch from): this is the cheap part that needs no vendor, where a
local file is and what its first bytes say it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import MediaKind, MediaPolicy, classify

_FIELDS: dict[str, dict[str, tuple[MediaKind, ...]]] = {
    "create_photo_avatar": {"image": ("image",)},
    "create_digital_twin": {"video": ("video",), "consent_video": ("video",)},
    "create_companion": {"picture": ("image",), "video": ("video",)},
    "create_photo_video": {"image": ("image",), "audio": ("audio", "video")},
    "create_video": {},
}
"""Per operation, the top-level arguments that name media, and the kinds each accepts."""


def _looks_like_a_file(value: str) -> bool:
    """A path rather than a vendor id (Runware's `image` is a HeyGen avatar id, for instance)."""
    return "/" in value or "\\" in value or value.startswith("~") or bool(PurePath(value).suffix)


def media_arguments(operation: str, request: dict[str, Any]) -> Iterator[tuple[str, str, tuple[MediaKind, ...]]]:
    """(where, value, accepted kinds) for every media argument of the request."""
    for name, kinds in _FIELDS.get(operation, {}).items():
        value = request.get(name)
        if isinstance(value, str) and value.strip():
            yield name, value, kinds
    scenes = request.get("scenes") if operation == "create_video" else [request]
    for n, scene in enumerate(scenes or []):
        if not isinstance(scene, dict):
            continue
        where = f"scenes[{n}]." if operation == "create_video" else ""
        if operation == "create_video" and isinstance(scene.get("audio"), str):
            yield f"{where}audio", scene["audio"], ("audio", "video")
        background = scene.get("background")
        if isinstance(background, dict) and isinstance(background.get("url"), str) and background["url"].strip():
            kind: MediaKind = "video" if background.get("type") == "video" else "image"
            yield f"{where}background.url", background["url"], (kind,)


def check_media(media: MediaPolicy, operation: str, request: dict[str, Any]) -> None:
    """Refuse (MediaRejected, naming the argument) the first local media file that cannot be used, before anything
    is asked."""
    for where, value, kinds in media_arguments(operation, request):
        if classify(value) == "path" and _looks_like_a_file(value.strip()):
            try:
                media.open_local(value, kinds=kinds)
            except MediaRejected as exc:
                raise MediaRejected(f"Nothing was sent. {where}: {exc}", source=exc.source) from exc
