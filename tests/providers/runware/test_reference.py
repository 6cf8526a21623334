"""Runware against reference C where our emulator's defaults could hide a misreading: answers an emulator built from
the reference alone may give (a duplicate taskUUID refused as a plain validation error, item statuses the reference
does not list, results without a video)."""

from __future__ import annotations

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.providers.runware import status
from avatar_mcp.providers.runware.wire import Envelope
from tests.fakes.runware import RunwareFake
from tests.providers._vendors import call, finish
from tests.providers.runware.case import RUNWARE

pytestmark = pytest.mark.anyio
CASE = RUNWARE
POLLS = 1
AVATAR = "Abigail_expressive_2024112501"
VIDEO = {"provider": "runware", "orientation": "landscape",
         "scenes": [{"avatar_id": AVATAR, "script": "Welcome to the product tour.", "voice_id": "en-US-Aria"}]}


async def test_a_create_resent_after_a_late_answer_is_taken_as_made_when_runware_refuses_the_duplicate_uuid(
        settings: Settings, fake: RunwareFake) -> None:
    """The first send is taken but answered too late; the automatic re-send is refused because the taskUUID is in use
    (reference C names no conflict code). The task is running and paid: the job must follow it, not fail (a user
    told it failed would submit again and pay twice)."""
    fake.duplicate_task_uuid = "refuse"
    fake.add_fault("POST", "^/v1$", delay=1.0, after=True)
    async with Client(CASE.server(settings, create_timeout_seconds=0.3), mode="auto") as client:
        started = await call(client, "create_video", VIDEO)
        done = await finish(client, started["job_id"])
    assert started["status"] in ("submitting", "queued", "processing"), started
    assert done["status"] == "succeeded", done
    assert len(fake.tasks) == 1


def test_a_success_item_without_its_video_url_is_not_a_finished_video() -> None:
    """A `success` item without videoURL would end the job `succeeded` with no video: it is asked about again."""
    uuid = "0b8e4a1c-7d2f-4e3a-9c5b-1a2b3c4d5e6f"
    empty = Envelope.model_validate({"data": [{"taskUUID": uuid, "status": "success", "videoUUID": "v"}]})
    update = status.update(empty, uuid, 1, 5.0)
    assert update.status == "processing" and update.result is None
    full = Envelope.model_validate({"data": [{"taskUUID": uuid, "status": "success", "videoURL": "https://v/x.mp4"}]})
    assert status.update(full, uuid, 1, 5.0).status == "succeeded"
