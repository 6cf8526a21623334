"""What a local job reads, and what it checks in a photo before it becomes an avatar (the seed's rules)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import MediaKind, MediaPolicy, classify, require_https
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.outbound import download
from avatar_mcp.specs import Background

if TYPE_CHECKING:
    from avatar_mcp.providers.local.studio import BackgroundPlan

MIN_PHOTO_PX = 512
LANDMARKS_VERSION = 1
"""Bump when the face search changes what it finds: remembered landmarks are then found again."""
MAX_PORTRAIT_PX = 1600
"""Larger photos are scaled down: the rig's cost grows with the face's size, and video frames are smaller anyway."""


class Inputs:
    """Media a local job reads: files inside the media roots, or https downloads into the job's own folder."""

    def __init__(self, media: MediaPolicy, http: SharedHTTP, media_dir: Path) -> None:
        self.media = media
        self.http = http
        self.media_dir = media_dir

    def job_dir(self, job_id: str) -> Path:
        folder = self.media_dir / "jobs" / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    async def file(self, source: str, kinds: tuple[MediaKind, ...], job_id: str, stem: str,
                   max_bytes: int | None = None) -> Path:
        """A local file for `source`: checked inside the media roots, or downloaded from an https URL once per job
        (a job taken over by another process, or submitted again after a crash, reuses the finished download)."""
        limit = min(max_bytes or self.media.max_bytes, self.media.max_bytes)
        kind = classify(source)
        if kind == "path":
            return self.media.open_local(source, kinds=kinds, max_bytes=limit).path
        if kind == "asset":
            raise MediaRejected(f"The local studio has no asset store, so {source!r} means nothing here: give a local "
                                f"path inside the media roots or an https URL.", source=source)
        url = require_https(source)
        dest = self.job_dir(job_id) / f"input_{stem}"
        if dest.is_file():  # downloads land under a temporary name and are renamed when complete and checked
            return dest
        return (await download(self.http, url, dest, max_bytes=limit, kinds=kinds)).path

    async def background(self, background: Background | None, job_id: str, index: int) -> Path | None:
        """The image or video file of a scene's background, if it has one."""
        if background is None or background.type == "color" or background.url is None:
            return None
        kinds: tuple[MediaKind, ...] = ("image",) if background.type == "image" else ("video",)
        return await self.file(background.url, kinds, job_id, f"background_{index}")


def background_plan(background: Background | None, path: Path | None) -> BackgroundPlan:
    from avatar_mcp.providers.local.studio import BackgroundPlan

    if background is None:
        return BackgroundPlan("color")
    if background.type == "color":
        return BackgroundPlan("color", color=background.value or "#1e2a3a")
    return BackgroundPlan(background.type, path=path, fit=background.fit, play_style=background.play_style)


def _landmarks_file(data: bytes, cache_dir: Path) -> Path:
    from avatar_mcp.providers.local.requirements import landmark_model

    model = landmark_model()
    key = hashlib.sha256(data + f"|{LANDMARKS_VERSION}|{model.stat().st_size if model else 0}".encode()).hexdigest()
    return cache_dir / "landmarks" / f"{key[:32]}.json"


def check_photo(path: Path, source: str, cache_dir: Path | None = None) -> tuple[Any, Any]:
    """The seed's photo rules: a JPEG/PNG (by content), at least 512x512, exactly one clear face.

    With `cache_dir`, the face found in a photo is remembered by the photo's content: the same photo again (a
    second clip of the same portrait) skips loading the face model and searching, most of a short clip's setup.
    """
    import numpy as np

    from avatar_mcp.media import sniff_mime
    from avatar_mcp.providers.local.face import detect_faces, load_image

    data = path.read_bytes()
    mime = sniff_mime(data[:64])
    if mime not in ("image/jpeg", "image/png"):
        raise MediaRejected(f"{source!r} is {mime or 'not an image'}; photos must be JPEG or PNG.", source=source)
    image = load_image(path)
    height, width = image.shape[:2]
    if min(width, height) < MIN_PHOTO_PX:
        raise MediaRejected(f"{source!r} is {width}x{height} pixels; photos must be at least "
                            f"{MIN_PHOTO_PX}x{MIN_PHOTO_PX}. Use a larger photo.", source=source)
    remembered = _landmarks_file(data, cache_dir) if cache_dir is not None else None
    if remembered is not None and remembered.is_file():
        points = np.asarray(json.loads(remembered.read_text()), dtype=np.float64)
    else:
        faces = detect_faces(image)
        if not faces:
            raise MediaRejected(f"No face was found in {source!r}. Use a photo of one person facing the camera, "
                                f"face clearly visible and well lit.", source=source)
        if len(faces) > 1:
            raise MediaRejected(f"{len(faces)} faces were found in {source!r}; use a photo with exactly one "
                                f"person.", source=source)
        points = faces[0].points
        if remembered is not None:
            remembered.parent.mkdir(parents=True, exist_ok=True)
            partial = remembered.with_suffix(f".{os.getpid()}.part")
            partial.write_text(json.dumps(np.asarray(points).tolist()))
            partial.replace(remembered)
    scale = MAX_PORTRAIT_PX / max(width, height)
    if scale < 1:
        import cv2

        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        points = points * scale
    return image, points
