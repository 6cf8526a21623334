"""Drawing helpers for the local studio's illustrated portraits (see portraits.py).

Every shape is a float polygon in pixel coordinates, rasterised by OpenCV's anti-aliased filler with sub-pixel
precision into a small per-shape mask, then alpha-blended into a float RGB canvas. One code path thus gives smooth
edges, soft (blurred) shapes, gradients and clipping (shading that stays inside the face, hair highlights that stay
inside the hair). Masks cover only the shape's bounding box, which keeps a whole portrait well under a second.
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


# ---------------------------------------------------------------------------------------------- backdrop and grade


def backdrop(p: Painter, top: Colour, bottom: Colour, glow: tuple[float, float, float], glow_colour: Colour) -> None:
    """A vertical studio gradient with a soft pool of light behind the head (gx, gy, radius in pixels)."""
    t = np.linspace(0, 1, p.h, dtype=np.float32)[:, None, None]
    p.img[:] = top + (bottom - top) * t
    gx, gy, r = glow
    p.fill(ellipse(gx, gy, r, r), glow_colour, 0.55, blur=r * 0.45)


def neon_backdrop(p: Painter, rng: np.random.Generator) -> None:
    """Cyberpunk: a night-blue wall washed with magenta and cyan light, with a few blurred neon signs."""
    backdrop(p, rgb(28, 18, 58), rgb(8, 10, 30), (p.w / 2, p.h * 0.35, p.w * 0.3), rgb(60, 30, 90))
    p.fill(ellipse(0, p.h * 0.3, p.w * 0.45, p.h * 0.5), rgb(255, 40, 190), 0.45, blur=p.w * 0.12)
    p.fill(ellipse(p.w, p.h * 0.6, p.w * 0.45, p.h * 0.5), rgb(0, 220, 255), 0.4, blur=p.w * 0.12)
    for _ in range(7):
        x, y = rng.uniform(0, p.w), rng.uniform(0, p.h * 0.8)
        bw, bh = rng.uniform(0.04, 0.16) * p.w, rng.uniform(0.006, 0.014) * p.h
        c = rgb(255, 60, 200) if rng.random() < 0.5 else rgb(40, 230, 255)
        box = np.array([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]])
        p.fill(box, c, 0.35, blur=bh * 1.5)
        p.fill(box, mix(c, rgb(255, 255, 255), 0.5), 0.6)


def rim_light(p: Painter, left: Colour, right: Colour, width: float) -> None:
    """Neon edge light on the figure's silhouette: magenta from the left, cyan from the right."""
    fig = p.figure
    for colour, dx in ((left, width), (right, -width)):
        shifted = np.asarray(cv2.warpAffine(fig, np.array([[1, 0, dx], [0, 1, 0]], np.float32), (p.w, p.h)))
        rim = np.clip(fig - shifted, 0, 1)
        rim = soften(rim, width * 0.35) * fig
        p.img += (colour - p.img) * (rim * 0.8)[..., None]


def _vignette(h: int, w: int, strength: float) -> FloatImage:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / np.sqrt(2)
    out: FloatImage = (1.0 - strength * np.clip(r, 0, 1) ** 2.2)[..., None]
    return out


def _luma(img: FloatImage) -> FloatImage:
    return (img @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]


