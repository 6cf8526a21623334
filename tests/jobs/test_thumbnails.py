"""Inline thumbnails are made once, kept beside their image, and what check_job shows afterwards."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from avatar_mcp.jobs import thumbnails
from avatar_mcp.models import Candidate, JobResult


def picture(path: Path, size: int = 600) -> Path:
    Image.new("RGB", (size, size), (200, 120, 40)).save(path)
    return path


def test_the_worker_keeps_a_thumbnail_beside_each_candidate_and_check_job_shows_it(tmp_path: Path) -> None:
    images = [picture(tmp_path / f"candidate_{i}.png") for i in range(2)]
    thumbnails.keep_all(JobResult(candidates=[Candidate(index=i, image_path=str(p)) for i, p in enumerate(images)]))
    for image in images:
        kept = tmp_path / f"{image.stem}.thumb.jpg"
        with Image.open(kept) as small:
            assert max(small.size) == thumbnails.THUMBNAIL_PX
        made = kept.stat().st_mtime_ns
        for _ in range(3):
            found = thumbnails.inline(str(image))
            assert found is not None and base64.b64decode(found[0]) == kept.read_bytes()
            assert found[1] == "image/jpeg"
        assert kept.stat().st_mtime_ns == made  # shown, never made again


def test_an_image_finished_before_thumbnails_were_kept_gets_one_on_first_view(tmp_path: Path) -> None:
    image = picture(tmp_path / "preview.png")
    assert not (tmp_path / "preview.thumb.jpg").exists()
    found = thumbnails.inline(str(image))
    assert found is not None and (tmp_path / "preview.thumb.jpg").is_file()
    with Image.open(io.BytesIO(base64.b64decode(found[0]))) as shown:
        assert shown.size == (thumbnails.THUMBNAIL_PX, thumbnails.THUMBNAIL_PX)


@pytest.mark.parametrize("path", [None, "", "/nonexistent/image.png"])
def test_nothing_is_shown_for_a_missing_image(path: str | None) -> None:
    assert thumbnails.inline(path) is None
