"""Hostile ids (issue #12, item 3): every id argument of every tool a vendor supports is checked against that
vendor's id shape before anything is sent, and every id that reaches a URL path is escaped as one segment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes._harness import serve
from tests.providers._cases import IDS, RUNWARE_AVATAR, VENDORS, Vendor, creatify_accent, creatify_persona
from tests.providers._vendors import call, fails, finish
from tests.providers.heygen.conftest import STOCK, VOICE

pytestmark = pytest.mark.anyio

HOSTILE = ["../../users/me", "%2e%2e/%2e%2e/users/me", "look?ownership=public", "look#fragment", "looks/other"]
PHOTO = "https://cdn.example.com/face.jpg"


def heygen_arguments(api: str) -> list[tuple[str, str, Any]]:
    """(tool, field, arguments for an id value) for every id argument of every HeyGen tool."""
    def video(avatar: str = STOCK, voice: str = VOICE) -> dict[str, Any]:
        return {"provider": "heygen", "orientation": "landscape",
                "scenes": [{"avatar_id": avatar, "script": "Hi.", "voice_id": voice}]}

    cases: list[tuple[str, str, Any]] = [
        ("create_video", "scenes.0.avatar_id", lambda v: video(avatar=v)),
        ("create_video", "scenes.0.voice_id", lambda v: video(voice=v)),
        ("create_photo_video", "voice_id", lambda v: {"provider": "heygen", "image": PHOTO, "script": "Hi.",
                                                      "voice_id": v}),
        ("train_photo_avatar", "avatar_id", lambda v: {"provider": "heygen", "avatar_id": v}),
        ("delete_avatar", "avatar_id", lambda v: {"provider": "heygen", "avatar_id": v}),
        ("create_photo_avatar", "job", lambda v: {"provider": "heygen", "name": "Me",
                                                  "from_generation": {"job_id": v, "index": 0}}),
    ]
    if api == "v3":
        cases += [
            ("create_photo_video", "image", lambda v: {"provider": "heygen", "image": f"asset:{v}", "script": "Hi.",
                                                       "voice_id": VOICE}),
            ("create_video_from_prompt", "avatar_id", lambda v: {"provider": "heygen", "prompt": "A tour.",
                                                                 "avatar_id": v}),
            ("create_video_from_prompt", "voice_id", lambda v: {"provider": "heygen", "prompt": "A tour.",
                                                                "voice_id": v}),
        ]
    return cases


def arguments_of(vendor: Vendor, fake: Any) -> list[tuple[str, str, Any]]:
    if vendor.id.startswith("heygen"):
        return heygen_arguments(vendor.id.rsplit("-", 1)[1])
    if vendor.id == "runware":
        def video(avatar: str = RUNWARE_AVATAR, voice: str = VOICE) -> dict[str, Any]:
            return {"provider": "runware", "orientation": "landscape",
                    "scenes": [{"avatar_id": avatar, "script": "Hi.", "voice_id": voice}]}

        return [("create_video", "scenes.0.avatar_id", lambda v: video(avatar=v)),
                ("create_video", "scenes.0.voice_id", lambda v: video(voice=v)),
                ("create_photo_video", "image", lambda v: {"provider": "runware", "image": v, "script": "Hi.",
                                                           "voice_id": VOICE}),
                ("create_photo_video", "voice_id", lambda v: {"provider": "runware", "image": RUNWARE_AVATAR,
                                                              "script": "Hi.", "voice_id": v})]
    if vendor.id == "creatify":
        persona, accent = creatify_persona(fake), creatify_accent(fake)

        def lipsync(avatar: str = persona, voice: str = accent) -> dict[str, Any]:
            return {"provider": "creatify", "orientation": "portrait",
                    "scenes": [{"avatar_id": avatar, "script": "Hi.", "voice_id": voice}]}

        return [("create_video", "scenes.0.avatar_id", lambda v: lipsync(avatar=v)),
                ("create_video", "scenes.0.voice_id", lambda v: lipsync(voice=v))]
    # Napster's tools take no vendor id; the job tools take this server's job ids.
    return [(tool, "job", lambda v: {"job_id": v}) for tool in ("check_job", "cancel_job", "download_result")]


@pytest.mark.parametrize("vendor", VENDORS, ids=IDS)
async def test_every_id_argument_refuses_path_query_and_fragment_characters_before_any_request(
        vendor: Vendor, tmp_path: Path, media_root: Path) -> None:
    fake = vendor.make_fake()
    with serve(fake):
        settings = vendor.settings(tmp_path, media_root, fake)
        cases = arguments_of(vendor, fake)
        async with vendor.client(settings) as client:
            refusals = [(tool, field, value, await fails(client, tool, make(value)))
                        for tool, field, make in cases for value in HOSTILE]
            jobs = (await call(client, "list_jobs", {}))["jobs"]
    for tool, field, value, text in refusals:
        assert field in text, (tool, value, text)
        assert "Nothing was sent" in text or "No job with id" in text or "not a" in text, (tool, value, text)
    assert fake.log == [], [(r.method, r.raw_path) for r in fake.log]
    assert jobs == []


async def test_an_id_from_the_vendors_answer_reaches_the_path_as_one_escaped_segment(
        tmp_path: Path, media_root: Path) -> None:
    vendor = next(v for v in VENDORS if v.id == "napster")
    fake = vendor.make_fake()
    with serve(fake):
        settings = vendor.settings(tmp_path, media_root, fake)
        hostile = "../../public/companions/napster-stock"
        fake.add_fault("POST", vendor.create_path, status=201, body={"id": hostile, "status": "pending"})
        async with vendor.client(settings) as client:
            tool, arguments = vendor.create(fake)
            started = await call(client, tool, arguments)
            await finish(client, started["job_id"], wait=0.5)
    polls = fake.requests("GET", "^/public/companions/(?!ethnicities$)")
    assert polls and {r.raw_path for r in polls} == {"/public/companions/..%2F..%2Fpublic%2Fcompanions%2Fnapster-stock"}
    assert all(r.status == 404 for r in polls)  # it named no other endpoint
