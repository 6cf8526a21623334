"""The drawn head of the local studio's portraits: face geometry with its 68 landmarks, and painting it.

Design coordinates (see portraits.py): origin between the eyes, unit = half the face width, y down. `face_geometry`
builds the face outline and the 68 dlib-order landmarks from the look; the `draw_*` functions paint the face
(ears, shading, nose, eyes, brows, mouth, age lines), the hair over the forehead, beard and glasses from exactly
those numbers, so the landmarks match what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatar_mcp.providers.local import _drawing as d
from avatar_mcp.providers.local._drawing import Frame, Painter, Points, mirror, mix, rgb, scale, spline
from avatar_mcp.providers.local._hair import Hair
from avatar_mcp.providers.local._look import Look, seed

# ---------------------------------------------------------------------------------------------- face geometry

_FEM = np.array([(0, -1.42), (0.62, -1.26), (0.93, -0.84), (1.0, -0.3), (0.98, 0.15), (0.92, 0.52), (0.78, 0.86),
                 (0.55, 1.12), (0.28, 1.27), (0, 1.31)])
_MASC = np.array([(0, -1.42), (0.64, -1.27), (0.96, -0.84), (1.04, -0.3), (1.04, 0.15), (1.01, 0.52),
                  (0.93, 0.86), (0.72, 1.13), (0.4, 1.28), (0, 1.31)])
_SEG = 12  # spline samples per control segment of the face outline


@dataclass(frozen=True)
class Face:
    outline: Points  # closed, local
    points: Points  # (68, 2) local
    eye_centres: Points  # (2, 2)
    iris: float  # iris radius


def face_geometry(look: Look) -> Face:
    ctrl = _FEM + (_MASC - _FEM) * look.masc
    ctrl[:, 0] *= np.where(ctrl[:, 1] > 0.3, look.jaw, 1.0)
    if look.eye_scale > 1:  # Pixar: rounder, fuller cheeks
        ctrl[:, 0] *= 1 + 0.05 * np.exp(-(((ctrl[:, 1] - 0.55) / 0.45) ** 2))
    loop = np.vstack([ctrl, mirror(ctrl[-2:0:-1])])
    outline = spline(loop, _SEG, closed=True)
    right = outline[: (len(ctrl) - 1) * _SEG + 1]  # skull top -> chin down the image-right side
    y0 = -0.08  # dlib's jaw starts roughly level with the eyes
    k = int(np.argmax(right[:, 1] >= y0))
    t = (y0 - right[k - 1, 1]) / (right[k, 1] - right[k - 1, 1])
    lower = np.vstack([right[k - 1] + t * (right[k] - right[k - 1]), right[k:]])
    jaw = d.resample(np.vstack([mirror(lower), lower[::-1][1:]]), 17)

    e, fem = look.eye_scale, 1.0 - look.masc
    ex, hw, uh, lh = 0.42 + 0.02 * (e - 1) / 0.22, 0.2 * e, (0.115 + 0.01 * fem) * e, 0.07 * e
    cx = -ex
    left_eye = np.array([(cx - hw, 0.012 - 0.012 * fem), (cx - 0.4 * hw, -uh), (cx + 0.3 * hw, -uh * 0.96),
                         (cx + 0.94 * hw, 0.02), (cx + 0.32 * hw, lh), (cx - 0.4 * hw, lh * 0.95)])
    right_eye = mirror(left_eye[[3, 2, 1, 0, 5, 4]])
    lift = 0.03 * (e - 1) / 0.22 + [0.0, 0.02, 0.01, -0.01][look.variant % 4]
    left_brow = np.array([(-0.72, -0.27), (-0.6, -0.36), (-0.45, -0.395), (-0.31, -0.38), (-0.17, -0.33)])
    left_brow[:, 1] -= lift
    nose = np.array([(0, -0.03), (0, 0.12), (0, 0.27), (0, 0.42), (-0.17, 0.52), (-0.085, 0.55), (0, 0.565),
                     (0.085, 0.55), (0.17, 0.52)])
    s, full = look.smile, 1.0 + 0.15 * fem - 0.1 * (look.wrinkles > 0.9)
    mw, ym = 0.32 + 0.04 * s, 0.85

    def line(x: float) -> float:  # the closed lips' meeting line, curving up towards the corners when smiling
        return ym - (0.02 + 0.05 * s) * (abs(x) / mw) ** 2

    outer = [(-mw, line(mw)), (-0.2, line(0.2) - 0.055 * full), (-0.085, ym - 0.1 * full), (0, ym - 0.082 * full),
             (0.085, ym - 0.1 * full), (0.2, line(0.2) - 0.055 * full), (mw, line(mw)),
             (0.2, line(0.2) + 0.075 * full), (0.085, ym + 0.105 * full), (0, ym + 0.11 * full),
             (-0.085, ym + 0.105 * full), (-0.2, line(0.2) + 0.075 * full)]
    ix = mw - 0.04
    inner = [(-ix, line(ix)), (-0.12, line(0.12)), (0, ym), (0.12, line(0.12)), (ix, line(ix)),
             (0.12, line(0.12) + 0.004), (0, ym + 0.004), (-0.12, line(0.12) + 0.004)]
    points = np.vstack([jaw, left_brow, mirror(left_brow[::-1]), nose, left_eye, right_eye, outer, inner])
    return Face(outline, points, np.array([(-ex, 0.0), (ex, 0.0)]), 0.1 * e)


# ---------------------------------------------------------------------------------------------- drawing the head


def draw_face(p: Painter, fr: Frame, look: Look, face: Face, hair: Hair) -> None:
    u, pts, skin = fr.unit, face.points, look.skin
    shade, deep = scale(skin, 0.86), scale(skin, 0.7)
    shaded = look.f["style"] in ("Realistic", "Cinematic", "Noir", "Pixar")  # styles with modelled light
    for side in (-1.0, 1.0):  # ears sit behind the face outline
        ear = p.fill(fr(d.ellipse(side * 0.98, 0.2, 0.17, 0.3, angle=side * 8)), scale(skin, 0.95), figure=True)
        p.inner_shadow(ear, shade, side * u * 0.06, 0, u * 0.04, 0.8)
        p.stroke(fr(spline([(side * 1.02, 0.05), (side * 1.07, 0.2), (side * 1.02, 0.38)], 6)), deep, u * 0.03, 0.6)
    for poly in hair.side:
        p.fill(fr(poly), look.hair, figure=True)
    fm = p.fill(fr(face.outline), skin, figure=True)
    assert fm is not None
    clip = fm.full((p.h, p.w))
    # Soft shading: light from the upper left, a darker rim all round gives the head volume.
    p.inner_shadow(fm, shade, -u * 0.2, -u * 0.12, u * (0.22 if shaded else 0.14), 0.9 if shaded else 0.6)
    p.inner_shadow(fm, shade, 0, 0, u * 0.08, 0.5)
    for poly in hair.front:  # the fringe's shadow on the forehead
        p.fill(fr(poly + np.array([0.03, 0.07])), deep, 0.35, blur=u * 0.05, clip=clip)
    for side in (-1.0, 1.0):
        p.fill(fr(d.ellipse(side * 0.56, 0.42, 0.22, 0.13)), rgb(232, 110, 110), 0.16 + 0.08 * (look.eye_scale > 1),
               blur=u * 0.09, clip=clip)
        if shaded:  # under the cheekbone
            p.fill(fr(d.ellipse(side * 0.72, 0.7, 0.16, 0.3, angle=-side * 25)), shade, 0.35, blur=u * 0.1, clip=clip)
    _lines(p, fr, look, face, clip)
    # Nose: no outline, just shading the way flat illustrations do it.
    p.stroke(fr(spline([(0.1, 0.02), (0.12, 0.22), (0.14, 0.4)], 6)), shade, u * 0.06, 0.5, blur=u * 0.03)
    p.fill(fr(d.ellipse(0, 0.58, 0.17, 0.05)), deep, 0.4, blur=u * 0.03)
    for side in (-1.0, 1.0):
        p.stroke(fr(spline([(side * 0.15, 0.43), (side * 0.19, 0.5), (side * 0.13, 0.55)], 6)), deep, u * 0.02, 0.5)
        p.fill(fr(d.ellipse(side * 0.07, 0.535, 0.036, 0.017, angle=side * 15)), scale(skin, 0.5), 0.55, blur=0.6)
    p.fill(fr(d.ellipse(-0.02, 0.4, 0.06, 0.045)), rgb(255, 255, 255), 0.25, blur=u * 0.03)
    for eye, centre in ((pts[36:42], face.eye_centres[0]), (pts[42:48], face.eye_centres[1])):
        _eye(p, fr, look, eye, centre, face.iris, clip)
    brow = mix(scale(look.hair, 0.75), rgb(40, 30, 26), 0.35 if float(look.hair.mean()) > 0.45 else 0.0)
    for b in (pts[17:22], pts[22:27]):
        path = spline(b if b[0, 0] < 0 else b[::-1], 6)  # outer -> inner on both sides
        widths = np.array([0.035, 0.06, 0.075, 0.08]) * (1 + 0.35 * look.masc)
        p.fill(fr(d.ribbon(path, widths)), brow, 0.95, blur=u * 0.006)
    _mouth(p, fr, look, pts, clip)
    if "freckles" in look.app.flags:
        rng = np.random.default_rng(seed("freckles", look.variant))
        for _ in range(30):
            x, y = rng.uniform(-0.7, 0.7), rng.uniform(0.15, 0.5)
            if abs(x) > 0.12 or y > 0.3:
                p.fill(fr(d.ellipse(x, y, 0.018, 0.018, n=12)), scale(skin, 0.72), 0.45)


def _lines(p: Painter, fr: Frame, look: Look, face: Face, clip: NDArray[np.float32]) -> None:
    """Age: smile folds, crow's feet, forehead and under-eye lines, stronger with age."""
    w, u = look.wrinkles, fr.unit
    if w <= 0:
        return
    line = scale(look.skin, 0.72)
    mw = abs(face.points[48, 0])
    for side in (-1.0, 1.0):
        fold = spline([(side * 0.2, 0.5), (side * (mw + 0.02), 0.66), (side * (mw + 0.1), 0.92)], 6)
        p.stroke(fr(fold), line, u * 0.03, 0.65 * w, blur=u * 0.015, clip=clip)
        if w >= 0.5:
            ex = side * face.eye_centres[1, 0]
            for k in (-1, 0, 1):
                crow = [(ex + side * 0.26, 0.01 * k), (ex + side * 0.36, 0.05 * k - 0.01)]
                p.stroke(fr(np.array(crow)), line, u * 0.018, 0.6 * w, clip=clip)
            under = d.ellipse(ex, 0.08, 0.15, 0.07, start=20, end=160, n=12)
            p.stroke(fr(under), line, u * 0.02, 0.55 * w, clip=clip)
    if w >= 0.5:
        for y in (-0.64, -0.74):
            p.stroke(fr(spline([(-0.4, y + 0.02), (0, y), (0.4, y + 0.02)], 6)), line, u * 0.02, 0.5 * w, clip=clip)


