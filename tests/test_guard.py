"""Refusals that say why: control characters in any argument, a full disk, through the SDK's real Client."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.guard import control_character, is_disk_full
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Submission, SubmitContext
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.server import build_server
from avatar_mcp.specs import VideoSpec
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
VIDEO = {"provider": "countdown", "orientation": "square",
         "scenes": [{"avatar_id": "cd-avatar", "script": "One.", "voice_id": "cd-ann"}]}


async def jobs_in(client: Client) -> list[Any]:
    return (await client.call_tool("list_jobs", {})).structured_content["jobs"]  # type: ignore[index]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("tool", "arguments", "field"), [
    ("create_photo_avatar", {"provider": "local", "name": "Ann", "image": "me\x00.jpg"}, "image"),
    ("create_photo_avatar", {"provider": "local", "name": "A\x1b[2Jnn", "image": "me.jpg"}, "name"),
    ("create_video", {**VIDEO, "scenes": [{**VIDEO["scenes"][0], "script": "Hi\x00there."}]},  # type: ignore[dict-item]
     "scenes.0.script"),
    ("check_job", {"job_id": "job_\x00abc"}, "job_id"),
])
async def test_a_control_character_anywhere_is_refused_as_invalid_input_before_any_job(
        settings: Settings, mode: str, tool: str, arguments: dict[str, Any], field: str) -> None:
    async with Client(build_server(settings, provider_factory=countdown.entries), mode=mode) as client:
        result = await client.call_tool(tool, arguments)
        jobs = await jobs_in(client)
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert f"invalid input: {field} holds the control character U+" in text
    assert jobs == []  # no phantom `unknown` job


@pytest.mark.parametrize("mode", MODES)
async def test_text_may_keep_tabs_and_line_breaks(settings: Settings, mode: str) -> None:
    video = {**VIDEO, "scenes": [{**VIDEO["scenes"][0], "script": "Line one.\n\tLine two.\r\n"}]}
    async with Client(build_server(settings, provider_factory=countdown.entries), mode=mode) as client:
        result = await client.call_tool("create_video", video)
    assert not result.is_error and result.structured_content["status"] == "queued"  # type: ignore[index]


class FullDiskProvider(countdown.CountdownProvider):
    """A vendor whose create writes a file first, onto a disk that is full (/dev/full answers every write ENOSPC)."""

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        with (self.folder / "render.bin").open("wb") as fh:
            fh.write(b"\0" * 4096)
            fh.flush()
        return await super().create_video(spec, ctx)


def full_disk(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
    provider = FullDiskProvider(settings.data_dir / "countdown")
    (provider.folder / "render.bin").symlink_to("/dev/full")
    return [ProviderEntry.of(provider)]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("mode", MODES)
async def test_a_full_disk_is_reported_as_such_naming_the_data_dir(settings: Settings, mode: str) -> None:
    async with Client(build_server(settings, provider_factory=full_disk), mode=mode) as client:
        result = await client.call_tool("create_video", VIDEO)
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "the disk holding the data dir" in text and str(settings.data_dir) in text and "is full" in text


def test_disk_full_is_recognised_through_causes_and_from_sqlite(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "tiny.sqlite3")
    db.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as caught:
        db.execute("CREATE TABLE t (x BLOB)")
        db.execute("INSERT INTO t VALUES (randomblob(100000))")
    wrapped = RuntimeError("while saving")
    wrapped.__cause__ = caught.value
    assert is_disk_full(wrapped)
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))


def test_the_scanner_names_the_first_forbidden_character_and_its_field() -> None:
    assert control_character({"a": ["ok", {"b": "x\x07y"}]}) == ("a.1.b", "\x07", 1)
    assert control_character({"text": "tab\tnewline\ncr\r"}) is None
    assert control_character({"k\x00": "v"}) == ("k\x00", "\x00", 1)
    assert control_character({"c1": "\x85"}) == ("c1", "\x85", 0)
