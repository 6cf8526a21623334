"""Animating a face from its rig, fast: quantised, cached mouth and eye states plus a cheap head sway.

A render shows few distinct mouth states, so patches are cached per quantised (opening, rounding) and
blink level: after the first second almost every frame is a cache hit. Head sway is a rigid motion faded
out by a soft head mask; its inverse map is linear in the pixel coordinates, so the per-frame maps are a
few vectorised multiply-adds of precomputed planes, followed by one cv2.remap of the head region only.
"""

from __future__ import annotations

import cv2
import numpy as np

from avatar_mcp.providers.local.rig import EyeRig, MouthRig, Patch, smoothstep

OPEN_LEVELS = 20
ROUND_LEVELS = 5
BLINK_LEVELS = 8
SWAY_GRID = 4
_STABLE = (0, 1, 15, 16, 27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45)
"""Landmarks that move with the head but not with the mouth: used to align one face onto another."""


def _quantise(opening: float, rounding: float) -> tuple[int, int]:
    return round(np.clip(opening, 0, 1) * OPEN_LEVELS), round(np.clip(rounding, -1, 1) * ROUND_LEVELS)


class MouthCache:
    """Mouth patches of one rig, cached per quantised state."""

    def __init__(self, rig: MouthRig) -> None:
        self.rig = rig
        self._cache: dict[tuple[int, int], Patch | None] = {}

    def get(self, opening: float, rounding: float) -> Patch | None:
        key = _quantise(opening, rounding)
        if key not in self._cache:
            self._cache[key] = self.rig.patch(key[0] / OPEN_LEVELS, key[1] / ROUND_LEVELS)
        return self._cache[key]