def _eye(p: Painter, fr: Frame, look: Look, eye: Points, centre: Points, iris: float, clip: NDArray[np.float32]
         ) -> None:
    u, skin = fr.unit, look.skin
    outer_left = eye[0, 0] < eye[3, 0] and eye[0, 0] < 0  # left-in-image eye lists outer corner first
    upper = spline(eye[[0, 1, 2, 3]], 8)
    lower = spline(eye[[3, 4, 5, 0]], 8)
    cx = float(centre[0])
    p.fill(fr(d.ellipse(cx, -0.09, 0.3, 0.16)), scale(skin, 0.86), 0.45, blur=u * 0.06, clip=clip)
    white = np.vstack([upper, lower[1:-1]])
    wm = p.fill(fr(white), rgb(246, 244, 240))
    assert wm is not None
    wclip = wm.full((p.h, p.w))
    gaze = [0.0, 0.015, -0.015, 0.0][look.variant % 4]
    ic = (cx + gaze, -0.012)
    p.fill(fr(d.ellipse(*ic, iris, iris)), scale(look.eyes, 0.7), clip=wclip)
    p.fill(fr(d.ellipse(*ic, iris * 0.78, iris * 0.78)), look.eyes, clip=wclip, blur=u * 0.01)
    p.fill(fr(d.ellipse(ic[0], ic[1] + iris * 0.3, iris * 0.5, iris * 0.35)), mix(look.eyes, rgb(255, 255, 255), 0.3),
           0.45, blur=u * 0.02, clip=wclip)
    p.fill(fr(d.ellipse(*ic, iris * 0.45, iris * 0.45)), rgb(18, 14, 14), clip=wclip)
    p.fill(fr(d.ellipse(ic[0] - iris * 0.35, ic[1] - iris * 0.35, iris * 0.22, iris * 0.22)), rgb(255, 255, 255), 0.9)
    # The upper lid's shadow on the eyeball.
    p.fill(fr(upper + np.array([0, 0.03])), rgb(60, 40, 40), 0.25, blur=u * 0.025, clip=wclip)
    lash = scale(mix(look.hair, rgb(20, 14, 12), 0.75), 1.0)
    thick, thin = 0.03 + 0.035 * (1 - look.masc), 0.018 + 0.01 * (1 - look.masc)
    ends = (thick, thin) if outer_left else (thin, thick)
    p.fill(fr(d.ribbon(upper, np.linspace(*ends, len(upper)))), lash)
    if look.masc < 0.5:  # a small outer flick reads as lashes
        o = eye[0]
        flick = np.array([o, o + np.array([-0.06 if outer_left else 0.06, -0.04])])
        p.stroke(fr(flick), lash, u * 0.025)
    p.stroke(fr(lower), scale(skin, 0.7), u * 0.015, 0.6)
    p.stroke(fr(upper[2:-2] + np.array([0, -0.07])), scale(skin, 0.75), u * 0.02, 0.55, blur=u * 0.01)  # crease


