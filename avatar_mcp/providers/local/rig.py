"""The face rig: mouth and eyelid patches for one image and its 68 dlib landmarks.

Mouth: two thin-plate-spline (TPS) inverse warp fields (upper and lower face half), fitted through the lips,
jaw and fixed anchors on the region border, drop the jaw and lower lip; the gap between the lips is painted
as a mouth interior (dark cavity, upper teeth, tongue). Eyes: the skin above each eye slides down over the
opening (a blink occludes the eye, it does not squash it). Fields are evaluated on a coarse grid and
upsampled, then applied with cv2.remap; every patch is a small region of the image, returned with its origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

OPEN_GAIN = 0.27
"""Widest jaw drop, as a share of the mouth width."""
ROUND_GAIN = 0.07
"""Lip corners move inward this share of the mouth width when fully rounded."""

LID_BAND = 0.4
"""Share of the lid-to-brow height that slides down with a blink: small enough to leave glasses rims alone."""
GRID_STEP = 5
"""Pixels between the points where the mouth's warp fields are evaluated (then upsampled)."""

_JAW_WEIGHTS = {2: 0.0, 3: 0.0, 4: 0.12, 5: 0.35, 6: 0.6, 7: 0.82, 8: 0.88, 9: 0.82, 10: 0.6, 11: 0.35,
                12: 0.12, 13: 0.0, 14: 0.0}
_FIXED = (31, 32, 33, 34, 35)
_TEETH_BGR = np.array([150, 168, 188], np.float32)
_LASH_BGR = np.array([30, 28, 35], np.float32)


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    """The TPS radial basis U(r) = r^2 log r, written in terms of r^2."""
    result: np.ndarray = 0.5 * r2 * np.log(np.maximum(r2, 1e-20))
    return result


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    dx = a[:, 0, None] - b[None, :, 0]
    dy = a[:, 1, None] - b[None, :, 1]
    result: np.ndarray = dx * dx + dy * dy
    return result


def tps_field(ctrl: np.ndarray, values: np.ndarray, points: np.ndarray, reg: float = 1e-3) -> np.ndarray:
    """Thin-plate spline through ctrl (n, 2) -> values (n, 2), evaluated at points (m, 2); unit-scale coords."""
    n = len(ctrl)
    k = _tps_kernel(_squared_distances(ctrl, ctrl)) + reg * np.eye(n)
    p = np.hstack([np.ones((n, 1)), ctrl])
    system = np.zeros((n + 3, n + 3))
    system[:n, :n], system[:n, n:], system[n:, :n] = k, p, p.T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = values
    coef = np.linalg.solve(system, rhs)
    g = _tps_kernel(_squared_distances(points, ctrl))
    out: np.ndarray = g @ coef[:n] + coef[n] + points @ coef[n + 1:]
    return out


def _border(x0: float, y0: float, x1: float, y1: float, k: int) -> np.ndarray:
    t = np.linspace(0, 1, k, endpoint=False)
    return np.vstack([
        np.stack([x0 + (x1 - x0) * t, np.full(k, y0)], 1),
        np.stack([np.full(k, x1), y0 + (y1 - y0) * t], 1),
        np.stack([x1 - (x1 - x0) * t, np.full(k, y1)], 1),
        np.stack([np.full(k, x0), y1 - (y1 - y0) * t], 1),
    ])


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    result: np.ndarray = x * x * (3 - 2 * x)
    return result