def grade(p: Painter, style: str, rng: np.random.Generator, skin: Colour) -> None:
    """The style's colour treatment, applied after drawing (geometry is untouched, so landmarks stay valid)."""
    img = p.img
    if style == "Noir":
        # Expose for the face, whatever its tone (a fixed curve would crush dark skin to black), then add contrast.
        key = float(skin @ np.array([0.299, 0.587, 0.114], np.float32))
        y = np.clip(_luma(img) * (0.68 / key), 0, 1) ** 1.3
        y = np.clip((y - 0.45) * 1.5 + 0.5, 0, 1)
        y = y * y * (3 - 2 * y)  # S-curve: deep blacks and bright highlights, film-noir contrast
        y = y * _vignette(p.h, p.w, 0.6) + rng.normal(0, 0.012, y.shape).astype(np.float32)
        img[:] = np.repeat(np.clip(y, 0, 1), 3, axis=2)
    elif style == "Vintage":
        y = _luma(img)
        sepia = np.clip(y * np.array([1.08, 0.88, 0.66], np.float32) + np.array([0.06, 0.03, 0.0], np.float32), 0, 1)
        out = img * 0.25 + sepia * 0.75
        out = 0.10 + 0.80 * out  # faded: lifted blacks, soft whites
        out = out * _vignette(p.h, p.w, 0.35) + rng.normal(0, 0.018, y.shape).astype(np.float32)
        img[:] = cv2.GaussianBlur(np.clip(out, 0, 1), (0, 0), 0.7)
    elif style == "Cinematic":
        y = _luma(img)
        teal, orange = np.array([0.0, 0.42, 0.48], np.float32), np.array([1.0, 0.62, 0.32], np.float32)
        out = img + (teal - img) * (1 - y) ** 2 * 0.35 + (orange - img) * y**2 * 0.18
        out = np.clip((out - 0.5) * 1.12 + 0.5, 0, 1)
        img[:] = out * _vignette(p.h, p.w, 0.75)
    elif style == "Pixar":
        hsv = cv2.cvtColor(np.clip(img, 0, 1), cv2.COLOR_RGB2HSV)
        hsv[..., 1] = np.clip(hsv[..., 1] * 1.3, 0, 1)
        hsv[..., 2] = np.clip(hsv[..., 2] * 1.05 + 0.02, 0, 1)
        img[:] = cv2.GaussianBlur(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), (0, 0), 0.5)  # soft, rendered look
    elif style == "Cyberpunk":
        out = np.clip((img - 0.5) * 1.15 + 0.5, 0, 1) * np.array([0.95, 0.92, 1.05], np.float32)
        img[:] = np.clip(out * _vignette(p.h, p.w, 0.5), 0, 1)
    elif style == "Realistic":
        img[:] = cv2.GaussianBlur(img, (0, 0), 0.6) + rng.normal(0, 0.006, img.shape).astype(np.float32)


# ---------------------------------------------------------------------------------------------- body and clothing


@dataclass(frozen=True)
class Outfit:
    """What the body wears. Coordinates: origin at the chin, unit = face half-width, y down."""

    garment: str  # tshirt | shirt | blouse | sweater | hoodie | jacket | suit | dress
    main: Colour
    inner: Colour  # shirt under a suit, tee under a jacket
    trousers: Colour
    shoes: Colour
    tie: Colour | None
    skin: Colour
    shoulders: float  # half-width of the shoulders
    neck: float  # half-width of the neck
    full_body: bool
    cut: int  # 0..3: small per-candidate differences (collar shape, sleeve seam, buttons)


def _torso_half(o: Outfit, bottom: float) -> list[tuple[float, float]]:
    s, n = o.shoulders, o.neck
    top = [(n + 0.05, 0.55), (n + 0.6, 0.8), (s - 0.45, 0.92), (s - 0.1, 1.12), (s + 0.08, 1.5)]
    if o.full_body:
        return [*top, (s - 0.3, 2.1), (1.38, 3.4), (1.28, 4.3), (1.5, 5.5), (1.5, bottom)]
    return [*top, (s + 0.15, 2.3), (s + 0.18, 3.6), (s + 0.2, bottom)]


def _torso_right(o: Outfit, bottom: float) -> Points:
    half = _torso_half(o, bottom)
    return np.vstack([spline(half[:-1], 8), half[-1:]])  # straight to the bottom: a spline would loop there


def _torso(o: Outfit, bottom: float) -> Points:
    right = _torso_right(o, bottom)
    return np.vstack([mirror(right)[::-1], right])


