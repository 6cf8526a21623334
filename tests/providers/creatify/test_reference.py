"""Creatify answers an emulator built from reference B alone may give, read as the user needs them."""

from __future__ import annotations

from avatar_mcp.providers.creatify import status
from avatar_mcp.providers.creatify.wire import LipsyncRecord


def test_a_lipsync_done_without_its_output_is_still_followed_not_finished_empty() -> None:
    """A `done` lipsync without `output` would end the job `succeeded` with no video: it is asked about again."""
    update = status.lipsync_update(LipsyncRecord(id="ls-1", status="done", progress="1.0", output=None))
    assert update.status == "processing" and update.result is None
    assert "has not given its URL yet" in (update.message or "")
    done = status.lipsync_update(LipsyncRecord(id="ls-1", status="done", output="https://cdn.creatify.ai/v.mp4"))
    assert done.status == "succeeded" and done.result is not None
    assert done.result.video_url == "https://cdn.creatify.ai/v.mp4"
