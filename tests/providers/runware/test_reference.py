"""Runware against reference C where our emulator's defaults could hide a misreading: answers an emulator built from
the reference alone may give (a duplicate taskUUID refused as a plain validation error, item statuses the reference
does not list, results without a video)."""

from __future__ import annotations

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
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
