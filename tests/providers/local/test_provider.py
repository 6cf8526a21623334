"""The local studio as a provider, through the MCP tools: real renders at small sizes, bad input refused cleanly."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcp.client import Client
from PIL import Image

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.providers.local._video import streams

pytestmark = [pytest.mark.anyio, pytest.mark.render]
PORTRAITS = Path(__file__).resolve().parents[3] / "avatar_mcp" / "assets" / "portraits"
SMALL = {"width": 320, "height": 240}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(build_server(settings), mode="legacy") as session:
        yield session


def photo(media_root: Path, name: str = "grace_hopper.jpg") -> str:
    target = media_root / name
    shutil.copyfile(PORTRAITS / name, target)
    return str(target)


JOB_TOOLS = {"check_job", "cancel_job", "download_result"}
"""Tools that follow a job by its id: they take no provider."""


def local(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    return args if tool in JOB_TOOLS else {"provider": "local", **args}


async def call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, local(tool, args))
    assert not result.is_error, result.content
    data: dict[str, Any] = result.structured_content
    return data


async def error(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(tool, local(tool, args))
    assert result.is_error, result.structured_content
    return " ".join(getattr(c, "text", "") for c in result.content)


async def finish(client: Client, job_id: str) -> dict[str, Any]:
    return await call(client, "check_job", {"job_id": job_id, "wait_seconds": 120})


async def jobs(client: Client) -> list[dict[str, Any]]:
    return (await call(client, "list_jobs", {}))["jobs"]


async def test_a_photo_becomes_an_avatar_that_talks_in_a_captioned_video(client: Client, media_root: Path) -> None:
    before = await call(client, "list_avatars", {})  # the listing is remembered briefly: a new avatar must show
    avatar = await call(client, "create_photo_avatar", {"image": photo(media_root), "name": "Grace"})
    assert avatar["status"] == "succeeded"
    avatar_id = avatar["result"]["avatar_id"]
    listed = await call(client, "list_avatars", {})
    assert avatar_id in {a["avatar_id"] for a in listed["avatars"]}
    assert avatar_id not in {a["avatar_id"] for a in before["avatars"]}
    script = "Good morning. Captions come with every local video."
    started = await call(client, "create_video", {"dimension": SMALL, "caption": True, "scenes": [
        {"avatar_id": avatar_id, "script": script, "voice_id": "espeak-en-us-male"}]})
    done = await finish(client, started["job_id"])
    assert done["status"] == "succeeded", done
    result = done["result"]
    info = streams(Path(result["video_path"]))
    assert info.video == "h264" and info.audio == "aac"
    assert (info.width, info.height) == (320, 240)
    assert abs(info.duration - result["duration_seconds"]) < 0.3
    srt = Path(result["captions_path"]).read_text()
    assert "Good morning." in srt and "Captions come with every local video." in srt


@pytest.mark.parametrize("case", ["no_face", "two_faces", "tiny", "not_an_image"])
async def test_a_bad_photo_is_refused_with_a_clear_reason_and_leaves_no_job(client: Client, media_root: Path,
                                                                             case: str) -> None:
    path = media_root / f"{case}.png"
    if case == "no_face":
        gradient = np.tile(np.linspace(0, 255, 600, dtype=np.uint8), (600, 1))
        Image.fromarray(gradient).convert("RGB").save(path)
    elif case == "two_faces":
        left, right = Image.open(PORTRAITS / "grace_hopper.jpg"), Image.open(PORTRAITS / "astronaut.jpg")
        both = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
        both.paste(left, (0, 0))
        both.paste(right, (left.width, 0))
        both.save(path)
    elif case == "tiny":
        Image.open(PORTRAITS / "grace_hopper.jpg").resize((256, 300)).save(path)
    else:
        path.write_text("this is not an image at all")
    message = await error(client, "create_photo_avatar", {"image": str(path), "name": "x"})
    expected = {"no_face": "No face", "two_faces": "2 faces", "tiny": "at least 512x512",
                "not_an_image": "image is needed"}[case]
    assert expected in message
    assert await jobs(client) == []


async def test_paths_outside_the_media_roots_and_symlink_escapes_are_refused(client: Client, media_root: Path,
                                                                             tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "grace.jpg"
    shutil.copyfile(PORTRAITS / "grace_hopper.jpg", secret)
    os.symlink(secret, media_root / "link.jpg")
    direct = await error(client, "create_photo_avatar", {"image": str(secret), "name": "x"})
    linked = await error(client, "create_photo_avatar", {"image": str(media_root / "link.jpg"), "name": "x"})
    dotted = await error(client, "create_photo_avatar", {"image": "../outside/grace.jpg", "name": "x"})
    for message in (direct, linked, dotted):
        assert "outside the media roots" in message and "AVATAR_MCP_MEDIA_ROOTS" in message
    assert await jobs(client) == []


async def test_a_plain_http_url_is_refused_before_any_download(client: Client) -> None:
    message = await error(client, "create_photo_avatar", {"image": "http://example.com/face.jpg", "name": "x"})
    assert "not an https URL" in message
    assert await jobs(client) == []


async def test_generated_candidates_are_illustrations_that_become_avatars(client: Client) -> None:
    started = await call(client, "generate_photo_avatar", {
        "name": "Ava", "age": "Young Adult", "gender": "Woman", "ethnicity": "East Asian", "orientation": "square",
        "pose": "close_up", "style": "Pixar", "appearance": "short black hair, yellow sweater"})
    generated = await finish(client, started["job_id"])
    assert generated["status"] == "succeeded"
    candidates = generated["result"]["candidates"]
    assert [c["index"] for c in candidates] == [0, 1, 2, 3]
    assert all(Path(c["image_path"]).is_file() for c in candidates)
    # Their inline thumbnails were made once, by the worker that drew them, and kept beside them.
    assert all(Path(c["image_path"]).with_suffix(".thumb.jpg").is_file() for c in candidates)
    assert any("not photos" in w for w in generated["result"]["warnings"])
    avatar = await call(client, "create_photo_avatar", {"from_generation": {"job_id": started["job_id"],
                                                                            "index": 2}, "name": "Ava"})
    assert avatar["status"] == "succeeded"
    assert avatar["result"]["avatar_id"].startswith("local-drawn-")
    raw = await client.call_tool("check_job", {"job_id": started["job_id"]})
    assert sum(1 for c in raw.content if c.type == "image") == 4  # candidates shown inline


async def test_a_render_can_be_canceled_and_leaves_no_video(client: Client, settings: Settings) -> None:
    started = await call(client, "create_video", {"dimension": SMALL, "scenes": [
        {"avatar_id": "local-grace", "silence_seconds": 60}]})
    canceled = await call(client, "cancel_job", {"job_id": started["job_id"]})
    final = await finish(client, started["job_id"])
    assert canceled["status"] == "canceled" and final["status"] == "canceled"
    assert final.get("result") is None
    assert not list((settings.media_dir / "jobs" / started["job_id"]).glob("video.*"))


async def test_an_unknown_avatar_or_voice_is_named_with_the_valid_ones(client: Client) -> None:
    avatar = await error(client, "create_video", {"dimension": SMALL, "scenes": [
        {"avatar_id": "nobody", "script": "Hi.", "voice_id": "espeak-en-us-male"}]})
    voice = await error(client, "create_video", {"dimension": SMALL, "scenes": [
        {"avatar_id": "local-grace", "script": "Hi.", "voice_id": "nope"}]})
    assert "local-grace" in avatar and "list_avatars" in avatar
    assert "espeak-en-us-male" in voice
    assert await jobs(client) == []


async def test_an_unfinished_local_render_is_rendered_again_after_a_restart(settings: Settings) -> None:
    async with Client(build_server(settings), mode="legacy") as first:
        started = await call(first, "create_video", {"dimension": SMALL, "scenes": [
            {"avatar_id": "local-eileen", "script": "Still here after a restart.", "voice_id": "espeak-en-us-male"}]})
    # The session ended mid-render, as a killed server would; the job row is all that is left.
    async with Client(build_server(settings), mode="auto") as second:
        done = await finish(second, started["job_id"])
    assert done["status"] == "succeeded", done
    assert Path(done["result"]["video_path"]).is_file()


async def test_a_digital_twin_is_made_from_footage_and_talks(client: Client, media_root: Path) -> None:
    footage = await call(client, "create_photo_video", {"image": photo(media_root, "astronaut.jpg"),
                                                        "script": "I am being filmed for my twin.",
                                                        "voice_id": "espeak-en-us-female", "orientation": "square"})
    filmed = await finish(client, footage["job_id"])
    video = media_root / "footage.mp4"
    shutil.copyfile(filmed["result"]["video_path"], video)
    twin = await call(client, "create_digital_twin", {"video": str(video), "name": "Eileen's twin"})
    made = await finish(client, twin["job_id"])
    assert made["status"] == "succeeded", made
    assert any("1-5 minutes" in w for w in made["result"]["warnings"])
    started = await call(client, "create_video", {"dimension": SMALL, "scenes": [
        {"avatar_id": made["result"]["avatar_id"], "script": "Now the twin talks.", "voice_id": "espeak-en-us-male"}]})
    done = await finish(client, started["job_id"])
    assert done["status"] == "succeeded", done
    assert streams(Path(done["result"]["video_path"])).audio == "aac"
