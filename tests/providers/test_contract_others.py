"""Contract tests of Runware, Creatify and Napster: every tool the provider supports, through the real MCP client,
against an emulator that validates each request from the vendor's schema; the emulator refuses none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes._harness import serve
from tests.fakes.creatify import CreatifyFake
from tests.fakes.napster import NapsterFake
from tests.fakes.runware import RunwareFake
from tests.providers._cases import RUNWARE_AVATAR, VENDORS, creatify_accent, creatify_persona
from tests.providers._contract import Driver, media
from tests.providers.heygen.conftest import VOICE

pytestmark = pytest.mark.anyio
RUNWARE, CREATIFY, NAPSTER = (next(v for v in VENDORS if v.id == name) for name in ("runware", "creatify", "napster"))


async def test_runware_contract_every_tool_and_nothing_refused(tmp_path: Path, media_root: Path) -> None:
    media(media_root)
    fake = RunwareFake(polls_to_complete=1)
    with serve(fake):
        async with RUNWARE.client(RUNWARE.settings(tmp_path, media_root, fake)) as client:
            drive = Driver(client, "runware")
            scene = {"avatar_id": RUNWARE_AVATAR, "script": "Welcome to the tour.", "voice_id": VOICE,
                     "background": {"type": "image", "url": "me.jpg"}}
            video = await drive.done(await drive.ok("create_video", {
                "provider": "runware", "orientation": "landscape", "caption": True, "scenes": [scene],
                "options": {"variants": 2, "quality": 80, "safety": "fast", "fit": "contain", "volume": 0.8}}))
            assert len(video["result"]["outputs"]) == 1
            await drive.done(await drive.ok("create_photo_video", {
                "provider": "runware", "image": RUNWARE_AVATAR, "audio": "https://cdn.example.com/line.mp3",
                "orientation": "portrait", "background": {"type": "color", "value": "#102030"}}))
            await drive.done(await drive.ok("create_video", {"provider": "runware", "on_missing": "default",
                                                             "scenes": [{"avatar_id": RUNWARE_AVATAR,
                                                                         "script": "Voice picked by Avatar V."}]}))
            await drive.jobs_tools(video["job_id"], ("create_video", {
                "provider": "runware", "orientation": "square", "scenes": [{**scene, "background": None}]}))
            await drive.finish(fake)


async def test_creatify_contract_every_tool_and_nothing_refused(tmp_path: Path, media_root: Path) -> None:
    media(media_root)
    fake = CreatifyFake(polls_to_complete=2)
    with serve(fake):
        async with CREATIFY.client(CREATIFY.settings(tmp_path, media_root, fake)) as client:
            drive = Driver(client, "creatify")
            voices = await drive.ok("list_voices", {"provider": "creatify"})
            avatars = await drive.ok("list_avatars", {"provider": "creatify"})
            assert voices["voices"] and avatars["avatars"]
            persona, accent = creatify_persona(fake), creatify_accent(fake)
            twin = await drive.done(await drive.ok("create_digital_twin", {
                "provider": "creatify", "name": "Robin Avery", "gender": "male", "video": "clip.mp4"}))
            made = str(twin["result"]["avatar_id"])
            video = await drive.done(await drive.ok("create_video", {
                "provider": "creatify", "orientation": "portrait", "caption": True, "title": "Intro",
                "scenes": [{"avatar_id": made, "script": "Hello and welcome.", "voice_id": accent}]}))
            await drive.done(await drive.ok("create_video", {
                "provider": "creatify", "orientation": "square", "scenes": [
                    {"avatar_id": persona, "script": "First.", "voice_id": accent,
                     "background": {"type": "color", "value": "#ffffff"}},
                    {"avatar_id": persona, "audio": "https://cdn.example.com/line.mp3",
                     "background": {"type": "image", "url": "https://cdn.example.com/office.png"}}]}))
            await drive.jobs_tools(video["job_id"], ("create_video", {
                "provider": "creatify", "orientation": "landscape",
                "scenes": [{"avatar_id": persona, "script": "Again.", "voice_id": accent}]}))
            await drive.finish(fake)


async def test_napster_contract_every_tool_and_nothing_refused(tmp_path: Path, media_root: Path) -> None:
    fake = NapsterFake(polls_to_complete=3)
    fake.grant_consent()
    with serve(fake):
        async with NAPSTER.client(NAPSTER.settings(tmp_path, media_root, fake)) as client:
            drive = Driver(client, "napster")
            listed = await drive.ok("list_avatars", {"provider": "napster", "limit": 100})
            assert len(listed["avatars"]) == len(fake.stock)
            companion = await drive.done(await drive.ok("create_companion", {
                "provider": "napster", "description": "A warm support agent.", "version": "v1",
                "picture": "https://cdn.example.com/ava.jpg", "first_name": "Ava", "last_name": "Stone",
                "gender": "female", "ethnicity": "asian", "tags": ["support"]}))
            await drive.done(await drive.ok("create_companion", {
                "provider": "napster", "description": "Our sales lead.", "version": "v2",
                "video": "https://cdn.example.com/sam.mp4", "first_name": "Sam"}))
            await drive.done(await drive.ok("create_digital_twin", {
                "provider": "napster", "name": "Robin Avery", "video": "https://cdn.example.com/robin.mp4",
                "description": "Robin, our head of sales.", "gender": "male", "ethnicity": "Caucasian"}))
            await drive.jobs_tools(companion["job_id"], ("create_companion", {
                "provider": "napster", "description": "Another one.", "picture": "https://cdn.example.com/b.jpg",
                "version": "v1"}))
            await drive.finish(fake)