def draw_body(p: Painter, f: Frame, o: Outfit) -> None:
    """Neck, torso, clothing (and for full-body framing arms, hands, legs and shoes)."""
    n, s = o.neck, o.shoulders
    dress = o.garment == "dress"
    bottom = (4.4 if dress else 5.9) if o.full_body else (p.h - f.oy) / f.unit + 0.5
    dark = scale(o.main, 0.72)
    if o.full_body:
        _draw_legs(p, f, o)
    neck = [(-n, -1.2), (n, -1.2), (n * 1.02, 0.3), (n + 0.1, 0.7), (-n - 0.1, 0.7), (-n * 1.02, 0.3)]
    p.fill(f(neck), o.skin, figure=True)
    # Shadow the head casts on the neck, so the chin reads as in front of it.
    p.fill(f(ellipse(0, 0.1, n * 1.15, 0.4)), scale(o.skin, 0.86), 0.55, blur=f.unit * 0.12)
    if o.full_body:  # arms hang behind the torso's edge, so the shoulder line stays clean
        for side in (-1.0, 1.0):
            arm = spline([(side * (s - 0.4), 1.5), (side * (s + 0.05), 2.3), (side * (s + 0.2), 3.5),
                          (side * (s + 0.25), 4.75)], 6)
            p.fill(f(ellipse(side * (s + 0.27), 5.1, 0.24, 0.34)), o.skin, figure=True)
            sleeve = p.fill(f(ribbon(arm, [0.75, 0.66, 0.58, 0.52])), o.main, figure=True)
            p.inner_shadow(sleeve, dark, -side * f.unit * 0.12, 0, f.unit * 0.1, 0.5)
    garment = o.garment
    torso_colour = o.inner if garment in ("suit", "jacket") else o.main
    body = p.fill(f(_torso(o, bottom)), torso_colour, figure=True, gradient=(f(((0, 0.5),))[0, 1],
                  f(((0, 6.0),))[0, 1], scale(torso_colour, 0.9)))
    p.inner_shadow(body, scale(torso_colour, 0.72), f.unit * 0.15, -f.unit * 0.05, f.unit * 0.25, 0.55)
    inner_kind = {"suit": "shirt", "jacket": "tshirt"}.get(garment, garment)
    _neckline(p, f, o, inner_kind, torso_colour)
    if garment in ("suit", "jacket"):
        _jacket(p, f, o, bottom)
    if o.full_body and dress:
        skirt = spline([(-1.3, 4.2), (-1.7, 6.0), (-2.0 - 0.15 * o.cut, 8.3), (0, 8.45), (2.0 + 0.15 * o.cut, 8.3),
                        (1.7, 6.0), (1.3, 4.2)], 8)
        m = p.fill(f(skirt), o.main, figure=True)
        p.inner_shadow(m, scale(o.main, 0.75), f.unit * 0.2, 0, f.unit * 0.3, 0.5)
    if not o.full_body:
        for side in (-1.0, 1.0):  # where the arm meets the torso: a soft crease gives the upper arms volume
            crease = spline([(side * (s - 0.42), 1.55), (side * (s - 0.3), 2.6), (side * (s - 0.22), 5.0)], 6)
            p.stroke(f(crease), scale(o.main, 0.7), f.unit * 0.05, 0.55, blur=f.unit * 0.03)


