"""Illustrated portrait candidates for the local studio's offline "AI photo avatar".

HeyGen turns the eight photo-checklist fields into generated photos; offline we cannot run an image model, so we
draw honest flat illustrations (never presented as photos) from the same fields. Because we draw the face ourselves
we know its geometry exactly: every portrait comes with the 68 dlib-layout landmarks of the drawn face, which the
2D talking-head rig needs, so no detector has to find a face in an illustration.

Design coordinates for the head: origin between the eyes, unit = half the face width, y down. Eyes sit on y = 0,
brows near -0.35, nose tip 0.42, mouth 0.85, chin 1.31, skull top -1.42. Every drawn feature and its landmarks are
generated from the same numbers, then mapped to pixels through one `Frame` (scale, position, head tilt).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avatar_mcp.providers.local import _drawing as d
from avatar_mcp.providers.local._drawing import (
    Colour,
    Frame,
    Hair,
    Painter,
    Points,
    hair_shape,
    mirror,
    mix,
    rgb,
    scale,
    spline,
)

AGES = ("Young Adult", "Early Middle Age", "Late Middle Age", "Senior", "Unspecified")
GENDERS = ("Woman", "Man", "Unspecified")
ETHNICITIES = ("White", "Black", "Asian American", "East Asian", "South East Asian", "South Asian", "Middle Eastern",
               "Pacific", "Hispanic", "Unspecified")
ORIENTATIONS = ("square", "horizontal", "vertical")
POSES = ("half_body", "close_up", "full_body")
STYLES = ("Realistic", "Pixar", "Cinematic", "Vintage", "Noir", "Cyberpunk", "Unspecified")
FIELD_VALUES: Mapping[str, tuple[str, ...]] = {
    "age": AGES, "gender": GENDERS, "ethnicity": ETHNICITIES, "orientation": ORIENTATIONS, "pose": POSES,
    "style": STYLES,
}
_DEFAULTS = {"age": "Unspecified", "gender": "Unspecified", "ethnicity": "Unspecified", "orientation": "square",
             "pose": "half_body", "style": "Unspecified"}
_CANVAS = {"square": (768, 768), "horizontal": (1024, 768), "vertical": (768, 1024)}
MAX_APPEARANCE = 1000


@dataclass(frozen=True)
class DrawnPortrait:
    """One illustrated candidate and the exact geometry of the face drawn in it."""

    image: NDArray[np.uint8]  # BGR uint8 (OpenCV convention)
    points: NDArray[np.float64]  # (68, 2) dlib-order landmarks of the drawn face, image pixels
    cues: list[str]  # appearance cues that were understood, e.g. ["red hair", "glasses", "green jacket"]
    description: str  # one honest sentence, e.g. "Illustrated portrait (not a photo): senior woman, close-up, ..."


def canvas_size(orientation: str) -> tuple[int, int]:
    """(width, height) of the canvas for an orientation: square 768x768, horizontal 1024x768, vertical 768x1024."""
    return _CANVAS[_choice("orientation", orientation)]


def _choice(name: str, value: str) -> str:
    allowed = FIELD_VALUES[name]
    canon = {v.lower(): v for v in allowed}.get(str(value).strip().lower())
    if canon is None:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return canon


def normalise_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """Validated, canonical fields. Enums match case-insensitively; missing enums take neutral defaults.

    Raises ValueError naming the field and its allowed values for an unknown value, or for an appearance text
    longer than 1000 characters.
    """
    out = {k: _choice(k, fields.get(k, default)) for k, default in _DEFAULTS.items()}
    appearance = str(fields.get("appearance", "") or "")
    if len(appearance) > MAX_APPEARANCE:
        raise ValueError(f"appearance must be at most {MAX_APPEARANCE} characters; got {len(appearance)}")
    out["appearance"] = appearance
    out["name"] = str(fields.get("name", "") or "")
    return out


# ---------------------------------------------------------------------------------------------- appearance text

_COLOURS = {
    "red": (178, 52, 48), "auburn": (140, 62, 38), "ginger": (196, 98, 45), "copper": (184, 92, 50),
    "blonde": (226, 196, 128), "blond": (226, 196, 128), "golden": (218, 170, 80), "gold": (212, 170, 70),
    "brown": (110, 72, 45), "chestnut": (120, 66, 40), "black": (32, 30, 34), "grey": (150, 150, 152),
    "gray": (150, 150, 152), "silver": (196, 198, 202), "white": (240, 240, 236), "blue": (58, 100, 186),
    "navy": (32, 42, 82), "green": (58, 136, 82), "olive": (110, 115, 60), "teal": (30, 128, 128),
    "hazel": (135, 105, 55), "purple": (110, 62, 146), "violet": (130, 84, 180), "pink": (230, 140, 172),
    "orange": (232, 122, 42), "yellow": (236, 200, 60), "beige": (214, 196, 166), "cream": (240, 230, 205),
    "maroon": (110, 30, 45), "burgundy": (118, 30, 52), "khaki": (190, 170, 120), "tan": (200, 160, 110),
    "charcoal": (62, 64, 68), "turquoise": (60, 190, 190), "lavender": (180, 160, 220), "dark": (50, 48, 54),
}
_PER_TARGET = {  # what a colour word means for hair, eyes and lips (red hair is copper, not fire-engine red)
    "hair": {"red": (168, 66, 38), "black": (34, 30, 32), "brown": (102, 68, 44), "white": (226, 226, 222),
             "dark": (56, 40, 32),
             "grey": (160, 160, 162), "gray": (160, 160, 162), "silver": (200, 202, 206), "gold": (214, 176, 96),
             "golden": (214, 176, 96)},
    "eyes": {"blue": (78, 124, 186), "green": (86, 136, 84), "brown": (96, 60, 32), "grey": (128, 140, 150),
             "gray": (128, 140, 150), "black": (44, 30, 24), "hazel": (136, 106, 56)},
    "lips": {"red": (176, 38, 52), "pink": (214, 108, 138), "purple": (120, 50, 96), "brown": (130, 70, 60)},
}
_MODIFIERS = {"dark": 0.62, "deep": 0.7, "light": 1.35, "pale": 1.4, "bright": 1.15}
_GARMENTS = {"shirt": "shirt", "t-shirt": "tshirt", "tshirt": "tshirt", "tee": "tshirt", "suit": "suit",
             "jacket": "jacket", "blazer": "jacket", "coat": "jacket", "hoodie": "hoodie", "sweater": "sweater",
             "jumper": "sweater", "sweatshirt": "sweater", "cardigan": "sweater", "dress": "dress",
             "blouse": "blouse", "tie": "tie"}
_TARGETS = {"hair": "hair", "eyes": "eyes", "eye": "eyes", "lipstick": "lips", "lips": "lips",
            "background": "background", "backdrop": "background", **_GARMENTS}
_FLAGS = {"glasses": "glasses", "spectacles": "glasses", "eyeglasses": "glasses", "sunglasses": "glasses",
          "beard": "beard", "bearded": "beard", "moustache": "moustache", "mustache": "moustache",
          "stubble": "stubble", "curly": "curly hair", "bald": "bald", "smiling": "smiling", "smile": "smiling",
          "smiles": "smiling", "ponytail": "ponytail", "bun": "bun", "freckles": "freckles", "earrings": "earrings"}
_OUTER_FIRST = ("suit", "jacket", "hoodie", "sweater", "dress", "shirt", "blouse", "tshirt")


@dataclass
class Appearance:
    """What the free-text appearance asked for, as far as the illustrator understands it."""

    colours: dict[str, Colour]  # hair, eyes, lips, background, and garment kinds (shirt, suit, tie, ...)
    garments: list[str]  # garment kinds in order of mention
    flags: set[str]
    cues: list[str]


def parse_appearance(text: str) -> Appearance:
    """Find colour words with what they colour ("dark blue eyes", "navy suit") and known feature words."""
    colours: dict[str, Colour] = {}
    garments: list[str] = []
    flags: set[str] = set()
    cues: list[str] = []
    for clause in re.split(r"[,.;:!?()\n]+|\band\b|\bwith\b", text.lower()):
        toks = re.findall(r"[a-z]+(?:-[a-z]+)?", clause)
        coloured: set[int] = set()
        for i, tok in enumerate(toks):
            if tok in _COLOURS:
                for j in range(i + 1, min(i + 4, len(toks))):
                    if toks[j] in _COLOURS:
                        break
                    target = _TARGETS.get(toks[j])
                    if target is None:
                        continue
                    kind = target if target in ("hair", "eyes", "lips", "background") else _GARMENTS[toks[j]]
                    c = rgb(*_PER_TARGET.get(kind, {}).get(tok, _COLOURS[tok]))
                    mod = toks[i - 1] if i > 0 and toks[i - 1] in _MODIFIERS else ""
                    if mod:
                        k = _MODIFIERS[mod]
                        c = scale(c, k) if k < 1 else mix(c, rgb(255, 255, 255), k - 1)
                    colours.setdefault(kind, c)
                    cues.append(" ".join(w for w in (mod, tok, toks[j]) if w))
                    coloured.add(j)
                    break
            elif tok in _FLAGS:
                flags.add(_FLAGS[tok])
                cues.append(_FLAGS[tok])
            if tok in _GARMENTS:
                garments.append(_GARMENTS[tok])
                if i not in coloured:
                    cues.append(tok)
            if tok == "hair" and {"long", "short"} & set(toks[max(0, i - 3):i]):
                length = "long" if "long" in toks[max(0, i - 3):i] else "short"
                flags.add(f"{length} hair")
                cues.append(f"{length} hair")
    return Appearance(colours, garments, flags, list(dict.fromkeys(cues)))


# ---------------------------------------------------------------------------------------------- palettes

_SKIN = {  # several plausible tones per group; candidates walk through them
    "White": [(241, 212, 192), (232, 190, 163), (246, 222, 204), (224, 182, 152)],
    "Black": [(141, 88, 60), (112, 70, 48), (166, 112, 78), (94, 60, 42)],
    "Asian American": [(236, 200, 166), (222, 182, 144), (242, 212, 182)],
    "East Asian": [(240, 208, 176), (230, 194, 160), (245, 216, 190)],
    "South East Asian": [(214, 170, 126), (198, 152, 110), (226, 184, 142)],
    "South Asian": [(192, 138, 98), (170, 116, 82), (208, 154, 114), (150, 102, 72)],
    "Middle Eastern": [(222, 176, 136), (206, 160, 122), (232, 192, 152)],
    "Pacific": [(190, 136, 96), (170, 120, 86), (204, 152, 112)],
    "Hispanic": [(226, 182, 142), (206, 156, 116), (236, 196, 160), (186, 136, 98)],
}
_SKIN["Unspecified"] = [_SKIN[k][0] for k in ("White", "Hispanic", "South Asian", "Black", "East Asian")]
_HAIR = {"black": (36, 31, 33), "dark": (62, 43, 33), "brown": (104, 70, 46), "light": (150, 108, 70),
         "blonde": (212, 176, 112), "auburn": (142, 64, 38)}
_HAIR_BY_GROUP = {"White": ["brown", "blonde", "dark", "auburn", "light"], "Black": ["black", "dark"],
                  "Unspecified": ["dark", "brown", "black", "blonde"]}
_EYES_LIGHT = [(78, 124, 186), (96, 60, 32), (86, 136, 84), (136, 106, 56)]
_CLOTH = [(44, 62, 96), (178, 70, 58), (62, 118, 92), (220, 182, 96), (112, 86, 150), (206, 206, 210),
          (52, 52, 58), (170, 112, 78), (88, 138, 190), (236, 226, 212), (150, 40, 60), (40, 110, 120)]
_BACKDROPS = [((238, 224, 206), (206, 180, 158)), ((204, 224, 238), (150, 180, 212)),
              ((216, 232, 212), (160, 192, 162)), ((238, 214, 224), (198, 168, 200)),
              ((240, 232, 200), (214, 190, 140)), ((214, 220, 232), (170, 176, 196))]
_HAIRSTYLES = {"Woman": ["long", "bun", "bob", "long_side"], "Man": ["short", "swept", "curly", "buzz"],
               "Unspecified": ["bob", "short", "curly", "long_side"]}
_CLOTHES = {"Woman": ["blouse", "sweater", "jacket", "dress"], "Man": ["shirt", "sweater", "jacket", "suit"],
            "Unspecified": ["tshirt", "sweater", "jacket", "hoodie"]}
_WRINKLES = {"Young Adult": 0.0, "Early Middle Age": 0.3, "Late Middle Age": 0.6, "Senior": 1.0, "Unspecified": 0.1}


@dataclass(frozen=True)
class _Look:
    f: Mapping[str, str]
    variant: int
    app: Appearance
    masc: float  # 0 = feminine face shape, 1 = masculine
    skin: Colour
    hair: Colour
    eyes: Colour
    lips: Colour
    hair_style: str
    outfit_kind: str
    glasses: str  # "" | "round" | "square"
    smile: float
    tilt: float
    wrinkles: float
    eye_scale: float
    jaw: float


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little")


def _resolve(f: Mapping[str, str], variant: int) -> _Look:
    app = parse_appearance(f["appearance"])
    person = _seed(*(f[k] for k in sorted(f)))  # the same person across candidates: offsets into palettes
    gender, age, eth = f["gender"], f["age"], f["ethnicity"]
    tones = _SKIN[eth]
    skin = rgb(*tones[(person + variant) % len(tones)])
    if "hair" in app.colours:
        hair = app.colours["hair"]
    else:
        names = _HAIR_BY_GROUP.get(eth, ["black", "dark", "brown"])
        hair = rgb(*_HAIR[names[(person // 7 + variant) % len(names)]])
        hair = mix(hair, rgb(205, 205, 208), {"Senior": 0.85, "Late Middle Age": 0.35}.get(age, 0.0))
    eyes = app.colours.get("eyes", rgb(*(
        _EYES_LIGHT[(person // 13 + variant) % 4] if eth in ("White", "Unspecified") else (84, 52, 30))))
    darkness = 1.0 - float(skin.mean())
    lips = app.colours.get("lips", scale(mix(skin, rgb(196, 84, 96), 0.5 - 0.2 * darkness), 0.92 - 0.22 * darkness))
    # Hair: an explicit style word wins; otherwise each candidate gets a different style.
    styles = list(_HAIRSTYLES[gender])
    if age in ("Late Middle Age", "Senior") and gender == "Man":
        styles[2] = "bald"
    if age == "Senior" and gender == "Woman":
        styles[3] = "curly"
    curly = ["curly"] if gender == "Man" else ["curly_long", "curly"]
    forced = [opts for flag, opts in (
        ("bald", ["bald"]), ("ponytail", ["ponytail"]), ("bun", ["bun"]), ("curly hair", curly),
        ("long hair", ["long", "long_side"]), ("short hair", ["short", "bob", "swept", "buzz"]),
    ) if flag in app.flags]
    if forced:
        styles = forced[0]
    style = styles[variant % len(styles)]
    if style == "bald" and "hair" in app.colours and "bald" not in app.flags:
        style = "short"  # they asked for a hair colour, so show hair
    # Outfit: the outermost garment mentioned wins; otherwise rotate through a per-gender wardrobe.
    mentioned = [g for g in _OUTER_FIRST if g in app.garments]
    outfit = mentioned[0] if mentioned else _CLOTHES[gender][variant % 4]
    rng = np.random.default_rng(_seed(person, variant))
    smile = float(np.clip([0.3, 0.05, 0.6, 0.2][variant % 4] + (0.45 if "smiling" in app.flags else 0.0), 0, 1))
    return _Look(
        f=f, variant=variant, app=app, masc={"Woman": 0.0, "Man": 1.0}.get(gender, 0.5), skin=skin, hair=hair,
        eyes=eyes, lips=lips, hair_style=style, outfit_kind=outfit,
        glasses=("round" if variant % 2 else "square") if "glasses" in app.flags else "", smile=smile,
        tilt=float([-3.0, 2.5, -1.0, 4.0][variant % 4] + rng.uniform(-0.8, 0.8)), wrinkles=_WRINKLES[age],
        eye_scale=1.22 if f["style"] == "Pixar" else 1.0, jaw=float(rng.uniform(0.97, 1.03)),
    )


# ---------------------------------------------------------------------------------------------- face geometry

_FEM = np.array([(0, -1.42), (0.62, -1.26), (0.93, -0.84), (1.0, -0.3), (0.98, 0.15), (0.92, 0.52), (0.78, 0.86),
                 (0.55, 1.12), (0.28, 1.27), (0, 1.31)])
_MASC = np.array([(0, -1.42), (0.64, -1.27), (0.96, -0.84), (1.04, -0.3), (1.04, 0.15), (1.01, 0.52),
                  (0.93, 0.86), (0.72, 1.13), (0.4, 1.28), (0, 1.31)])
_SEG = 12  # spline samples per control segment of the face outline


@dataclass(frozen=True)
class _Face:
    outline: Points  # closed, local
    points: Points  # (68, 2) local
    eye_centres: Points  # (2, 2)
    iris: float  # iris radius


def _face(look: _Look) -> _Face:
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
    return _Face(outline, points, np.array([(-ex, 0.0), (ex, 0.0)]), 0.1 * e)


# ---------------------------------------------------------------------------------------------- drawing the head


def _draw_face(p: Painter, fr: Frame, look: _Look, face: _Face, hair: Hair) -> None:
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
        rng = np.random.default_rng(_seed("freckles", look.variant))
        for _ in range(30):
            x, y = rng.uniform(-0.7, 0.7), rng.uniform(0.15, 0.5)
            if abs(x) > 0.12 or y > 0.3:
                p.fill(fr(d.ellipse(x, y, 0.018, 0.018, n=12)), scale(skin, 0.72), 0.45)


def _lines(p: Painter, fr: Frame, look: _Look, face: _Face, clip: NDArray[np.float32]) -> None:
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


def _eye(p: Painter, fr: Frame, look: _Look, eye: Points, centre: Points, iris: float, clip: NDArray[np.float32]
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


def _mouth(p: Painter, fr: Frame, look: _Look, pts: Points, clip: NDArray[np.float32]) -> None:
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


def _draw_hair_front(p: Painter, fr: Frame, look: _Look, hair: Hair) -> None:
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


def _draw_beard(p: Painter, fr: Frame, look: _Look, face: _Face) -> None:
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


def _draw_glasses(p: Painter, fr: Frame, look: _Look, face: _Face) -> None:
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


# ---------------------------------------------------------------------------------------------- composition


def _layout(pose: str, w: int, h: int) -> tuple[float, float, float]:
    """(unit, x, y): face half-width in pixels and where the point between the eyes goes."""
    if pose == "close_up":
        return 0.245 * min(w, h), w / 2, h * (0.47 if h <= w else 0.43)
    if pose == "half_body":
        return 0.115 * min(w, h), w / 2, h * (0.34 if h <= w else 0.3)
    unit = 0.87 * h / 15.6
    return unit, w / 2, 0.045 * h + 1.8 * unit


def _draw_backdrop(p: Painter, look: _Look, frame: Frame, rng: np.random.Generator) -> None:
    style, person = look.f["style"], _seed(look.f["name"], look.f["ethnicity"])
    glow = (frame.ox, frame.oy - frame.unit * 0.3, frame.unit * 3.2)
    if style == "Cyberpunk":
        d.neon_backdrop(p, rng)
        return
    if style == "Noir":  # a dark wall with a spotlight behind the head
        k = float(look.skin @ np.array([0.299, 0.587, 0.114], np.float32)) / 0.68  # undo the grade's exposure
        d.backdrop(p, scale(rgb(80, 80, 80), k), scale(rgb(16, 16, 16), k), glow, scale(rgb(170, 170, 170), k))
        return
    top, bottom = (rgb(*c) for c in _BACKDROPS[(person + look.variant) % len(_BACKDROPS)])
    if "background" in look.app.colours:
        c = look.app.colours["background"]
        top, bottom = mix(c, rgb(255, 255, 255), 0.35), scale(c, 0.8)
    if style == "Cinematic":
        top, bottom = mix(top, rgb(20, 46, 54), 0.75), mix(bottom, rgb(8, 20, 26), 0.8)
    d.backdrop(p, top, bottom, glow, mix(top, rgb(255, 255, 255), 0.5))
    if style == "Cinematic":  # out-of-focus warm lights behind the subject
        for _ in range(9):
            x, y, r = rng.uniform(0, p.w), rng.uniform(0, p.h * 0.7), rng.uniform(0.02, 0.06) * p.w
            p.fill(d.ellipse(x, y, r, r), rgb(255, 176, 96), rng.uniform(0.15, 0.35), blur=r * 0.25)
    else:  # a large soft disc behind the head, shifted per candidate, for a friendly studio look
        dx = [-1.2, 1.4, 0.0, -0.6][look.variant % 4] * frame.unit
        p.fill(d.ellipse(frame.ox + dx, frame.oy + frame.unit * 0.6, frame.unit * 2.6, frame.unit * 2.6),
               mix(top, bottom, 0.25), 0.5, blur=frame.unit * 0.05)


def _outfit(look: _Look, full_body: bool) -> d.Outfit:
    rng = np.random.default_rng(_seed("outfit", look.f["name"], look.variant))
    colours = look.app.colours
    idx = rng.permutation(len(_CLOTH))
    main = colours.get(look.outfit_kind, rgb(*_CLOTH[(look.variant * 3 + idx[0]) % len(_CLOTH)]))
    inner_kind = "shirt" if look.outfit_kind == "suit" else "tshirt"
    inner = next((colours[g] for g in ("shirt", "tshirt", "blouse", "sweater") if g in colours), None)
    if inner is None:
        inner = rgb(*[(246, 246, 244), (200, 220, 240), (236, 236, 230), (250, 244, 236)][look.variant % 4])
        if inner_kind == "tshirt" and look.variant % 2:
            inner = rgb(*_CLOTH[idx[1]])
    tie = colours.get("tie")
    if tie is None and ((look.outfit_kind == "suit" and look.masc >= 0.5) or "tie" in look.app.garments):
        tie = rgb(*_CLOTH[idx[2]])
    return d.Outfit(
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
    look = _resolve(f, variant)
    w, h = _CANVAS[f["orientation"]]
    unit, cx, cy = _layout(f["pose"], w, h)
    # Tilt about a point low on the face, so the chin stays over the (untilted) neck.
    a = np.radians(look.tilt)
    frame = Frame(cx + unit * np.sin(a), cy + unit * (1 - np.cos(a)), unit, look.tilt)
    body = Frame(cx, cy + unit * 1.31, unit)
    rng = np.random.default_rng(_seed("draw", f["name"], variant))
    p = Painter(w, h)
    _draw_backdrop(p, look, frame, rng)
    face = _face(look)
    hair = hair_shape(look.hair_style, look.masc, look.variant)
    for poly in hair.back:
        m = p.fill(frame(poly), look.hair, figure=True)
        p.inner_shadow(m, scale(look.hair, 0.65), 0, -unit * 0.1, unit * 0.2, 0.7)
    d.draw_body(p, body, _outfit(look, f["pose"] == "full_body"))
    _draw_face(p, frame, look, face, hair)
    _draw_hair_front(p, frame, look, hair)
    if "earrings" in look.app.flags or (look.masc < 0.5 and look.hair_style in ("bun", "ponytail", "short")):
        for side in (-1.0, 1.0):
            p.fill(frame(d.ellipse(side * 1.0, 0.5, 0.05, 0.05, n=16)), rgb(222, 186, 92))
    _draw_beard(p, frame, look, face)
    _draw_glasses(p, frame, look, face)
    if f["style"] == "Cyberpunk":
        d.rim_light(p, rgb(255, 60, 200), rgb(40, 230, 255), unit * 0.12)
    d.grade(p, f["style"], rng, look.skin)
    return DrawnPortrait(p.to_bgr(), frame(face.points), list(look.app.cues), _describe(f))


def draw_candidates(fields: Mapping[str, str], count: int = 4) -> list[DrawnPortrait]:
    """`count` visibly different candidates (hair, clothing, backdrop, tilt, expression) for the same fields."""
    normalise_fields(fields)  # fail fast, before drawing anything
    return [draw_portrait(fields, v) for v in range(count)]
