from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from avatar_mcp.errors import MediaRejected
from avatar_mcp.providers.local.face import detect_faces, load_image

from .conftest import PORTRAITS


@pytest.mark.parametrize("name", ["grace_hopper.jpg", "astronaut.jpg"])
def test_detect_faces_finds_exactly_one_face_on_each_bundled_portrait(name):
    image = load_image(PORTRAITS / name)
    faces = detect_faces(image)
    assert len(faces) == 1
    points = faces[0].points
    assert points.shape == (68, 2)
    eyes_y = points[36:48, 1].mean()
    mouth_y = points[48:68, 1].mean()
    x, y, w, h = faces[0].box
    assert y < eyes_y < mouth_y < y + h * 1.2
    assert x < points[30, 0] < x + w


def test_detect_faces_finds_none_on_a_flat_image():
    assert detect_faces(np.full((240, 320, 3), 127, np.uint8)) == []


def test_load_image_rejects_a_non_image(tmp_path):
    with pytest.raises(MediaRejected):
        load_image(b"definitely not a picture")
    path = tmp_path / "fake.jpg"
    path.write_text("hello")
    with pytest.raises(MediaRejected):
        load_image(path)


def test_load_image_applies_exif_orientation_and_returns_bgr():
    picture = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif)
    image = load_image(buffer.getvalue())
    assert image.shape == (40, 20, 3)
    assert image.dtype == np.uint8
    blue, _, red = image[20, 10]
    assert red > 200 and blue < 60
