"""The photo-checklist fields of the local studio's portraits: allowed values, validation, appearance text.

The six enum fields match case-insensitively and fall back to neutral defaults; the free-text appearance is read
for colour words with what they colour ("dark blue eyes", "navy suit") and known feature words (glasses, beard,
ponytail, ...). portraits.py re-exports the public names here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from avatar_mcp.providers.local._drawing import Colour, mix, rgb, scale

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
CANVAS = {"square": (768, 768), "horizontal": (1024, 768), "vertical": (768, 1024)}
MAX_APPEARANCE = 1000


def choice(name: str, value: str) -> str:
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
    out = {k: choice(k, fields.get(k, default)) for k, default in _DEFAULTS.items()}
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
