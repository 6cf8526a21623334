"""Who a portrait candidate shows: the fields and appearance resolved into one concrete look.

Palettes (skin tones per group, hair, eyes, clothes, backdrops), hair style, outfit, expression, tilt and age lines
are picked deterministically: the same fields give the same person across candidates, and each candidate `variant`
walks to a visibly different choice. An explicit appearance cue ("red hair", "navy suit") always wins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from avatar_mcp.providers.local._drawing import Colour, mix, rgb, scale
from avatar_mcp.providers.local._fields import Appearance, parse_appearance

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
CLOTH = [(44, 62, 96), (178, 70, 58), (62, 118, 92), (220, 182, 96), (112, 86, 150), (206, 206, 210),
          (52, 52, 58), (170, 112, 78), (88, 138, 190), (236, 226, 212), (150, 40, 60), (40, 110, 120)]
BACKDROPS = [((238, 224, 206), (206, 180, 158)), ((204, 224, 238), (150, 180, 212)),
              ((216, 232, 212), (160, 192, 162)), ((238, 214, 224), (198, 168, 200)),
              ((240, 232, 200), (214, 190, 140)), ((214, 220, 232), (170, 176, 196))]
_HAIRSTYLES = {"Woman": ["long", "bun", "bob", "long_side"], "Man": ["short", "swept", "curly", "buzz"],
               "Unspecified": ["bob", "short", "curly", "long_side"]}
_CLOTHES = {"Woman": ["blouse", "sweater", "jacket", "dress"], "Man": ["shirt", "sweater", "jacket", "suit"],
            "Unspecified": ["tshirt", "sweater", "jacket", "hoodie"]}
_OUTER_FIRST = ("suit", "jacket", "hoodie", "sweater", "dress", "shirt", "blouse", "tshirt")
_WRINKLES = {"Young Adult": 0.0, "Early Middle Age": 0.3, "Late Middle Age": 0.6, "Senior": 1.0, "Unspecified": 0.1}


@dataclass(frozen=True)
class Look:
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


def seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little")


def resolve(f: Mapping[str, str], variant: int) -> Look:
    app = parse_appearance(f["appearance"])
    person = seed(*(f[k] for k in sorted(f)))  # the same person across candidates: offsets into palettes
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
    rng = np.random.default_rng(seed(person, variant))
    smile = float(np.clip([0.3, 0.05, 0.6, 0.2][variant % 4] + (0.45 if "smiling" in app.flags else 0.0), 0, 1))
    return Look(
        f=f, variant=variant, app=app, masc={"Woman": 0.0, "Man": 1.0}.get(gender, 0.5), skin=skin, hair=hair,
        eyes=eyes, lips=lips, hair_style=style, outfit_kind=outfit,
        glasses=("round" if variant % 2 else "square") if "glasses" in app.flags else "", smile=smile,
        tilt=float([-3.0, 2.5, -1.0, 4.0][variant % 4] + rng.uniform(-0.8, 0.8)), wrinkles=_WRINKLES[age],
        eye_scale=1.22 if f["style"] == "Pixar" else 1.0, jaw=float(rng.uniform(0.97, 1.03)),
    )