class HeadSway:
    """Small rigid head motion about a pivot under the chin, faded out by a soft mask around the head.

    The displacement is smooth, so it is computed on a grid SWAY_GRID times coarser and upsampled.
    """

    def __init__(self, points: np.ndarray, rect: tuple[int, int, int, int]) -> None:
        p = points
        x0, y0, x1, y1 = rect
        width, height = x1 - x0, y1 - y0
        face_w = float(np.linalg.norm(p[16] - p[0]))
        face_h = float(p[8, 1] - p[19:25, 1].mean())
        coarse_w, coarse_h = max(2, width // SWAY_GRID), max(2, height // SWAY_GRID)
        # Sample where cv2.resize expects its source pixel centres, so upsampling is exact interpolation.
        xs = x0 + (np.arange(coarse_w) + 0.5) * (width / coarse_w) - 0.5
        ys = y0 + (np.arange(coarse_h) + 0.5) * (height / coarse_h) - 0.5
        grid_x, grid_y = np.meshgrid(xs, ys)
        centre_x = float(p[[0, 16, 8, 27], 0].mean())
        centre_y = float(p[27, 1] - 0.15 * face_h)
        distance = np.sqrt(((grid_x - centre_x) / (0.8 * face_w)) ** 2 + ((grid_y - centre_y) / (1.25 * face_h)) ** 2)
        edge_x = np.clip(np.minimum(grid_x - x0, x1 - 1 - grid_x) / 8.0, 0, 1)
        edge_y = np.clip(np.minimum(grid_y - y0, y1 - 1 - grid_y) / 8.0, 0, 1)
        mask = (1 - smoothstep((distance - 0.75) / 0.55)) * edge_x * edge_y
        pivot_x, pivot_y = float(p[8, 0]), float(p[8, 1] + 0.15 * face_h)
        self.face_w = face_w
        self.size = (width, height)
        full_x, full_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
        self.map_x0, self.map_y0 = full_x, full_y
        self.mask = mask
        self.mask_ux = mask * (grid_x - pivot_x)
        self.mask_uy = mask * (grid_y - pivot_y)

    def maps(self, theta_deg: float, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
        """Inverse maps (region-local) for a roll of theta_deg and a shift of (dx, dy) px."""
        angle = np.deg2rad(theta_deg)
        c, s = float(np.cos(angle)), float(np.sin(angle))
        # src = R(-theta)(dst - pivot - t) + pivot, faded by the mask: linear in (mask*u, mask).
        disp_x = ((c - 1.0) * self.mask_ux + s * self.mask_uy - (c * dx + s * dy) * self.mask).astype(np.float32)
        disp_y = (-s * self.mask_ux + (c - 1.0) * self.mask_uy + (s * dx - c * dy) * self.mask).astype(np.float32)
        map_x = cv2.add(cv2.resize(disp_x, self.size, interpolation=cv2.INTER_LINEAR), self.map_x0)
        map_y = cv2.add(cv2.resize(disp_y, self.size, interpolation=cv2.INTER_LINEAR), self.map_y0)
        return map_x, map_y


class PortraitPuppet:
    """A still portrait brought to life: returns the head region of the card for each animation state."""

    def __init__(self, card: np.ndarray, points: np.ndarray) -> None:
        p = points.astype(np.float64)
        self.mouth = MouthCache(MouthRig(card, p))
        self.eyes = EyeRig(card, p)
        face_w = float(np.linalg.norm(p[16] - p[0]))
        face_h = float(p[8, 1] - p[19:25, 1].mean())
        height, width = card.shape[:2]
        x0 = max(0, int(p[0, 0] - 0.6 * face_w))
        x1 = min(width, int(np.ceil(p[16, 0] + 0.6 * face_w)))
        y0 = max(0, int(p[19:25, 1].min() - 1.4 * face_h))
        y1 = min(height, int(np.ceil(p[8, 1] + 0.9 * face_h)))
        for region in [self.mouth.rig.region, *(eye.region for eye in self.eyes.eyes)]:
            x0, y0 = min(x0, region.x0), min(y0, region.y0)
            x1, y1 = max(x1, region.x1), max(y1, region.y1)
        self.rect = (x0, y0, x1, y1)
        self.pristine = np.ascontiguousarray(card[y0:y1, x0:x1])
        self._work = self.pristine.copy()
        self.sway = HeadSway(p, self.rect)
        self._eyes: dict[int, list[Patch]] = {}

    def _paste(self, patch: Patch) -> None:
        x0, y0 = self.rect[:2]
        h, w = patch.pixels.shape[:2]
        self._work[patch.y - y0:patch.y - y0 + h, patch.x - x0:patch.x - x0 + w] = patch.pixels

    def render(self, opening: float, rounding: float, blink: float, theta: float, dx: float,
               dy: float) -> np.ndarray:
        """The head region (at self.rect, card coords) for one frame; dx, dy are shares of the face width.

        The returned array is reused by the next call.
        """
        np.copyto(self._work, self.pristine)
        mouth = self.mouth.get(opening, rounding)
        if mouth is not None:
            self._paste(mouth)
        level = round(np.clip(blink, 0, 1) * BLINK_LEVELS)
        if level:
            if level not in self._eyes:
                self._eyes[level] = self.eyes.patches(level / BLINK_LEVELS)
            for patch in self._eyes[level]:
                self._paste(patch)
        shift_x, shift_y = dx * self.sway.face_w, dy * self.sway.face_w
        if abs(theta) < 0.005 and abs(shift_x) < 0.02 and abs(shift_y) < 0.02:
            return self._work
        map_x, map_y = self.sway.maps(theta, shift_x, shift_y)
        out: np.ndarray = cv2.remap(self._work, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) taking src points onto dst: a 2x3 matrix."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    var = float((a ** 2).sum())
    if var < 1e-9:
        return np.array([[1.0, 0.0, mu_d[0] - mu_s[0]], [0.0, 1.0, mu_d[1] - mu_s[1]]])
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag([1.0, d]) @ vt
    scale = float((sig * np.array([1.0, d])).sum() / var)
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


class MouthTransplant:
    """Re-animates footage: each frame gets the (animated) mouth of one reference frame, aligned onto it.

    Replacing the mouth rather than warping each frame's own hides whatever the person was saying when
    filmed, and lets the mouth patches be cached like a portrait's.
    """

    def __init__(self, reference: np.ndarray, points: np.ndarray) -> None:
        self.points = points.astype(np.float64)
        rig = MouthRig(reference, self.points)
        self.mouth = MouthCache(rig)
        self.closed = rig.pristine()
        region = rig.region
        p = self.points
        face_h = rig.face_h
        outline = np.vstack([p[2:15], p[[35, 34, 33, 32, 31]] + [0.0, 0.15 * face_h]])
        # Keep the seam on the cheeks, inside the face outline: across the face's edge the background
        # moves with the camera, not with the face, and would show the join.
        outline[:13, 0] += (p[33, 0] - outline[:13, 0]) * 0.15
        outline[3:10, 1] += 0.12 * face_h  # room for the jaw to drop below the chin
        mask = np.zeros((region.h, region.w), np.float32)
        cv2.fillPoly(mask, [np.round(outline - [region.x0, region.y0]).astype(np.int32)], 1.0)
        feather = max(1.5, 0.05 * rig.face_w)
        self.mask = (cv2.GaussianBlur(mask, (0, 0), feather) * region.taper).astype(np.float32)
        self._corners = np.array([[region.x0, region.y0, 1], [region.x1, region.y0, 1],
                                  [region.x0, region.y1, 1], [region.x1, region.y1, 1]], np.float64)

    def apply(self, frame: np.ndarray, points: np.ndarray, opening: float, rounding: float) -> None:
        """Blend the reference mouth in state (opening, rounding) into `frame` (in place) at `points`."""
        patch = self.mouth.get(opening, rounding) or self.closed
        stable = list(_STABLE)
        matrix = similarity(self.points[stable], points[stable])
        corners = self._corners @ matrix.T
        height, width = frame.shape[:2]
        bx0, by0 = max(0, int(np.floor(corners[:, 0].min()))), max(0, int(np.floor(corners[:, 1].min())))
        bx1, by1 = min(width, int(np.ceil(corners[:, 0].max()))), min(height, int(np.ceil(corners[:, 1].max())))
        if bx1 - bx0 < 2 or by1 - by0 < 2:
            return
        # region-local patch coordinates -> destination box coordinates
        local = matrix.copy()
        local[:, 2] += matrix[:, :2] @ np.array([patch.x, patch.y], np.float64) - [bx0, by0]
        size = (bx1 - bx0, by1 - by0)
        warped = cv2.warpAffine(patch.pixels, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        weight = cv2.warpAffine(self.mask, local, size, flags=cv2.INTER_LINEAR, borderValue=0.0)
        target = frame[by0:by1, bx0:bx1]
        target[:] = cv2.blendLinear(warped, target, weight, 1.0 - weight)
