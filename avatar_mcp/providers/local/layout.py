"""Where the avatar goes: the card's box in the frame, the crop of the source around the face, the masks.

Styles: "normal" (a head-and-shoulders card, 4:5), "closeUp" (the same card, cropped tighter on the face)
and "circle" (a round cut-out around the face). `scale` sizes the card relative to this default layout,
`offset_x`/`offset_y` move its centre by a share of the frame size; cards may run off the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

Style = Literal["normal", "closeUp", "circle"]

CARD_ASPECT = 0.8
CARD_HEIGHT_SHARE = 0.89
CARD_WIDTH_LIMIT = 0.92
CIRCLE_SHARE = 0.78
SHADOW_STRENGTH = 0.5

# Crop around the face, in face heights (brow line to chin) above the brow and below the chin.
_CROP: dict[str, tuple[float, float]] = {"normal": (1.25, 1.7), "closeUp": (0.8, 0.7), "circle": (0.85, 0.55)}


@dataclass(frozen=True)
class CardBox:
    """The card's rectangle in frame pixels (may extend past the frame) and its outline."""

    x: int
    y: int
    w: int
    h: int
    circle: bool
    radius: int


def card_box(style: Style, width: int, height: int, *, scale: float = 1.0, offset_x: float = 0.0,
             offset_y: float = 0.0) -> CardBox:
    """The card's place for a frame of width x height."""
    if style == "circle":
        w = h = max(16, round(CIRCLE_SHARE * min(width, height) * scale))
    else:
        h_f = CARD_HEIGHT_SHARE * height
        w_f = CARD_ASPECT * h_f
        if w_f > CARD_WIDTH_LIMIT * width:
            w_f = CARD_WIDTH_LIMIT * width
            h_f = w_f / CARD_ASPECT
        w, h = max(16, round(w_f * scale)), max(20, round(h_f * scale))
    centre_x = width / 2 + offset_x * width
    centre_y = height / 2 + offset_y * height
    radius = h // 2 if style == "circle" else max(2, round(0.035 * min(w, h)))
    return CardBox(round(centre_x - w / 2), round(centre_y - h / 2), w, h, style == "circle", radius)


def face_crop(points: np.ndarray, style: Style, aspect: float, image_w: int, image_h: int) -> tuple[float, ...]:
    """(x, y, w, h) of the source region to show on a card of the given aspect (w/h), centred on the face.

    When the ideal crop is bigger than the image it shrinks (never below brow-1 face height .. chin+0.5) and
    slides inside the image; what still falls outside is filled by edge replication.
    """
    above, below = _CROP[style]
    brow = float(points[17:27, 1].mean())
    chin = float(points[8, 1])
    face_h = max(1.0, chin - brow)
    centre_x = float(points[[0, 16], 0].mean())
    top, bottom = brow - above * face_h, chin + below * face_h
    h = bottom - top
    w = h * aspect
    shrink = min(1.0, image_h / h, image_w / w)
    if shrink < 1.0:
        minimum = min(h, 2.5 * face_h)
        new_h = max(h * shrink, minimum)
        top = min(top + (h - new_h) * above / (above + below), brow - min(above, 1.0) * face_h)
        h, w = new_h, new_h * aspect
    x = float(np.clip(centre_x - w / 2, 0, max(0.0, image_w - w)))
    y = float(np.clip(top, 0, max(0.0, image_h - h)))
    if w > image_w:
        x = centre_x - w / 2
    if h > image_h:
        y = top
    return x, y, w, h


def crop_transform(crop: tuple[float, ...], size: tuple[int, int]) -> tuple[int, int, float, float]:
    """(x0, y0, sx, sy): source pixel (u, v) lands on card pixel ((u - x0) * sx, (v - y0) * sy)."""
    x, y, w, h = crop
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    x1, y1 = int(np.ceil(x + w)), int(np.ceil(y + h))
    return x0, y0, size[0] / max(1, x1 - x0), size[1] / max(1, y1 - y0)


def cut_pixels(image: np.ndarray, crop: tuple[float, ...], size: tuple[int, int]) -> np.ndarray:
    """The crop of `image` resized to size (w, h); parts outside the image repeat its edge."""
    x0, y0, sx, sy = crop_transform(crop, size)
    x1, y1 = x0 + round(size[0] / sx), y0 + round(size[1] / sy)
    height, width = image.shape[:2]
    pad = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    region = image[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
    if any(pad):
        region = cv2.copyMakeBorder(region, *pad, cv2.BORDER_REPLICATE)
    interpolation = cv2.INTER_AREA if size[0] < region.shape[1] else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(region, size, interpolation=interpolation))


def cut_card(image: np.ndarray, points: np.ndarray, crop: tuple[float, ...], size: tuple[int, int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """The crop resized to size (w, h), and the landmarks moved with it."""
    x0, y0, sx, sy = crop_transform(crop, size)
    return cut_pixels(image, crop, size), (points - [x0, y0]) * [sx, sy]


def card_alpha(box: CardBox) -> np.ndarray:
    """Anti-aliased coverage of the card's outline, float32 in [0, 1], shape (h, w)."""
    supersample = 4
    big = np.zeros((box.h * supersample, box.w * supersample), np.uint8)
    r = box.radius * supersample
    if box.circle:
        cv2.ellipse(big, (big.shape[1] // 2, big.shape[0] // 2), (big.shape[1] // 2 - 1, big.shape[0] // 2 - 1),
                    0, 0, 360, 255, -1, cv2.LINE_AA)
    else:
        w, h = big.shape[1], big.shape[0]
        cv2.rectangle(big, (r, 0), (w - r - 1, h - 1), 255, -1)
        cv2.rectangle(big, (0, r), (w - 1, h - r - 1), 255, -1)
        for cx, cy in ((r, r), (w - r - 1, r), (r, h - r - 1), (w - r - 1, h - r - 1)):
            cv2.circle(big, (cx, cy), r, 255, -1, cv2.LINE_AA)
    small = cv2.resize(big, (box.w, box.h), interpolation=cv2.INTER_AREA)
    alpha = small.astype(np.float32) / 255.0
    alpha[alpha > 0.996] = 1.0
    return alpha


def shadow_factor(box: CardBox, alpha: np.ndarray, width: int, height: int
                  ) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """The drop shadow as a darkening factor: its (x0, y0, x1, y1) in the frame and uint8 3-channel factors
    (255 = no darkening)."""
    sigma = max(1.0, 0.02 * min(width, height))
    drop = round(0.014 * height)
    margin = int(3 * sigma) + 1
    x0, y0 = max(0, box.x - margin), max(0, box.y + drop - margin)
    x1, y1 = min(width, box.x + box.w + margin), min(height, box.y + drop + box.h + margin)
    if x1 <= x0 or y1 <= y0:
        return None
    canvas = np.zeros((y1 - y0, x1 - x0), np.float32)
    cx0, cy0 = box.x - x0, box.y + drop - y0
    sx0, sy0 = max(0, cx0), max(0, cy0)
    sx1, sy1 = min(canvas.shape[1], cx0 + box.w), min(canvas.shape[0], cy0 + box.h)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0:sy1, sx0:sx1] = alpha[sy0 - cy0:sy1 - cy0, sx0 - cx0:sx1 - cx0]
    blurred = cv2.GaussianBlur(canvas, (0, 0), sigma)
    factor = np.round(255.0 * (1.0 - SHADOW_STRENGTH * blurred)).astype(np.uint8)
    return (x0, y0, x1, y1), np.ascontiguousarray(np.repeat(factor[..., None], 3, axis=2))