def _mouth(p: Painter, fr: Frame, look: Look, pts: Points, clip: NDArray[np.float32]) -> None:
    u = fr.unit
    meet = spline(pts[[60, 61, 62, 63, 64]], 6)
    upper = np.vstack([spline(pts[48:55], 6), meet[::-1]])
    lower = np.vstack([spline(pts[[54, 55, 56, 57, 58, 59, 48]], 6), meet])
    p.fill(fr(d.ellipse(0, 1.03, 0.2, 0.05)), scale(look.skin, 0.82), 0.45, blur=u * 0.04, clip=clip)
    p.fill(fr(upper), scale(look.lips, 0.86))
    lm = p.fill(fr(lower), look.lips)
    p.inner_shadow(lm, scale(look.lips, 0.8), 0, -u * 0.03, u * 0.03, 0.6)
    p.fill(fr(d.ellipse(0.1, pts[57, 1] - 0.04, 0.07, 0.02)), rgb(255, 255, 255), 0.1 + 0.15 * float(look.skin.mean()),
           blur=u * 0.02)
    seam = spline(pts[[48, 61, 62, 63, 54]], 8)
    p.stroke(fr(seam), scale(look.lips, 0.45), u * 0.022, 0.9)
    for corner in (pts[48], pts[54]):
        p.fill(fr(d.ellipse(corner[0], corner[1], 0.035, 0.03, n=16)), scale(look.skin, 0.66), 0.5, blur=u * 0.015)


