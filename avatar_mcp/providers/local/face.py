"""Images in, faces out: decoding with EXIF orientation, and dlib's 68-point landmarks.

dlib's HOG frontal detector finds faces (on a copy scaled to at most DETECT_MAX_SIDE, which is both faster
and finds large faces better), and the 68-point shape predictor from face-recognition-models places the
landmarks on the full-resolution image. Both models load once per process; dlib objects are not documented
as thread-safe, so calls into them are serialised.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avatar_mcp.errors import MediaRejected, RenderError
from avatar_mcp.media import decode_slot, image_size, refuse_pixels

DETECT_MAX_SIDE = 800
DETECT_MIN_SCORE = 0.3
"""dlib's default keeps any score above 0; weak hits below this are mostly patterns (a badge, a print)."""


@dataclass
class Face:
    points: np.ndarray
    """(68, 2) float64 landmarks in dlib's order, image coordinates."""
    box: tuple[int, int, int, int]
    """x, y, w, h of the detector's box."""


def load_image(source: Path | bytes) -> np.ndarray:
    """Decode an image file or bytes to BGR uint8 with its EXIF orientation applied; MediaRejected if not an image.

    The pixel count is checked from the header first (media.MAX_IMAGE_PIXELS), and the decode itself waits for
    one of media.MAX_CONCURRENT_DECODES slots.
    """
    name = source.name if isinstance(source, Path) else "the image"
    data = source.read_bytes() if isinstance(source, Path) else source
    size = image_size(io.BytesIO(data))
    if size is not None:
        refuse_pixels(name, *size)
    with decode_slot():
        return _decode(data, name, source)


def _decode(data: bytes, name: str, source: Path | bytes) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            refuse_pixels(name, opened.width, opened.height)  # formats the header reader does not know
            image = ImageOps.exif_transpose(opened)
            if image.mode in ("RGBA", "LA", "P"):
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                image = flat
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except MediaRejected:
        raise
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaRejected(f"{name} is not an image that can be decoded (JPEG, PNG or WebP).",
                            source=str(source) if isinstance(source, Path) else None) from exc
    if rgb.ndim != 3 or rgb.shape[0] < 8 or rgb.shape[1] < 8:
        raise MediaRejected(f"{name} is too small to hold a face.")
    return np.ascontiguousarray(rgb[:, :, ::-1])


_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


def _models() -> tuple[Any, Any]:
    """dlib's detector and 68-point predictor, loaded on first use (caller holds _LOCK)."""
    if not _MODELS:
        import dlib

        from avatar_mcp.providers.local.requirements import LANDMARK_MODEL, landmark_model

        model = landmark_model()
        if model is None:
            raise RenderError(f"The face landmark model ({LANDMARK_MODEL} of face-recognition-models) is not "
                              f"installed; install the 'local' extra.")
        _MODELS["detector"] = dlib.get_frontal_face_detector()
        _MODELS["predictor"] = dlib.shape_predictor(str(model))
    return _MODELS["detector"], _MODELS["predictor"]


def warm_up() -> None:
    """Load dlib's models now (about half a second), e.g. on a worker thread before the first render."""
    with _LOCK:
        _models()


def _rgb(image_bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image_bgr[:, :, ::-1])


def detect_faces(image_bgr: np.ndarray, *, upsample: int | None = None) -> list[Face]:
    """Every frontal face in the image with its 68 landmarks, largest first.

    `upsample` is dlib's pyramid upsampling of the detection copy; by default 1 for small images (to find
    faces down to ~40 px) and 0 otherwise.
    """
    import cv2
    import dlib

    height, width = image_bgr.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    small = image_bgr if scale >= 1.0 else cv2.resize(image_bgr, None, fx=scale, fy=scale,
                                                       interpolation=cv2.INTER_AREA)
    if upsample is None:
        upsample = 1 if max(small.shape[:2]) <= 640 else 0
    rgb_small = _rgb(small)
    rgb_full = rgb_small if small is image_bgr else _rgb(image_bgr)
    faces: list[Face] = []
    with _LOCK:
        detector, predictor = _models()
        boxes, _, _ = detector.run(rgb_small, upsample, DETECT_MIN_SCORE)
        for box in boxes:
            rect = dlib.rectangle(int(box.left() / scale), int(box.top() / scale),
                                  int(box.right() / scale), int(box.bottom() / scale))
            shape = predictor(rgb_full, rect)
            points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
            faces.append(Face(points=points, box=(rect.left(), rect.top(), rect.right() - rect.left(),
                                                    rect.bottom() - rect.top())))
    faces.sort(key=lambda f: -f.box[2] * f.box[3])
    return faces


def detect_boxes(image_bgr: np.ndarray, *, upsample: int = 0) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) only, largest first: the cheap half of detect_faces, for tracking video."""
    rgb = _rgb(image_bgr)
    with _LOCK:
        detector, _ = _models()
        boxes, _, _ = detector.run(rgb, upsample, DETECT_MIN_SCORE)
    found = [(b.left(), b.top(), b.right() - b.left(), b.bottom() - b.top()) for b in boxes]
    return sorted(found, key=lambda b: -b[2] * b[3])


def landmarks_in_box(image_bgr: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The 68 landmarks of the face inside `box` (x, y, w, h): used to track a face from frame to frame.

    Only a margin around the box is handed to dlib, which keeps this at a couple of milliseconds a frame.
    """
    import dlib

    x, y, w, h = box
    height, width = image_bgr.shape[:2]
    x0, y0 = max(0, int(x - 0.5 * w)), max(0, int(y - 0.5 * h))
    x1, y1 = min(width, int(x + 1.5 * w) + 1), min(height, int(y + 1.5 * h) + 1)
    rgb = _rgb(image_bgr[y0:y1, x0:x1])
    rect = dlib.rectangle(round(x - x0), round(y - y0), round(x + w - x0), round(y + h - y0))
    with _LOCK:
        _, predictor = _models()
        shape = predictor(rgb, rect)
    return np.array([(p.x + x0, p.y + y0) for p in shape.parts()], dtype=np.float64)