class Region:
    """A clipped rectangle of the image with pixel and coarse-grid coordinates (image space)."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float, shape: tuple[int, ...], step: int = 4) -> None:
        height, width = shape[:2]
        self.x0, self.y0 = max(0, int(x0)), max(0, int(y0))
        self.x1 = min(width, max(self.x0 + 2, int(np.ceil(x1))))
        self.y1 = min(height, max(self.y0 + 2, int(np.ceil(y1))))
        self.w, self.h = self.x1 - self.x0, self.y1 - self.y0
        gx = np.linspace(self.x0, self.x1 - 1, max(2, self.w // step + 1))
        gy = np.linspace(self.y0, self.y1 - 1, max(2, self.h // step + 1))
        self.grid_shape = (len(gy), len(gx))
        grid_x, grid_y = np.meshgrid(gx, gy)
        self.grid = np.stack([grid_x.ravel(), grid_y.ravel()], 1)
        self.X, self.Y = np.meshgrid(np.arange(self.x0, self.x1, dtype=np.float32),
                                     np.arange(self.y0, self.y1, dtype=np.float32))
        edge_x = np.clip(np.minimum(self.X - self.x0, self.x1 - 1 - self.X) / 6.0, 0, 1)
        edge_y = np.clip(np.minimum(self.Y - self.y0, self.y1 - 1 - self.Y) / 6.0, 0, 1)
        self.taper = (edge_x * edge_y).astype(np.float32)

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def field(self, dst_ctrl: np.ndarray, src_minus_dst: np.ndarray, scale: float) -> np.ndarray:
        """Dense (h, w, 2) field of src - dst at every destination pixel."""
        coarse = tps_field(dst_ctrl / scale, src_minus_dst / scale, self.grid / scale) * scale
        coarse = coarse.reshape(self.grid_shape[0], self.grid_shape[1], 2).astype(np.float32)
        return cv2.resize(coarse, (self.w, self.h), interpolation=cv2.INTER_LINEAR)


@dataclass
class Patch:
    x: int
    y: int
    pixels: np.ndarray


class MouthRig:
    """Opens and rounds the mouth of one face image."""

    def __init__(self, image: np.ndarray, points: np.ndarray) -> None:
        self.image = image
        p = self.p = points.astype(np.float64)
        self.mouth_w = float(np.linalg.norm(p[54] - p[48]))
        self.face_w = float(np.linalg.norm(p[16] - p[0]))
        self.face_h = float(p[8, 1] - p[19:25, 1].mean())
        self.seam = np.array([p[60], (p[61] + p[67]) / 2, (p[62] + p[66]) / 2, (p[63] + p[65]) / 2, p[64]])
        self.cx = float((p[48, 0] + p[54, 0]) / 2)
        self.half_w = float((p[54, 0] - p[48, 0]) / 2)
        self.region = Region(p[3, 0] - 0.08 * self.face_w, p[30, 1], p[13, 0] + 0.08 * self.face_w,
                             p[8, 1] + 0.35 * self.face_h, image.shape, step=GRID_STEP)
        r = self.region
        self.anchors = _border(r.x0, r.y0, r.x1 - 1, r.y1 - 1, 6)
        self.lip_bgr, self.teeth_visible = self._lip_colour()

    def _lip_colour(self) -> tuple[np.ndarray, bool]:
        r = self.region
        crop = self.image[r.slices]
        offset = np.array([r.x0, r.y0])
        outer = np.zeros(crop.shape[:2], np.uint8)
        inner = np.zeros(crop.shape[:2], np.uint8)
        cv2.fillPoly(outer, [np.round(self.p[48:60] - offset).astype(np.int32)], 1)
        cv2.fillPoly(inner, [np.round(self.p[60:68] - offset).astype(np.int32)], 1)
        lip = (outer > 0) & (inner == 0)
        colour = np.median(crop[lip], axis=0).astype(np.float32) if lip.sum() > 10 else np.array([90, 90, 160],
                                                                                                  np.float32)
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        teeth = bool(inner.sum() > 0.02 * self.mouth_w ** 2 and lip.any()
                     and np.median(gray[inner > 0]) > np.median(gray[lip]) + 25)
        return colour, teeth

    def _profile(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.clip(1 - ((x - self.cx) / (0.92 * self.half_w)) ** 2, 0, 1) ** 0.75
        return result

    def _upper(self, x: np.ndarray, drop: float) -> np.ndarray:
        pr = self._profile(x)
        result: np.ndarray = 0.10 * drop * (1 - pr) - 0.12 * drop * pr
        return result

    def _lower(self, x: np.ndarray, drop: float) -> np.ndarray:
        pr = self._profile(x)
        result: np.ndarray = 0.10 * drop * (1 - pr) + 0.88 * drop * pr
        return result

    def _inward(self, x: np.ndarray, pull: float) -> np.ndarray:
        result: np.ndarray = -np.sign(x - self.cx) * pull * np.clip(np.abs(x - self.cx) / self.half_w, 0, 1)
        return result

    def _controls(self, drop: float, pull: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Control points (source) and displacements (dst - src) for the upper and lower fields."""
        p = self.p
        src, disp = [], []
        for i in (*_JAW_WEIGHTS, *_FIXED, 48, 54):
            src.append(p[i])
            if i in _JAW_WEIGHTS:
                disp.append((0.0, _JAW_WEIGHTS[i] * drop))
            elif i in (48, 54):
                disp.append((float(self._inward(np.array([p[i, 0]]), pull)[0]), 0.10 * drop))
            else:
                disp.append((0.0, 0.0))
        for t in (-0.5, 0.0, 0.5):
            src.append(p[8] + np.array([t * self.face_w * 0.5, 0.3 * self.face_h]))
            disp.append((0.0, 0.0))
        common_src, common_disp = np.array(src), np.array(disp)
        upper_src = np.vstack([p[49:54], self.seam[1:4] + np.array([0.0, -0.5])])
        upper_disp = np.stack([self._inward(upper_src[:, 0], pull), self._upper(upper_src[:, 0], drop)], 1)
        lower_src = np.vstack([p[55:60], self.seam[1:4] + np.array([0.0, 0.5])])
        lower_disp = np.stack([self._inward(lower_src[:, 0], pull), self._lower(lower_src[:, 0], drop)], 1)
        zeros = np.zeros_like(self.anchors)
        return (np.vstack([common_src, upper_src, self.anchors]), np.vstack([common_disp, upper_disp, zeros]),
                np.vstack([common_src, lower_src, self.anchors]), np.vstack([common_disp, lower_disp, zeros]))

    def pristine(self) -> Patch:
        r = self.region
        return Patch(r.x0, r.y0, self.image[r.slices].copy())

    def patch(self, opening: float, rounding: float) -> Patch | None:
        """The mouth region opened by `opening` (0..1) and rounded by `rounding` (-1..1); None when unchanged."""
        if opening < 0.02 and abs(rounding) < 0.05:
            return None
        r = self.region
        drop = opening * OPEN_GAIN * self.mouth_w
        pull = rounding * ROUND_GAIN * self.mouth_w
        up_src, up_disp, lo_src, lo_disp = self._controls(drop, pull)
        field_up = r.field(up_src + up_disp, -up_disp, self.face_w)
        field_lo = r.field(lo_src + lo_disp, -lo_disp, self.face_w)
        xs = np.arange(r.x0, r.x1, dtype=np.float32)
        seam_y = self._seam_y(xs)
        y_up = seam_y + self._upper(xs, drop)
        y_lo = seam_y + self._lower(xs, drop)
        gap = np.maximum(y_lo - y_up, 0)
        middle = (y_up + y_lo) / 2
        beyond = np.clip((np.abs(xs - self.cx) - self.half_w) / self.half_w, 0, None)
        band = np.maximum(gap / 2, 1.0 + 0.6 * beyond * self.half_w)
        blend = smoothstep(((r.Y - middle[None, :]) / band[None, :] + 1) / 2)[..., None]
        field = (field_up * (1 - blend) + field_lo * blend) * r.taper[..., None]
        map_x = (r.X + field[..., 0]).astype(np.float32)
        map_y = (r.Y + field[..., 1]).astype(np.float32)
        pixels = cv2.remap(self.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if drop > 1.0:
            pixels = self._paint_interior(pixels, xs, y_up, y_lo, gap)
        return Patch(r.x0, r.y0, pixels)

    def _seam_y(self, xs: np.ndarray) -> np.ndarray:
        sx, sy = self.seam[:, 0], self.seam[:, 1]
        slope_l = (sy[1] - sy[0]) / max(1e-3, sx[1] - sx[0]) * 0.3
        slope_r = (sy[-1] - sy[-2]) / max(1e-3, sx[-1] - sx[-2]) * 0.3
        ys = np.interp(xs, sx, sy)
        ys = np.where(xs < sx[0], sy[0] + (xs - sx[0]) * slope_l, ys)
        result: np.ndarray = np.where(xs > sx[-1], sy[-1] + (xs - sx[-1]) * slope_r, ys)
        return result

    def _paint_interior(self, pixels: np.ndarray, xs: np.ndarray, y_up: np.ndarray, y_lo: np.ndarray,
                        gap: np.ndarray) -> np.ndarray:
        """Paint the opened gap as a mouth: dark cavity, upper teeth, tongue, a shadow under the upper lip."""
        r = self.region
        blur = max(0.9, 0.016 * self.mouth_w)
        open_cols = gap > 0.5
        if not open_cols.any():
            return pixels
        # Only the rows around the gap change: work on that band.
        top = max(0, int(np.floor(y_up[open_cols].min() - r.y0 - 3 * blur)))
        bottom = min(r.h, int(np.ceil(y_lo[open_cols].max() - r.y0 + 3 * blur)) + 1)
        rows = r.Y[top:bottom]
        hard = ((rows > y_up[None, :]) & (rows < y_lo[None, :]) & open_cols[None, :]).astype(np.float32)
        inside = cv2.GaussianBlur(hard, (0, 0), blur)
        depth = rows - y_up[None, :]
        down = np.clip(depth / np.maximum(gap[None, :], 1e-3), 0, 1)[..., None]
        side = np.clip(np.abs(xs - self.cx) / (0.92 * self.half_w), 0, 1)[None, :]
        colour = self.lip_bgr * 0.22 * (1 - 0.5 * side[..., None]) * (0.8 + 0.35 * down)
        if not self.teeth_visible:
            teeth_h = np.minimum(0.30 * gap, 0.075 * self.mouth_w)[None, :]
            teeth = (smoothstep((teeth_h - depth) / 1.2 + 0.5) * (1 - side ** 4))[..., None]
            colour = colour * (1 - teeth) + _TEETH_BGR * (0.92 - 0.35 * side[..., None] ** 2) * teeth
        tongue = (smoothstep((down[..., 0] - 0.6) / 0.35) * (1 - side ** 2)
                  * np.clip(gap / (0.12 * self.mouth_w), 0, 1)[None, :])[..., None]
        colour = colour * (1 - 0.6 * tongue) + self.lip_bgr * 0.33 * tongue
        colour *= (0.5 + 0.5 * smoothstep(depth / (0.04 * self.mouth_w + 1)))[..., None]
        colour *= 1 - 0.35 * side[..., None] ** 2
        alpha = inside[..., None]
        band = pixels[top:bottom]
        band[:] = np.clip(band * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)
        return pixels


@dataclass
class _Eye:
    upper: tuple[int, int]
    lower: tuple[int, int]
    corners: tuple[int, int]
    brow: tuple[int, int, int]
    region: Region
    width: float


class EyeRig:
    """Closes the eyelids of one face image."""

    def __init__(self, image: np.ndarray, points: np.ndarray) -> None:
        self.image = image
        p = self.p = points.astype(np.float64)
        self.eyes: list[_Eye] = []
        for upper, lower, corners, brow in (((37, 38), (41, 40), (36, 39), (18, 19, 20)),
                                            ((43, 44), (47, 46), (42, 45), (23, 24, 25))):
            width = float(np.linalg.norm(p[corners[1]] - p[corners[0]]))
            region = Region(p[corners[0], 0] - 0.55 * width, p[list(brow), 1].min() - 0.25 * width,
                            p[corners[1], 0] + 0.55 * width, p[list(lower), 1].max() + 0.6 * width,
                            image.shape, step=3)
            self.eyes.append(_Eye(upper, lower, corners, brow, region, width))

    def patches(self, closure: float) -> list[Patch]:
        """Both eye regions with the lids `closure` (0..1) of the way down; empty when open."""
        if closure < 0.03:
            return []
        return [self._eye(eye, closure) for eye in self.eyes]

    def _eye(self, eye: _Eye, b: float) -> Patch:
        p, r = self.p, eye.region
        c0, c1 = p[eye.corners[0]], p[eye.corners[1]]
        up = np.array([c0, p[eye.upper[0]], p[eye.upper[1]], c1])
        lo = np.array([c0, p[eye.lower[0]], p[eye.lower[1]], c1])
        xs = np.arange(r.x0, r.x1, dtype=np.float32)
        # Quadratic arcs through the lid points: piecewise-linear lids make an 'M'-shaped edge.
        lid = np.polyval(np.polyfit(up[:, 0], up[:, 1], 2), xs)
        lower = np.polyval(np.polyfit(lo[:, 0], lo[:, 1], 2), xs)
        within = (xs > c0[0]) & (xs < c1[0])
        # dlib's lid points sit slightly inside the visible opening: close a little further.
        raw_gap = np.where(within, np.maximum(lower - lid, 0) * 1.2, 0).astype(np.float32)
        gap = cv2.GaussianBlur(raw_gap.reshape(1, -1), (0, 0), max(1.0, 0.08 * eye.width)).ravel()
        shift = b * gap
        edge = lid + shift
        brow_y = p[list(eye.brow), 1].mean()
        decay = np.maximum(LID_BAND * (lid - brow_y), 2.0)
        top = (lid - decay)[None, :]
        skip = b * 0.35 * np.maximum(lower - lid, 0)  # leave the lashes behind so the lid shows skin
        ratio = (lid - skip - top[0]) / np.maximum(edge - top[0], 1e-3)
        map_y = np.where(top < r.Y, top + (r.Y - top) * ratio[None, :], r.Y)
        above = np.clip((edge[None, :] - r.Y) + 0.5, 0, 1)
        map_y = map_y * above + r.Y * (1 - above)
        pixels = cv2.remap(self.image, r.X, map_y.astype(np.float32), cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT).astype(np.float32)
        lid_mask = above * (lid[None, :] < r.Y) * within[None, :]
        pixels *= (1 - 0.10 * b * lid_mask)[..., None]
        lash_w = max(0.8, 0.035 * eye.width)
        lash = (np.exp(-((r.Y - edge[None, :]) / lash_w) ** 2) * (shift[None, :] > 0.5) * min(1.0, b * 1.5)
                * 0.35)[..., None]
        pixels = pixels * (1 - lash) + _LASH_BGR * lash
        return Patch(r.x0, r.y0, np.clip(pixels, 0, 255).astype(np.uint8))
