"""Illustrated portrait candidates for the local studio's offline "AI photo avatar".

HeyGen turns the eight photo-checklist fields into generated photos; offline we cannot run an image model, so we
draw honest flat illustrations (never presented as photos) from the same fields. Because we draw the face ourselves
we know its geometry exactly: every portrait comes with the 68 dlib-layout landmarks of the drawn face, which the
2D talking-head rig needs, so no detector has to find a face in an illustration.

Design coordinates for the head: origin between the eyes, unit = half the face width, y down. Eyes sit on y = 0,
brows near -0.35, nose tip 0.42, mouth 0.85, chin 1.31, skull top -1.42. Every drawn feature and its landmarks are
generated from the same numbers, then mapped to pixels through one `Frame` (scale, position, head tilt).

This module is the public API and the composition (layout, backdrop, layering). The parts: _fields.py (field
checking, appearance text), _look.py (palettes, one candidate's look), _head.py (face geometry, landmarks and
face drawing), _hair.py, _clothing.py, _grading.py (backdrops, style grade) and _drawing.py (primitives).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatar_mcp.providers.local import _drawing as d
from avatar_mcp.providers.local._clothing import Outfit, draw_body
from avatar_mcp.providers.local._drawing import Frame, Painter, mix, rgb, scale
from avatar_mcp.providers.local._fields import (
    AGES,
    CANVAS,
    ETHNICITIES,
    FIELD_VALUES,
    GENDERS,
    MAX_APPEARANCE,
    ORIENTATIONS,
    POSES,
    STYLES,
    Appearance,
    choice,
    normalise_fields,
    parse_appearance,
)
from avatar_mcp.providers.local._grading import backdrop, grade, neon_backdrop, rim_light
from avatar_mcp.providers.local._hair import hair_shape
from avatar_mcp.providers.local._head import draw_beard, draw_face, draw_glasses, draw_hair_front, face_geometry
from avatar_mcp.providers.local._look import BACKDROPS, CLOTH, Look, resolve, seed

__all__ = [
    "AGES", "ETHNICITIES", "FIELD_VALUES", "GENDERS", "MAX_APPEARANCE", "ORIENTATIONS", "POSES", "STYLES",
    "Appearance", "DrawnPortrait", "canvas_size", "draw_candidates", "draw_portrait", "normalise_fields",
    "parse_appearance",
]


@dataclass(frozen=True)
class DrawnPortrait:
    """One illustrated candidate and the exact geometry of the face drawn in it."""

    image: NDArray[np.uint8]  # BGR uint8 (OpenCV convention)
    points: NDArray[np.float64]  # (68, 2) dlib-order landmarks of the drawn face, image pixels
    cues: list[str]  # appearance cues that were understood, e.g. ["red hair", "glasses", "green jacket"]
    description: str  # one honest sentence, e.g. "Illustrated portrait (not a photo): senior woman, close-up, ..."


def canvas_size(orientation: str) -> tuple[int, int]:
    """(width, height) of the canvas for an orientation: square 768x768, horizontal 1024x768, vertical 768x1024."""
    return CANVAS[choice("orientation", orientation)]


def _layout(pose: str, w: int, h: int) -> tuple[float, float, float]:
    """(unit, x, y): face half-width in pixels and where the point between the eyes goes."""
    if pose == "close_up":
        return 0.245 * min(w, h), w / 2, h * (0.47 if h <= w else 0.43)
    if pose == "half_body":
        return 0.115 * min(w, h), w / 2, h * (0.34 if h <= w else 0.3)
    unit = 0.87 * h / 15.6
    return unit, w / 2, 0.045 * h + 1.8 * unit


def _draw_backdrop(p: Painter, look: Look, frame: Frame, rng: np.random.Generator) -> None:
    style, person = look.f["style"], seed(look.f["name"], look.f["ethnicity"])
    glow = (frame.ox, frame.oy - frame.unit * 0.3, frame.unit * 3.2)
    if style == "Cyberpunk":
        neon_backdrop(p, rng)
        return
    if style == "Noir":  # a dark wall with a spotlight behind the head
        k = float(look.skin @ np.array([0.299, 0.587, 0.114], np.float32)) / 0.68  # undo the grade's exposure
        backdrop(p, scale(rgb(80, 80, 80), k), scale(rgb(16, 16, 16), k), glow, scale(rgb(170, 170, 170), k))
        return
    top, bottom = (rgb(*c) for c in BACKDROPS[(person + look.variant) % len(BACKDROPS)])
    if "background" in look.app.colours:
        c = look.app.colours["background"]
        top, bottom = mix(c, rgb(255, 255, 255), 0.35), scale(c, 0.8)
    if style == "Cinematic":
        top, bottom = mix(top, rgb(20, 46, 54), 0.75), mix(bottom, rgb(8, 20, 26), 0.8)
    backdrop(p, top, bottom, glow, mix(top, rgb(255, 255, 255), 0.5))
    if style == "Cinematic":  # out-of-focus warm lights behind the subject
        for _ in range(9):
            x, y, r = rng.uniform(0, p.w), rng.uniform(0, p.h * 0.7), rng.uniform(0.02, 0.06) * p.w
            p.fill(d.ellipse(x, y, r, r), rgb(255, 176, 96), rng.uniform(0.15, 0.35), blur=r * 0.25)
    else:  # a large soft disc behind the head, shifted per candidate, for a friendly studio look
        dx = [-1.2, 1.4, 0.0, -0.6][look.variant % 4] * frame.unit
        p.fill(d.ellipse(frame.ox + dx, frame.oy + frame.unit * 0.6, frame.unit * 2.6, frame.unit * 2.6),
               mix(top, bottom, 0.25), 0.5, blur=frame.unit * 0.05)


def _outfit(look: Look, full_body: bool) -> Outfit:
    rng = np.random.default_rng(seed("outfit", look.f["name"], look.variant))
    colours = look.app.colours
    idx = rng.permutation(len(CLOTH))
    main = colours.get(look.outfit_kind, rgb(*CLOTH[(look.variant * 3 + idx[0]) % len(CLOTH)]))
    inner_kind = "shirt" if look.outfit_kind == "suit" else "tshirt"
    inner = next((colours[g] for g in ("shirt", "tshirt", "blouse", "sweater") if g in colours), None)
    if inner is None:
        inner = rgb(*[(246, 246, 244), (200, 220, 240), (236, 236, 230), (250, 244, 236)][look.variant % 4])
        if inner_kind == "tshirt" and look.variant % 2:
            inner = rgb(*CLOTH[idx[1]])
    tie = colours.get("tie")
    if tie is None and ((look.outfit_kind == "suit" and look.masc >= 0.5) or "tie" in look.app.garments):
        tie = rgb(*CLOTH[idx[2]])
    return Outfit(
        garment=look.outfit_kind, main=main, inner=inner,
        trousers=main if look.outfit_kind == "suit" else rgb(*[(52, 56, 72), (62, 86, 124)][look.variant % 2]),
        shoes=rgb(58, 40, 32), tie=tie, skin=look.skin, shoulders=1.78 + 0.27 * look.masc, neck=0.4 + 0.08 * look.masc,
        full_body=full_body, cut=look.variant % 4,
    )


def _describe(f: Mapping[str, str]) -> str:
    age = {"Young Adult": "young adult", "Early Middle Age": "early-middle-aged", "Late Middle Age": "late-middle-aged",
           "Senior": "senior"}.get(f["age"], "")
    eth = "" if f["ethnicity"] == "Unspecified" else f["ethnicity"]
    who = " ".join(w for w in (age, eth, {"Woman": "woman", "Man": "man"}.get(f["gender"], "person")) if w)
    pose = {"close_up": "close-up", "half_body": "half-body", "full_body": "full-body"}[f["pose"]]
    style = "flat illustration style" if f["style"] == "Unspecified" else f"{f['style']} style"
    return f"Illustrated portrait (not a photo): {who}, {pose}, {style}."


def draw_portrait(fields: Mapping[str, str], variant: int) -> DrawnPortrait:
    """Draw candidate `variant` (0..3 differ most visibly) for the photo-checklist fields; deterministic.

    Returns the BGR image, the 68 dlib-order landmarks of the drawn face, the appearance cues used and an honest
    one-sentence description. Raises ValueError for an unknown enum value or an over-long appearance.
    """
    f = normalise_fields(fields)
    look = resolve(f, variant)
    w, h = CANVAS[f["orientation"]]
    unit, cx, cy = _layout(f["pose"], w, h)
    # Tilt about a point low on the face, so the chin stays over the (untilted) neck.
    a = np.radians(look.tilt)
    frame = Frame(cx + unit * np.sin(a), cy + unit * (1 - np.cos(a)), unit, look.tilt)
    body = Frame(cx, cy + unit * 1.31, unit)
    rng = np.random.default_rng(seed("draw", f["name"], variant))
    p = Painter(w, h)
    _draw_backdrop(p, look, frame, rng)
    face = face_geometry(look)
    hair = hair_shape(look.hair_style, look.masc, look.variant)
    for poly in hair.back:
        m = p.fill(frame(poly), look.hair, figure=True)
        p.inner_shadow(m, scale(look.hair, 0.65), 0, -unit * 0.1, unit * 0.2, 0.7)
    draw_body(p, body, _outfit(look, f["pose"] == "full_body"))
    draw_face(p, frame, look, face, hair)
    draw_hair_front(p, frame, look, hair)
    if "earrings" in look.app.flags or (look.masc < 0.5 and look.hair_style in ("bun", "ponytail", "short")):
        for side in (-1.0, 1.0):
            p.fill(frame(d.ellipse(side * 1.0, 0.5, 0.05, 0.05, n=16)), rgb(222, 186, 92))
    draw_beard(p, frame, look, face)
    draw_glasses(p, frame, look, face)
    if f["style"] == "Cyberpunk":
        rim_light(p, rgb(255, 60, 200), rgb(40, 230, 255), unit * 0.12)
    grade(p, f["style"], rng, look.skin)
    return DrawnPortrait(p.to_bgr(), frame(face.points), list(look.app.cues), _describe(f))


def draw_candidates(fields: Mapping[str, str], count: int = 4) -> list[DrawnPortrait]:
    """`count` visibly different candidates (hair, clothing, backdrop, tilt, expression) for the same fields."""
    normalise_fields(fields)  # fail fast, before drawing anything
    return [draw_portrait(fields, v) for v in range(count)]
