"""Creatify answers an emulator built from reference B alone may give, read as the user needs them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.providers.creatify import status
from avatar_mcp.providers.creatify.wire import LipsyncRecord
from tests.fakes.creatify import CreatifyFake
from tests.providers._vendors import call
from tests.providers.creatify.case import CREATIFY

pytestmark = pytest.mark.anyio
CASE = CREATIFY
POLLS = 2


@pytest.mark.parametrize("links", ["absolute", "relative"])
async def test_list_avatars_follows_every_page_whether_next_is_a_url_or_a_path(settings: Settings,
                                                                              fake: CreatifyFake, links: str) -> None:
    """Reference B does not say how GET /api/personas/ pages; DRF gives `next` as a URL, other servers as a path. Every
    persona is listed either way, and no page is asked for twice."""
    fake.paged_lists, fake.links = True, links  # type: ignore[assignment]
    for n in range(45):
        persona_id = str(uuid.uuid4())
        fake.personas[persona_id] = fake._persona_record(persona_id, {"creator_name": f"P{n:02d}", "gender": "f"})
    async with Client(CASE.server(settings), mode="auto") as client:
        listed: dict[str, Any] = await call(client, "list_avatars", {"provider": "creatify", "limit": 100})
    assert sorted(a["avatar_id"] for a in listed["avatars"]) == sorted(fake.personas)
    pages = [r.query.get("page", "1") for r in fake.requests("GET", "^/api/personas/$")]
    assert pages == ["1", "2", "3"]


def test_a_lipsync_done_without_its_output_is_still_followed_not_finished_empty() -> None:
    """A `done` lipsync without `output` would end the job `succeeded` with no video: it is asked about again."""
    update = status.lipsync_update(LipsyncRecord(id="ls-1", status="done", progress="1.0", output=None))
    assert update.status == "processing" and update.result is None
    assert "has not given its URL yet" in (update.message or "")
    done = status.lipsync_update(LipsyncRecord(id="ls-1", status="done", output="https://cdn.creatify.ai/v.mp4"))
    assert done.status == "succeeded" and done.result is not None
    assert done.result.video_url == "https://cdn.creatify.ai/v.mp4"
