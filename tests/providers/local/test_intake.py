"""The photo check remembers the face it found in a photo, by the photo's content."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from avatar_mcp.providers.local import face
from avatar_mcp.providers.local.intake import check_photo
from tests.conftest import PORTRAITS

pytestmark = pytest.mark.render


def test_the_same_photo_again_skips_the_face_search_and_gives_the_same_landmarks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = tmp_path / "a.jpg"
    shutil.copyfile(PORTRAITS / "grace_hopper.jpg", photo)
    cache = tmp_path / "cache"
    image, points = check_photo(photo, "a.jpg", cache)

    def no_search(*args: object, **kwargs: object) -> list[face.Face]:
        raise AssertionError("the face search ran again")

    monkeypatch.setattr(face, "detect_faces", no_search)
    copy = tmp_path / "copy-with-another-name.jpg"
    shutil.copyfile(photo, copy)
    again_image, again_points = check_photo(copy, "copy.jpg", cache)
    assert np.array_equal(points, again_points) and again_points.dtype == points.dtype
    assert again_image.shape == image.shape
    other = tmp_path / "b.jpg"
    shutil.copyfile(PORTRAITS / "astronaut.jpg", other)
    with pytest.raises(AssertionError, match="face search ran again"):
        check_photo(other, "b.jpg", cache)