def draw_hair_front(p: Painter, fr: Frame, look: Look, hair: Hair) -> None:
    u = fr.unit
    dark, light = scale(look.hair, 0.68), mix(look.hair, rgb(255, 250, 240), 0.3)
    for poly in hair.front:
        m = p.fill(fr(poly), look.hair, figure=True)
        if m is None:
            continue
        p.inner_shadow(m, dark, u * 0.1, u * 0.06, u * 0.1, 0.6)
        hclip = m.full((p.h, p.w))
        p.fill(fr(d.ellipse(-0.3, -1.22, 0.5, 0.14, angle=-18)), light, 0.4, blur=u * 0.07, clip=hclip)
        for path in hair.strands:
            p.stroke(fr(path), dark, u * 0.022, hair.texture, clip=hclip)


def draw_beard(p: Painter, fr: Frame, look: Look, face: Face) -> None:
    flags = look.app.flags & {"beard", "moustache", "stubble"}
    if not flags:
        return
    pts, u = face.points, fr.unit
    colour = scale(look.hair, 0.9)
    mw = abs(pts[48, 0])
    tache = np.vstack([spline([(-mw - 0.07, pts[48, 1] + 0.02), (-0.3, 0.69), (-0.1, 0.63), (0, 0.65), (0.1, 0.63),
                               (0.3, 0.69), (mw + 0.07, pts[54, 1] + 0.02)], 6),
                       spline(pts[[54, 53, 52, 51, 50, 49, 48]] + (0, -0.015), 4)])
    shapes = [tache]
    if flags & {"beard", "stubble"}:
        jaw = pts[0:17] * 1.03 + (0, -0.01)
        inner = np.array([(0.95, 0.0), (0.9, 0.42), (0.66, 0.7), (mw + 0.1, 0.8), (mw + 0.07, 0.98), (0.25, 1.06),
                          (0, 1.07)])
        shapes.append(np.vstack([spline(jaw, 4), spline(np.vstack([inner, mirror(inner[-2::-1])]), 5)]))
    if "stubble" in flags and "beard" not in flags:  # a cool shadow rather than hair
        colour, alpha, blur = mix(scale(look.skin, 0.62), rgb(70, 78, 96), 0.25), 0.4, u * 0.035
    else:
        alpha, blur = 1.0, u * 0.012
    for poly in shapes:
        m = p.fill(fr(poly), colour, alpha, blur=blur)
        if alpha == 1.0:
            p.inner_shadow(m, scale(colour, 0.72), u * 0.06, u * 0.05, u * 0.06, 0.6)


