"""Early media checks (planning/media.py): local files are judged before anything is asked, naming the argument;
what is not a file (a vendor id, an asset key, a URL) is left to the provider."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from avatar_mcp.config import Settings
from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import MediaPolicy
from avatar_mcp.operations import get
from avatar_mcp.planning.media import check_media, media_arguments
from tests.conftest import PORTRAITS


def test_vendor_ids_in_media_arguments_are_left_to_the_provider(settings: Settings) -> None:
    policy = MediaPolicy(settings.media_roots, max_bytes=10_000_000)
    check_media(policy, get("create_photo_video"), {"image": "a1b2c3d4e5f6", "script": "Hi"})
    check_media(policy, get("create_photo_avatar"), {"image": "asset:abc"})


def test_every_media_argument_is_found_by_where_it_is_with_the_kinds_it_takes() -> None:
    request = {"scenes": [{"audio": "a.mp3"}, {"background": {"type": "video", "url": "b.mp4"}}]}
    found = list(media_arguments(get("create_video"), request))
    assert found == [("scenes[0].audio", "a.mp3", ("audio", "video")),
                     ("scenes[1].background.url", "b.mp4", ("video",))]
    twin = list(media_arguments(get("create_digital_twin"), {"video": "t.mp4", "consent_video": " "}))
    assert twin == [("video", "t.mp4", ("video",))]


def test_a_local_file_of_the_wrong_kind_is_refused_naming_the_argument(settings: Settings, media_root: Path) -> None:
    shutil.copy(PORTRAITS / "astronaut.jpg", media_root / "face.jpg")
    policy = MediaPolicy(settings.media_roots, max_bytes=10_000_000)
    with pytest.raises(MediaRejected, match=r"^Nothing was sent\. video: "):
        check_media(policy, get("create_digital_twin"), {"name": "x", "video": "face.jpg"})