def _neckline(p: Painter, f: Frame, o: Outfit, kind: str, colour: Colour) -> None:
    n = o.neck
    skin = o.skin
    edge = scale(colour, 0.7)
    if kind in ("tshirt", "sweater", "hoodie"):
        depth = {"tshirt": 0.95, "sweater": 0.9, "hoodie": 0.85}[kind]
        hole = spline([(-n - 0.1, 0.4), (-n * 0.7, depth - 0.1), (0, depth), (n * 0.7, depth - 0.1), (n + 0.1, 0.4)], 8)
        cap = np.vstack([hole, [(n * 1.02, 0.0), (-n * 1.02, 0.0)]])
        p.fill(f(cap), skin)
        p.fill(f(ellipse(0, 0.2, n * 0.9, 0.45)), scale(skin, 0.86), 0.5, blur=f.unit * 0.1)
        band = {"tshirt": 0.09, "sweater": 0.17, "hoodie": 0.12}[kind]
        p.stroke(f(hole), scale(colour, 0.88 if kind == "tshirt" else 0.8), f.unit * band)
        if kind == "hoodie":
            hood = np.vstack([spline([(-n - 0.55, 0.35), (-n - 0.2, 1.05), (0, 1.2), (n + 0.2, 1.05),
                                      (n + 0.55, 0.35)], 8),
                              spline([(n + 0.12, 0.3), (n * 0.6, 0.8), (0, 0.92), (-n * 0.6, 0.8),
                                      (-n - 0.12, 0.3)], 8)])
            hm = p.fill(f(hood), scale(colour, 0.92))
            p.inner_shadow(hm, scale(colour, 0.7), 0, -f.unit * 0.1, f.unit * 0.08, 0.7)
            for side in (-1.0, 1.0):
                p.stroke(f([(side * 0.28, 1.05), (side * 0.33, 1.9 + 0.1 * o.cut), (side * 0.34, 2.2 + 0.1 * o.cut)]),
                         rgb(235, 235, 235), f.unit * 0.05)
        return
    # V and scoop necklines: everything above the V is cut away to show the chest.
    depth, spread = {"shirt": (1.5, 0.0), "blouse": (1.35, 0.1), "dress": (1.45 + 0.1 * (o.cut % 2), 0.5)}[kind]
    v = [(-n - 0.05 - spread, 0.56 + spread * 0.47), (0, depth), (n + 0.05 + spread, 0.56 + spread * 0.47)]
    vcurve = np.array(v)
    if kind == "dress":  # a rounded scoop rather than a V
        mid = (v[2][0] * 0.5, (v[2][1] + depth) * 0.55)
        vcurve = spline([v[0], (-mid[0], mid[1]), v[1], mid, v[2]], 8)
    cut = np.vstack([vcurve, [(n + 0.05, 0.55), (n * 1.02, 0.0), (-n * 1.02, 0.0), (-n - 0.05, 0.55)]])
    # Redraw the skin inside the V over the torso (the torso fill covered it).
    p.fill(f(cut), skin)
    p.fill(f(ellipse(0, 0.25, n * 0.95, 0.5)), scale(skin, 0.86), 0.45, blur=f.unit * 0.12)
    if kind == "dress":
        p.stroke(f(vcurve), edge, f.unit * 0.06)
        return
    # Shirt/blouse collar wings lying on the shoulders and pointing to the top button.
    for side in (-1.0, 1.0):
        tip = (side * (0.45 + 0.08 * (o.cut % 2)), 1.3 + 0.1 * (o.cut % 2))
        wing = [(side * (n - 0.06), 0.25), (side * (n + 0.42), 0.62), tip, (side * 0.05, depth - 0.35),
                (side * (n - 0.08), 0.5)]
        shape = spline(wing, 5, closed=True) if kind == "blouse" else np.array(wing)
        p.fill(f(shape), mix(colour, rgb(255, 255, 255), 0.12))
        p.stroke(f(np.vstack([shape, shape[:1]])), edge, f.unit * 0.035, 0.8)
    if o.tie is not None and kind == "shirt":
        knot = [(-0.14, depth - 0.45), (0.14, depth - 0.45), (0.1, depth - 0.15), (-0.1, depth - 0.15)]
        blade = [(-0.1, depth - 0.15), (0.1, depth - 0.15), (0.22, depth + 1.6), (0, depth + 1.9),
                 (-0.22, depth + 1.6)]
        p.fill(f(blade), o.tie)
        p.fill(f(knot), scale(o.tie, 0.85))
    elif kind == "shirt":
        for k in range(6):
            p.fill(f(ellipse(0, depth + 0.35 + 0.75 * k, 0.05, 0.05, n=16)), scale(colour, 0.75))


def _jacket(p: Painter, f: Frame, o: Outfit, bottom: float) -> None:
    n = o.neck
    v_bottom = 2.7 if o.garment == "suit" else 3.3 + 0.4 * (o.cut % 2)
    dark = scale(o.main, 0.7)
    for side in (-1.0, 1.0):
        outer = _torso_right(o, bottom) * (side, 1.0)
        centre = [(side * 0.02, bottom), (side * 0.02, v_bottom + 0.2), (side * 0.04, v_bottom),
                  (side * (n + 0.02), 0.45)]
        if o.garment == "jacket":  # open jacket: the panels stop short of the middle
            centre = [(side * 0.55, bottom), (side * 0.45, v_bottom), (side * (n + 0.05), 0.45)]
        panel = np.vstack([outer, centre])
        m = p.fill(f(panel), o.main, figure=True)
        p.inner_shadow(m, dark, -side * f.unit * 0.12, -f.unit * 0.04, f.unit * 0.18, 0.5)
        # Lapel: a folded-back strip along the opening, with the notch that makes it read as tailoring.
        cx = centre[-2][0]
        lapel = [(side * (n + 0.02), 0.45), (side * (n + 0.5), 0.7), (side * 0.98, 1.3), (side * 0.82, 1.42),
                 (side * 0.9, 1.6), (cx + side * 0.05, v_bottom), (cx, v_bottom)]
        p.fill(f(lapel), scale(o.main, 0.88))
        p.stroke(f(np.array(lapel[1:-1])), dark, f.unit * 0.03, 0.8)
    if o.garment == "suit" and o.full_body:
        p.fill(f(ellipse(0.0, v_bottom + 0.5, 0.06, 0.06, n=16)), dark)


