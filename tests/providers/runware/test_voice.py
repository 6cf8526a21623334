"""Runware has no voice list: a script without a voice is never a question the assistant cannot answer."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from tests.fakes.runware import RunwareFake
from tests.providers._vendors import call
from tests.providers.runware.case import RUNWARE
from tests.providers.runware.test_provider import AVATAR, creates

pytestmark = pytest.mark.anyio
CASE = RUNWARE
POLLS = 1
NO_VOICE = {"provider": "runware", "scenes": [{"avatar_id": AVATAR, "script": "Welcome to the product tour."}]}


async def test_with_on_missing_default_the_avatar_speaks_in_the_voice_avatar_v_picks(settings: Settings,
                                                                                   fake: RunwareFake) -> None:
    async with Client(CASE.server(settings), mode="auto") as client:
        started = await call(client, "create_video", {**NO_VOICE, "on_missing": "default"})
    assert started["status"] == "queued", started
    assert started["defaults_applied"]["scenes.0.voice_id"] == "auto"
    [task] = creates(fake)
    assert task["speech"]["voice"] == "auto"


async def test_asked_for_a_voice_the_question_says_exactly_what_may_be_answered(settings: Settings,
                                                                              fake: RunwareFake) -> None:
    async with Client(CASE.server(settings), mode="auto") as client:
        asked: dict[str, Any] = await call(client, "create_video", {**NO_VOICE, "orientation": "landscape"})
    [voice] = asked["missing"]
    assert asked["status"] == "needs_input" and voice["field"] == "scenes.0.voice_id"
    assert voice["default"] == "auto"
    assert "HeyGen voice id" in voice["question"] and "'auto'" in voice["question"] and "audio" in voice["question"]
    assert "on_missing='default'" in asked["message"]
    assert fake.log == []


async def test_on_missing_default_is_never_suggested_again_when_it_cannot_fill_what_is_missing(
        settings: Settings, fake: RunwareFake) -> None:
    async with Client(CASE.server(settings), mode="auto") as client:
        asked: dict[str, Any] = await call(client, "create_photo_video", {
            "provider": "runware", "script": "Hello.", "on_missing": "default"})
    assert asked["status"] == "needs_input" and [m["field"] for m in asked["missing"]] == ["image"]
    assert "on_missing='default'" not in asked["message"] and "image has no default" in asked["message"]
    assert fake.log == []
