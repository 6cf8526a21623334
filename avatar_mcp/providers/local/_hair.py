"""Hair styles for the local studio's illustrated portraits, as polygons in head design coordinates.

`hair_shape` builds one style (short, swept, buzz, curly, curly_long, long, long_side, bob, bun, ponytail, bald)
as back, side and front polygons plus strand lines; the portrait layers and colours them (see portraits.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avatar_mcp.providers.local._drawing import Points, ellipse, mirror, resample, ribbon, spline


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