def _draw_legs(p: Painter, f: Frame, o: Outfit) -> None:
    if o.garment == "dress":  # bare legs below the skirt, which draw_body adds over the torso
        for side in (-1.0, 1.0):
            leg = [(side * 0.2, 8.0), (side * 0.75, 8.0), (side * 0.65, 11.5), (side * 0.3, 11.5)]
            p.fill(f(leg), scale(o.skin, 0.95), figure=True)
    else:
        for side in (-1.0, 1.0):
            leg = [(side * 1.52, 5.5), (side * 0.02, 5.5), (side * 0.08, 6.3), (side * 0.3, 8.8), (side * 0.36, 11.55),
                   (side * 0.98, 11.55), (side * 1.05, 8.8), (side * 1.45, 6.4)]
            m = p.fill(f(leg), o.trousers, figure=True)
            p.inner_shadow(m, scale(o.trousers, 0.7), -side * f.unit * 0.15, 0, f.unit * 0.15, 0.5)
    for side in (-1.0, 1.0):
        shoe = ellipse(side * 0.68, 11.7, 0.5, 0.25, start=180, end=360, n=24)
        p.fill(f(np.vstack([shoe, [(side * 0.68 + 0.5, 11.85), (side * 0.68 - 0.5, 11.85)]])), o.shoes, figure=True)


# ---------------------------------------------------------------------------------------------- hair


@dataclass(frozen=True)
class Hair:
    """Hair as polygons in head design coordinates (see portraits.py): drawn behind the body (back), over the
    shoulders but behind the face (side), and over the forehead (front, with strand lines clipped to it)."""

    back: list[Points]
    side: list[Points]
    front: list[Points]
    strands: list[Points]
    texture: float = 0.55  # opacity of the strand lines


def _cap(t: float, v: float, bottom: float, bumps: float = 0.0) -> Points:
    """The hair's outer edge over the skull, from the left side over the top to the right side."""
    rx, ry = 1.0 + t, 1.0 + t + v
    a0 = np.degrees(np.arcsin(np.clip((bottom + 0.42) / ry, -1, 1)))
    a = np.radians(np.linspace(180 - a0, 360 + a0, 64))
    r = 1.0 + bumps * (0.5 + 0.5 * np.cos(a * 16))  # scallops for curls
    return np.stack([rx * r * np.cos(a), -0.42 + ry * r * np.sin(a)], axis=1)


def _bumpy(poly: Points, amp: float, period: float) -> Points:
    """Push a closed outline outwards in rounded bumps: curly hair."""
    dense = resample(np.vstack([poly, poly[:1]]), max(int(np.sum(np.linalg.norm(np.diff(poly, axis=0), axis=1))
                                                          / period * 8), 16))
    tang = np.gradient(dense, axis=0)
    tang /= np.maximum(np.linalg.norm(tang, axis=1, keepdims=True), 1e-9)
    normal = np.stack([tang[:, 1], -tang[:, 0]], axis=1)
    phase = np.linspace(0, len(dense) / 8 * np.pi, len(dense))
    return dense + normal * (amp * np.abs(np.sin(phase)))[:, None]


def _hairline(points: Sequence[tuple[float, float]]) -> Points:
    return spline(np.array(points), 6)


_ARCH = [(1.0, -0.32), (0.93, -0.7), (0.7, -0.95), (0.35, -1.06), (0.0, -1.08), (-0.35, -1.06), (-0.7, -0.95),
         (-0.93, -0.7), (-1.0, -0.32)]


def _long_back(width: float, length: float) -> Points:
    top = _cap(0.12, 0.12, -0.2)
    down = [(width * 0.9, 0.3), (width * 0.98, 0.3 + 0.45 * (length - 0.3)), (width, length - 0.35),
            (width * 0.82, length), (0.0, length - 0.1)]
    right = spline([tuple(top[-1]), *down], 6)
    return np.vstack([top, right, mirror(right[::-1])])


def _lock(side: float, width: float, length: float) -> Points:
    pts = [(0.93, -0.5), (1.14, -0.5), (width * 0.92, 0.4), (width, 1.4), (width * 0.98, length - 0.6),
           (width * 0.8, length), (0.93, length - 0.5), (0.9, 1.6), (0.9, 0.9), (0.97, 0.2)]
    return spline(np.array(pts) * (side, 1.0), 6, closed=True)