def draw_glasses(p: Painter, fr: Frame, look: Look, face: Face) -> None:
    if not look.glasses:
        return
    u, e = fr.unit, look.eye_scale
    frame = rgb(38, 32, 32) if look.variant % 4 < 2 else rgb(112, 70, 42)
    rx, ry = 0.27 * e, (0.24 if look.glasses == "round" else 0.2) * e
    for cx in face.eye_centres[:, 0]:
        a = np.radians(np.linspace(0, 360, 60, endpoint=False))
        power = 1.0 if look.glasses == "round" else 0.5  # superellipse: rounded rectangle frames
        lens = np.stack([cx + rx * np.sign(np.cos(a)) * np.abs(np.cos(a)) ** power,
                         0.01 + ry * np.sign(np.sin(a)) * np.abs(np.sin(a)) ** power], axis=1)
        p.fill(fr(lens), rgb(230, 240, 255), 0.1)
        p.stroke(fr(np.array([(cx - rx * 0.5, -ry * 0.5), (cx - rx * 0.1, ry * 0.4)])), rgb(255, 255, 255), u * 0.04,
                 0.25)
        p.stroke(fr(np.vstack([lens, lens[:1]])), frame, u * 0.04)
        side = np.sign(cx)
        p.stroke(fr(np.array([(cx + side * rx, -0.03), (side * 0.99, -0.06)])), frame, u * 0.035)
    ex = face.eye_centres[1, 0]
    p.stroke(fr(spline([(-ex + rx, -0.03), (0, -0.07), (ex - rx, -0.03)], 6)), frame, u * 0.035)
