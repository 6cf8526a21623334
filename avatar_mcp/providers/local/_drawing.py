"""Drawing primitives for the local studio's illustrated portraits (see portraits.py).

Every shape is a float polygon in pixel coordinates, rasterised by OpenCV's anti-aliased filler with sub-pixel
precision into a small per-shape mask, then alpha-blended into a float RGB canvas. One code path thus gives smooth
edges, soft (blurred) shapes, gradients and clipping (shading that stays inside the face, hair highlights that stay
inside the hair). Masks cover only the shape's bounding box, which keeps a whole portrait well under a second.

What is drawn with them lives next door: backdrops and style grading in _grading.py, body and clothing in
_clothing.py, hair shapes in _hair.py, the face in _head.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

Points = NDArray[np.float64]
Colour = NDArray[np.float32]
FloatImage = NDArray[np.float32]

_SHIFT = 4  # fixed-point bits for cv2: shapes land on fractional coordinates, so small features stay smooth
_ONE = float(1 << _SHIFT)


def rgb(r: float, g: float, b: float) -> Colour:
    """An RGB colour from 0..255 components, as float32 0..1."""
    return np.array([r, g, b], np.float32) / 255.0


def mix(a: Colour, b: Colour, t: float) -> Colour:
    """Linear blend from colour `a` (t=0) to colour `b` (t=1)."""
    out: Colour = np.clip(a + (b - a) * t, 0.0, 1.0).astype(np.float32)
    return out


def scale(c: Colour, k: float) -> Colour:
    """Colour `c` brightened (k > 1) or darkened (k < 1)."""
    out: Colour = np.clip(c * k, 0.0, 1.0).astype(np.float32)
    return out


def spline(points: Sequence[Sequence[float]] | Points, samples: int = 10, closed: bool = False) -> Points:
    """A Catmull-Rom curve through `points`: smooth outlines from a handful of hand-placed control points."""
    p = np.asarray(points, np.float64)
    p = np.vstack([p[-1], p, p[0], p[1]]) if closed else np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
        )
    if not closed:
        out.append(p[-2][None])
    return np.vstack(out)


def ellipse(
    cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, start: float = 0.0, end: float = 360.0, n: int = 48
) -> Points:
    """Points on an ellipse (angles in degrees, 0 = +x, 90 = down since image y grows downwards)."""
    a = np.radians(np.linspace(start, end, n, endpoint=(end - start) % 360 != 0))
    x, y = rx * np.cos(a), ry * np.sin(a)
    r = np.radians(angle)
    return np.stack([cx + x * np.cos(r) - y * np.sin(r), cy + x * np.sin(r) + y * np.cos(r)], axis=1)


def resample(path: Points, n: int) -> Points:
    """`n` points spaced evenly by arc length along an open polyline (used for the 17 jaw landmarks)."""
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    u = np.linspace(0.0, s[-1], n)
    out: Points = np.stack([np.interp(u, s, path[:, 0]), np.interp(u, s, path[:, 1])], axis=1)
    return out


def ribbon(path: Points, widths: float | Sequence[float] | NDArray[np.float64]) -> Points:
    """A closed polygon of varying width around a polyline: tapered brows, lash lines, strands, sleeves."""
    w = np.atleast_1d(np.asarray(widths, np.float64))
    if len(w) != len(path):  # a few widths along the path (e.g. thick to thin) are interpolated
        w = np.interp(np.linspace(0, 1, len(path)), np.linspace(0, 1, len(w)), w)
    d = np.gradient(path, axis=0)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) * (w[:, None] / 2)
    return np.vstack([path + normal, (path - normal)[::-1]])


def mirror(points: Points) -> Points:
    """Reflect points about x = 0 (shapes are designed for one side of a symmetric face or body)."""
    out: Points = np.asarray(points, np.float64) * np.array([-1.0, 1.0])
    return out


def soften(data: FloatImage, sigma: float) -> FloatImage:
    """Gaussian blur; wide blurs run on a downscaled copy (same look, a fraction of the cost)."""
    if sigma <= 6:
        return np.asarray(cv2.GaussianBlur(data, (0, 0), sigma), np.float32)
    k = sigma / 3
    h, w = data.shape[:2]
    small = cv2.resize(data, (max(int(w / k), 1), max(int(h / k), 1)), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.resize(cv2.GaussianBlur(small, (0, 0), 3.0), (w, h), interpolation=cv2.INTER_LINEAR),
                      np.float32)


@dataclass(frozen=True)
class Frame:
    """Maps design coordinates (unit = one face half-width) to image pixels, with an optional roll (head tilt)."""

    ox: float
    oy: float
    unit: float
    angle: float = 0.0  # degrees, positive turns clockwise on screen

    def __call__(self, pts: Sequence[Sequence[float]] | Points) -> Points:
        p = np.asarray(pts, np.float64).reshape(-1, 2)
        c, s = np.cos(np.radians(self.angle)), np.sin(np.radians(self.angle))
        x, y = p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c
        return np.stack([self.ox + self.unit * x, self.oy + self.unit * y], axis=1)


@dataclass(frozen=True)
class Mask:
    """Coverage (0..1) of a shape within its bounding box at (x0, y0) of the canvas."""

    data: FloatImage
    x0: int
    y0: int

    @property
    def region(self) -> tuple[slice, slice]:
        h, w = self.data.shape
        return slice(self.y0, self.y0 + h), slice(self.x0, self.x0 + w)

    def full(self, shape: tuple[int, int]) -> FloatImage:
        """The mask on a canvas-sized array, for clipping later shapes to it."""
        out = np.zeros(shape, np.float32)
        out[self.region] = self.data
        return out


class Painter:
    """A float RGB canvas that polygons are blended into; also tracks the figure silhouette (for rim light)."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.img: FloatImage = np.zeros((height, width, 3), np.float32)
        self.figure: FloatImage = np.zeros((height, width), np.float32)

    def mask(self, polys: Points | Sequence[Points], blur: float = 0.0) -> Mask | None:
        """Rasterise polygons (anti-aliased, optionally Gaussian-softened) without painting them."""
        plist = [polys] if isinstance(polys, np.ndarray) else list(polys)
        allp = np.vstack(plist)
        pad = 2 + int(np.ceil(3 * blur))
        x0, y0 = max(int(np.floor(allp[:, 0].min())) - pad, 0), max(int(np.floor(allp[:, 1].min())) - pad, 0)
        x1, y1 = min(int(np.ceil(allp[:, 0].max())) + pad, self.w), min(int(np.ceil(allp[:, 1].max())) + pad, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        fixed = [np.round((p - (x0, y0)) * _ONE).astype(np.int32) for p in plist]
        cv2.fillPoly(m, fixed, 255, cv2.LINE_AA, shift=_SHIFT)
        data = m.astype(np.float32) / 255.0
        if blur > 0:
            data = soften(data, blur)
        return Mask(data, x0, y0)

    def paint(
        self, mask: Mask | None, colour: Colour | FloatImage, alpha: float = 1.0, clip: FloatImage | None = None
    ) -> None:
        """Blend `colour` (a colour, or an image the size of the mask) through `mask`, optionally clipped."""
        if mask is None:
            return
        a = mask.data * alpha
        if clip is not None:
            a = a * clip[mask.region]
        roi = self.img[mask.region]
        roi += (np.asarray(colour, np.float32) - roi) * a[..., None]

    def fill(
        self,
        polys: Points | Sequence[Points],
        colour: Colour,
        alpha: float = 1.0,
        blur: float = 0.0,
        clip: FloatImage | None = None,
        figure: bool = False,
        gradient: tuple[float, float, Colour] | None = None,
    ) -> Mask | None:
        """Fill polygons; `gradient=(y_top, y_bottom, colour_bottom)` shades vertically from `colour`."""
        m = self.mask(polys, blur)
        if m is None:
            return None
        c: Colour | FloatImage = colour
        if gradient is not None:
            top, bottom, c2 = gradient
            ys = np.arange(m.y0, m.y0 + m.data.shape[0], dtype=np.float32)
            t = np.clip((ys - top) / max(bottom - top, 1e-6), 0, 1)[:, None, None]
            c = np.broadcast_to(colour + (c2 - colour) * t, (*m.data.shape, 3))
        self.paint(m, c, alpha, clip)
        if figure:
            reg = self.figure[m.region]
            np.maximum(reg, m.data, out=reg)
        return m

    def stroke(
        self, path: Points, colour: Colour, width: float, alpha: float = 1.0, blur: float = 0.0,
        clip: FloatImage | None = None,
    ) -> None:
        """A line of (possibly sub-pixel) width along a polyline: thin strokes fade rather than vanish."""
        w = max(width, 1.0)
        self.fill(ribbon(path, w), colour, alpha * min(width, 1.0), blur, clip)

    def inner_shadow(
        self, mask: Mask | None, colour: Colour, dx: float, dy: float, blur: float, alpha: float
    ) -> None:
        """Darken the edge of a shape away from the light: the shape minus a blurred, shifted copy of itself."""
        if mask is None:
            return
        h, w = mask.data.shape
        move = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        shifted = np.asarray(cv2.warpAffine(mask.data, move, (w, h), borderMode=cv2.BORDER_REPLICATE), np.float32)
        shade = mask.data * (1.0 - soften(shifted, max(blur, 0.5)))
        self.paint(Mask(shade, mask.x0, mask.y0), colour, alpha)

    def to_bgr(self) -> NDArray[np.uint8]:
        """The canvas as OpenCV's BGR uint8."""
        return np.ascontiguousarray((np.clip(self.img, 0, 1) * 255 + 0.5).astype(np.uint8)[..., ::-1])