def hair_shape(style: str, masc: float, variant: int) -> Hair:
    """Polygons for one hair style: short, swept, buzz, curly, curly_long, long, long_side, bob, bun, ponytail, bald."""
    back: list[Points] = []
    side: list[Points] = []
    strands: list[Points] = []
    if style in ("short", "swept", "buzz"):
        t, v = {"short": (0.12, 0.22), "swept": (0.1, 0.32), "buzz": (0.045, 0.04)}[style]
        line = [(1.02, -0.22), (0.97, -0.62), (0.85, -0.9), (0.55, -1.0), (0.0, -0.98), (-0.55, -1.0), (-0.85, -0.9),
                (-0.97, -0.62), (-1.02, -0.22)]
        if style == "swept":
            line[3:6] = [(0.5, -0.82), (0.1, -0.86), (-0.4, -0.96)]
        if style == "buzz":
            line = [(x * 0.99, y - 0.06) for x, y in line]
        front = [np.vstack([_cap(t, v, -0.2), _hairline(line)])]
        if style != "buzz":
            part = -0.4 if variant % 2 else 0.4
            strands = [spline([(part + k * 0.18, -0.9), (part + k * 0.15 + 0.05, -1.25), (part * 0.6 + k * 0.1,
                                                                                       -1.5 - v)], 6)
                       for k in (-2, -1, 1, 2)]
    elif style in ("curly", "curly_long"):
        line = [(1.02, -0.2), (0.98, -0.6), (0.8, -0.8), (0.4, -0.86), (0.0, -0.84), (-0.4, -0.88), (-0.8, -0.8),
                (-0.98, -0.6), (-1.02, -0.2)]
        front = [np.vstack([_cap(0.2, 0.28, -0.2, bumps=0.05), _hairline(line)])]
        rng = np.random.default_rng(variant)
        strands = [ellipse(x + rng.uniform(-0.05, 0.05), y + rng.uniform(-0.04, 0.04), 0.075, 0.065,
                           start=(a := rng.uniform(0, 360)), end=a + 250, n=12)
                   for y in (-0.98, -1.2, -1.42, -1.6) for x in np.arange(-1.05, 1.1, 0.21) + 0.1 * (y < -1.1)
                   if (x / 1.15) ** 2 + ((y + 0.42) / 1.45) ** 2 < 0.9]
        if style == "curly_long" or masc < 0.5:
            back.append(_bumpy(_long_back(1.55, 2.2 if style == "curly_long" else 1.3), 0.09, 0.45))
    elif style in ("long", "long_side", "bob"):
        if style == "long_side":
            line = [(1.0, -0.32), (0.92, -0.74), (0.64, -1.0), (0.4, -1.1), (0.1, -0.86), (-0.4, -0.72), (-0.8, -0.56),
                    (-0.96, -0.4), (-1.0, -0.3)]
        elif style == "bob":
            line = [(1.0, -0.25), (0.95, -0.56), (0.6, -0.6), (0.0, -0.62), (-0.6, -0.6), (-0.95, -0.56),
                    (-1.0, -0.25)]
        else:
            line = _ARCH
        front = [np.vstack([_cap(0.12, 0.12, -0.3), _hairline(line)])]
        length = 1.2 if style == "bob" else 3.0 + 0.3 * (variant % 2)
        width = 1.28 if style == "bob" else 1.42
        back.append(_long_back(width, length))
        side = [] if style == "bob" else [_lock(s, width + 0.02 * s, length) for s in (-1.0, 1.0)]
        for s in (-1.0, 1.0):
            strands += [spline([(s * x, -1.1), (s * (x + 0.25), -0.75), (s * (x + 0.4), -0.3)], 6)
                        for x in (0.2, 0.45)]
    elif style in ("bun", "ponytail"):
        front = [np.vstack([_cap(0.05, 0.05, -0.3), _hairline(_ARCH)])]
        if style == "bun":
            back.append(ellipse(0.0, -1.6, 0.42, 0.36))
        else:
            s = -1.0 if variant % 2 else 1.0
            tail = spline([(s * 0.6, -1.05), (s * 1.18, -0.5), (s * 1.32, 0.5), (s * 1.24, 1.6), (s * 1.0, 2.5)], 6)
            back.append(ribbon(tail, [0.32, 0.46, 0.42, 0.3, 0.04]))
        strands = [spline([(x * 0.9, -1.0), (x * 0.5, -1.35), (x * 0.15, -1.47)], 6) for x in (-0.7, -0.35, 0.35, 0.7)]
    else:  # bald: a band of hair round the back of the head, visible beside the temples
        front = []
        back = [ribbon(spline([(s * 0.96, -0.72), (s * 1.05, -0.4), (s * 1.03, 0.0)], 6), [0.02, 0.16, 0.1])
                for s in (-1.0, 1.0)]
    return Hair(back, side, front, strands, 0.3 if style.startswith("curly") else 0.55)
