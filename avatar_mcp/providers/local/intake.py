"""What the local studio checks in a photo before it becomes an avatar: the seed's photo rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avatar_mcp.errors import MediaRejected

MIN_PHOTO_PX = 512
MAX_PORTRAIT_PX = 1600
"""Larger photos are scaled down: the rig's cost grows with the face's size, and video frames are smaller anyway."""


def check_photo(path: Path, source: str) -> tuple[Any, Any]:
    """The seed's photo rules: a JPEG/PNG (by content), at least 512x512, exactly one clear face."""
    from avatar_mcp.media import sniff_mime
    from avatar_mcp.providers.local.face import detect_faces, load_image

    with path.open("rb") as fh:
        mime = sniff_mime(fh.read(64))
    if mime not in ("image/jpeg", "image/png"):
        raise MediaRejected(f"{source!r} is {mime or 'not an image'}; photos must be JPEG or PNG.", source=source)
    image = load_image(path)
    height, width = image.shape[:2]
    if min(width, height) < MIN_PHOTO_PX:
        raise MediaRejected(f"{source!r} is {width}x{height} pixels; photos must be at least "
                            f"{MIN_PHOTO_PX}x{MIN_PHOTO_PX}. Use a larger photo.", source=source)
    faces = detect_faces(image)
    if not faces:
        raise MediaRejected(f"No face was found in {source!r}. Use a photo of one person facing the camera, face "
                            f"clearly visible and well lit.", source=source)
    if len(faces) > 1:
        raise MediaRejected(f"{len(faces)} faces were found in {source!r}; use a photo with exactly one person.",
                            source=source)
    points = faces[0].points
    scale = MAX_PORTRAIT_PX / max(width, height)
    if scale < 1:
        import cv2

        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        points = points * scale
    return image, points
