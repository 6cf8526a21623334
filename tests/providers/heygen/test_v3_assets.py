"""HeyGen v3 reuses uploads: identical bytes become the same asset id for an account, remembered in the job store
under a hash of the base URL and API key (never the key), and checked with HeyGen before each reuse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from avatar_mcp import operations as ops
from avatar_mcp.specs import PhotoVideoSpec
from tests.fakes._harness import serve
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import KEY, VOICE, heygen_service, heygen_settings

pytestmark = pytest.mark.anyio


def photo_video(image: str) -> PhotoVideoSpec:
    return PhotoVideoSpec(image=image, script="Hello from a photo.", voice_id=VOICE)


async def test_the_same_bytes_are_uploaded_once_and_reused_by_asset_id(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    shutil.copy(photo, media_root / "copy-of-me.jpg")  # another name, the same bytes
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        for image in ("me.jpg", "me.jpg", "copy-of-me.jpg"):
            await service.submit(ops.CREATE_PHOTO_VIDEO, photo_video(image), provider)
    uploads = v3.requests("POST", "^/v3/assets$")
    images = [r.json["image"] for r in v3.requests("POST", "^/v3/videos$")]
    assert len(uploads) == 1 and len(v3.assets) == 1
    assert images == [{"type": "asset_id", "asset_id": next(iter(v3.assets))}] * 3
    assert len(v3.requests("GET", "^/v3/assets/")) == 2  # each reuse is checked first
    for path in settings.data_dir.glob("jobs.sqlite3*"):
        assert KEY.encode() not in path.read_bytes()


async def test_an_asset_heygen_no_longer_has_is_uploaded_again(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    settings = heygen_settings(tmp_path, media_root, v3, None)
    async with heygen_service(settings) as (service, provider):
        await service.submit(ops.CREATE_PHOTO_VIDEO, photo_video("me.jpg"), provider)
        v3.assets.clear()  # deleted at HeyGen (or expired)
        await service.submit(ops.CREATE_PHOTO_VIDEO, photo_video("me.jpg"), provider)
        await service.submit(ops.CREATE_PHOTO_VIDEO, photo_video("me.jpg"), provider)
    assert len(v3.requests("POST", "^/v3/assets$")) == 2 and len(v3.assets) == 1
    assert v3.refused() == [r for r in v3.log if r.method == "GET" and r.status == 404]


async def test_another_account_does_not_reuse_the_first_ones_uploads(
        v3: HeyGenV3Fake, tmp_path: Path, media_root: Path, photo: Path) -> None:
    other = HeyGenV3Fake(api_key="another-heygen-key", polls_to_complete=0)
    with serve(other):
        first = heygen_settings(tmp_path, media_root, v3, None)
        async with heygen_service(first) as (service, provider):
            await service.submit(ops.CREATE_PHOTO_VIDEO, photo_video("me.jpg"), provider)
        second = heygen_settings(tmp_path, media_root, other, None)  # the same data dir and job store
        second = second.model_copy(update={"heygen_api_key": type(second.heygen_api_key)("another-heygen-key")})
        async with heygen_service(second) as (service, provider):
            await service.submit(ops.CREATE_PHOTO_VIDEO, photo_video("me.jpg"), provider)
    assert len(v3.requests("POST", "^/v3/assets$")) == 1
    assert len(other.requests("POST", "^/v3/assets$")) == 1 and not other.requests("GET", "^/v3/assets/")
