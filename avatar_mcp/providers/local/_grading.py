"""Backdrops, rim light and the per-style colour grade of the local studio's illustrated portraits.

Everything here is light and colour rather than shape: the studio wall behind the figure (drawn first), the neon
edge light and the style's colour treatment (applied last, to the whole canvas). None of it moves a pixel of
geometry, so the drawn face's landmarks stay valid.
"""

from __future__ import annotations

import cv2
import numpy as np

from avatar_mcp.providers.local._drawing import Colour, FloatImage, Painter, ellipse, mix, rgb, soften


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
