"""The body and its clothing in the local studio's illustrated portraits.

Neck, torso and garment (t-shirt, shirt, blouse, sweater, hoodie, jacket, suit, dress) with its neckline, collar,
lapels and tie; for full-body framing also arms, hands, legs and shoes. Coordinates: origin at the chin, unit = face
half-width, y down (the same unit as the head, so body and face always match in scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avatar_mcp.providers.local._drawing import (
    Colour,
    Frame,
    Painter,
    Points,
    ellipse,
    mirror,
    mix,
    rgb,
    ribbon,
    scale,
    spline,
)


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
