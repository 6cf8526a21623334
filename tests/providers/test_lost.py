"""Finding a create whose answer was lost at vendors that cannot replay it (providers/_lost.py): Creatify's personas
and Napster's twins are found in their lists and followed to the end; several records that could be the one are
named, never guessed between. (Every vendor's lost creates, whatever the operation: the contract suite.)"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fakes._harness import serve
from tests.fakes.creatify import CreatifyFake
from tests.fakes.napster import NapsterFake
from tests.providers._vendors import call, finish
from tests.providers.creatify.case import CREATIFY
from tests.providers.napster.case import NAPSTER

pytestmark = pytest.mark.anyio


async def test_custom_avatars_and_twins_whose_answer_was_lost_are_found_and_followed_to_the_end(
        tmp_path: Path, media_root: Path) -> None:
    creatify, napster = CREATIFY.make_fake(2), NAPSTER.make_fake(3)
    assert isinstance(napster, NapsterFake)
    napster.grant_consent()
    with serve(creatify), serve(napster):
        creatify.add_fault("POST", "^/api/personas_v2/$", status=502, after=True)
        napster.add_fault("POST", "^/public/digital-twins$", drop=True, after=True)
        settings = CREATIFY.settings(tmp_path, media_root, creatify)
        async with CREATIFY.client(settings) as client:
            persona = await call(client, "create_digital_twin", {
                "provider": "creatify", "name": "Robin Avery", "gender": "male", "video": "https://cdn.example/r.mp4"})
            persona_done = await finish(client, persona["job_id"])
        settings = NAPSTER.settings(tmp_path / "n", media_root, napster)
        async with NAPSTER.client(settings) as client:
            twin = await call(client, "create_digital_twin", {
                "provider": "napster", "name": "Robin Avery", "video": "https://cdn.example.com/robin.mp4",
                "description": "Robin, our head of sales.", "gender": "male", "ethnicity": "Caucasian"})
            twin_done = await finish(client, twin["job_id"])
    assert "Found at Creatify" in persona["message"] and persona_done["status"] == "succeeded"
    assert "Found at Napster" in twin["message"] and twin_done["status"] == "succeeded"
    assert len(creatify.requests("POST", "^/api/personas_v2/$")) == 1
    assert len(napster.requests("POST", "^/public/digital-twins$")) == 1 and len(napster.companions) == 1


async def test_several_records_that_could_be_the_lost_create_are_named_not_guessed_between(
        tmp_path: Path, media_root: Path) -> None:
    fake = CREATIFY.make_fake(2)
    assert isinstance(fake, CreatifyFake)
    with serve(fake):
        settings = CREATIFY.settings(tmp_path, media_root, fake)
        tool, arguments = CREATIFY.create(fake)
        arguments = {**arguments, "title": "Weekly update"}
        same = {"aspect_ratio": "9x16", "creator": arguments["scenes"][0]["avatar_id"], "name": "Weekly update",
                "text": arguments["scenes"][0]["script"], "accent": arguments["scenes"][0]["voice_id"],
                "no_caption": True}
        made = httpx.post(f"{fake.base_url}/api/lipsyncs/", json=same,
                          headers={"X-API-ID": "test-creatify-id", "X-API-KEY": "test-creatify-key"}).json()
        fake.add_fault("POST", CREATIFY.create_path, status=500, after=True)
        async with CREATIFY.client(settings) as client:
            handle = await call(client, tool, arguments)
    ours = next(i for i in fake.lipsyncs if i != made["id"])
    assert handle["status"] == "unknown" and "NOT resubmitted" in handle["message"]
    assert made["id"] in handle["message"] and ours in handle["message"]


