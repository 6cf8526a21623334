"""The Napster provider through the real MCP Client, against the Napster emulator on loopback; plus the
provider listing with every vendor configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.checklist import REFERENCE_VIDEO_TIPS
from avatar_mcp.config import Settings
from avatar_mcp.providers import option_support
from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes._harness import sample_jpeg, serve
from tests.fakes.napster import NapsterFake
from tests.providers._vendors import MODES, FormRecorder, call, fails, finish, refused
from tests.providers.napster.case import NAPSTER

pytestmark = pytest.mark.anyio
CASE = NAPSTER
POLLS = 3
KEY = "test-napster-key"
PICTURE = "https://cdn.example.com/ava.jpg"
COMPANION = {"provider": "napster", "description": "A warm support agent.", "version": "v1", "picture": PICTURE,
             "first_name": "Ava", "last_name": "Stone", "gender": "female", "ethnicity": "asian"}
TWIN = {"provider": "napster", "name": "Robin Avery", "video": "https://cdn.example.com/robin.mp4",
        "description": "Robin, our head of sales.", "gender": "male", "ethnicity": "caucasian"}


def posts(fake: NapsterFake, path: str = "/public/companions") -> list[Any]:
    return fake.requests("POST", f"^{path}$")


@pytest.mark.parametrize("mode", MODES)
async def test_a_v1_companion_is_created_from_a_picture_and_usable_from_ready_to_use(settings: Settings,
                                                                                    fake: NapsterFake,
                                                                                    mode: str) -> None:
    async with Client(CASE.server(settings), mode=mode) as client:
        started = await call(client, "create_companion", COMPANION)
        done = await finish(client, started["job_id"])
        avatars = (await call(client, "list_avatars", {"provider": "napster"}))["avatars"]
    [request] = posts(fake)
    assert request.json == {"description": "A warm support agent.", "version": "v1", "pictureUrl": PICTURE,
                            "firstName": "Ava", "lastName": "Stone", "gender": "female", "ethnicity": "Asian"}
    assert started["kind"] == "avatar" and started["status"] == "queued"
    assert done["status"] == "succeeded", done
    companion_id = done["result"]["avatar_id"]
    assert fake.companions[companion_id]["status"] == "readyToUse"
    assert "readyToUse" in done["message"]
    assert Path(done["result"]["preview_image_path"]).read_bytes() == sample_jpeg()
    mine = next(a for a in avatars if a["avatar_id"] == companion_id)
    assert (mine["name"], mine["kind"], mine["status"]) == ("Ava Stone", "companion", "ready")
    assert {a["name"] for a in avatars} >= {"Ava Lee", "Noah Brooks", "Sam Rivera"}
    assert len(fake.companions) == 1  # the one request was taken: nothing refused


@pytest.mark.parametrize("mode", MODES)
async def test_a_v2_companion_is_asked_for_its_video_with_the_reference_tips_then_made_from_it(
        settings: Settings, fake: NapsterFake, mode: str) -> None:
    v2 = {**COMPANION, "version": "v2", "picture": None}
    async with Client(CASE.server(settings), mode=mode) as client:
        asked = await call(client, "create_companion", v2)
        started = await call(client, "create_companion", {**v2, "video": "https://cdn.example.com/ava.mp4"})
        done = await finish(client, started["job_id"])
    assert asked["status"] == "needs_input" and [m["field"] for m in asked["missing"]] == ["video"]
    assert REFERENCE_VIDEO_TIPS in asked["message"] and "several hours" in asked["message"]
    [request] = posts(fake)
    assert request.json["videoUrl"] == "https://cdn.example.com/ava.mp4" and request.json["version"] == "v2"
    assert "pictureUrl" not in request.json
    assert "v2 can take several hours" in started["message"]
    assert done["status"] == "succeeded", done
    assert len(fake.companions) == 1


async def test_media_napster_cannot_fetch_is_refused_with_advice_and_nothing_is_sent(settings: Settings,
                                                                                    fake: NapsterFake,
                                                                                    media_root: Path) -> None:
    (media_root / "ava.jpg").write_bytes(sample_jpeg())
    async with Client(build_server(settings), mode="auto") as client:
        await refused(client, [
            ("create_companion", {**COMPANION, "picture": "ava.jpg"}, ("cannot be sent", "public", "https")),
            ("create_companion", {**COMPANION, "picture": "http://cdn.example.com/a.jpg"}, ("not a public https URL",)),
            ("create_companion", {**COMPANION, "picture": "https://127.0.0.1/a.jpg"}, ("not a public https URL",)),
            ("create_companion", {**COMPANION, "video": "https://cdn.example.com/a.mp4"}, ("version='v2'",)),
            ("create_companion", {**COMPANION, "ethnicity": "Martian"}, ("Martian", "Caucasian")),
            ("create_digital_twin", {**TWIN, "name": "Robin"}, ("first and last name",)),
            ("create_digital_twin", {**TWIN, "ethnicity": "Other people"}, ("'Other people'", "Caucasian")),
            ("create_digital_twin", {**TWIN, "version": "v1"}, ("voice recording",))])
        jobs = (await call(client, "list_jobs", {}))["jobs"]
    assert fake.requests("POST") == [] and jobs == []


async def test_a_digital_twin_without_consent_says_how_to_give_it_and_leaves_no_job(settings: Settings,
                                                                                   fake: NapsterFake) -> None:
    async with Client(CASE.server(settings), mode="auto") as client:
        refused = await fails(client, "create_digital_twin", TWIN)
        after_refusal = (await call(client, "list_jobs", {}))["jobs"]
        fake.grant_consent("robin-avery")
        started = await call(client, "create_digital_twin", TWIN)
        done = await finish(client, started["job_id"])
    assert "consent" in refused and "Napster Companion dashboard" in refused and "'robin-avery'" in refused
    assert "Nothing was created or charged" in refused
    assert after_refusal == []
    first, second = posts(fake, "/public/digital-twins")
    assert first.json == second.json == {
        "firstName": "Robin", "lastName": "Avery", "description": "Robin, our head of sales.", "gender": "male",
        "ethnicity": "Caucasian", "externalClientId": "robin-avery", "videoUrl": "https://cdn.example.com/robin.mp4",
        "version": "v2"}
    assert done["status"] == "succeeded", done
    assert fake.companions[done["result"]["avatar_id"]]["type"] == "digitalTwin"


@pytest.mark.parametrize("mode", MODES)
async def test_a_twin_without_gender_description_or_ethnicity_is_asked_for_them_before_anything_is_sent(
        settings: Settings, fake: NapsterFake, mode: str) -> None:
    fake.grant_consent()
    bare = {**TWIN, "gender": None, "description": None, "ethnicity": None}
    async with Client(CASE.server(settings), mode=mode) as client:
        asked = await call(client, "create_digital_twin", bare)
        nothing_yet = fake.requests("POST")
        started = await call(client, "create_digital_twin", {**bare, "gender": "nonBinary", "ethnicity": "Black",
                                                             "description": "Robin, our head of sales."})
    assert asked["status"] == "needs_input" and asked.get("job_id") is None
    assert [m["field"] for m in asked["missing"]] == ["gender", "description", "ethnicity"]
    assert asked["missing"][0]["allowed_values"] == ["female", "male", "nonBinary"]
    assert all(field in asked["message"] for field in ("gender", "description", "ethnicity"))
    assert nothing_yet == []
    assert started["status"] == "queued"
    [request] = posts(fake, "/public/digital-twins")
    assert (request.json["gender"], request.json["ethnicity"]) == ("nonBinary", "Black")


@pytest.mark.parametrize("mode", MODES)
async def test_with_forms_a_twins_missing_fields_are_asked_in_one_form_and_the_ethnicity_spelled_as_napster_does(
        settings: Settings, fake: NapsterFake, mode: str) -> None:
    fake.grant_consent()
    form = FormRecorder({"gender": "female", "ethnicity": "south asian", "description": "Our trainer."},
                        observe=lambda: len(fake.requests("POST")))
    bare = {**TWIN, "gender": None, "description": None, "ethnicity": None}
    async with Client(CASE.server(settings), mode=mode, elicitation_callback=form) as client:
        refused = await fails(client, "create_digital_twin", bare)
        form.answers["ethnicity"] = "southasian"
        started = await call(client, "create_digital_twin", bare)
    assert [list(f.requested_schema["properties"]) for f in form.forms] == [["gender", "description", "ethnicity"]] * 2
    assert form.seen == [0, 0]
    assert "'south asian'" in refused and "SouthAsian" in refused
    assert started["status"] == "queued"
    [request] = posts(fake, "/public/digital-twins")
    assert {k: request.json[k] for k in ("gender", "ethnicity", "description")} == {
        "gender": "female", "ethnicity": "SouthAsian", "description": "Our trainer."}


async def test_a_failed_generation_fails_the_job(settings: Settings, fake: NapsterFake) -> None:
    async with Client(CASE.server(settings), mode="auto") as client:
        started = await call(client, "create_companion", COMPANION)
        fake.fail_companion(next(iter(fake.companions)))
        done = await finish(client, started["job_id"])
    assert done["status"] == "failed" and "status failed" in done["error"]["message"]


async def test_list_providers_shows_all_five_and_a_missing_capability_names_the_providers_that_have_it(
        tmp_path: Path, media_root: Path) -> None:
    configured = make_settings(tmp_path, media_root, runware_api_key=SecretStr("k1"), napster_api_key=SecretStr("k2"),
                               creatify_api_id=SecretStr("k3"), creatify_api_key=SecretStr("k4"))
    async with Client(build_server(configured), mode="auto") as client:
        listed = (await call(client, "list_providers", {}))["providers"]
        companion = await fails(client, "create_companion", {**COMPANION, "provider": "runware"})
        voices = await fails(client, "list_voices", {"provider": "napster"})
        video = await fails(client, "create_video", {"provider": "napster", "scenes": [
            {"avatar_id": "x", "script": "Hi", "voice_id": "v"}], "orientation": "square"})
        twin = await fails(client, "create_digital_twin", {**TWIN, "provider": "runware"})
    by_name = {p["name"]: p for p in listed}
    assert set(by_name) == {"heygen", "runware", "creatify", "napster", "local"}
    assert by_name["runware"]["capabilities"] == ["create_photo_video", "create_video"]
    assert by_name["creatify"]["capabilities"] == ["create_digital_twin", "create_video", "list_avatars",
                                                   "list_voices"]
    assert by_name["napster"]["capabilities"] == ["create_companion", "create_digital_twin", "list_avatars"]
    assert all(by_name[n]["configured"] and by_name[n]["notes"] for n in ("runware", "creatify", "napster"))
    assert not by_name["heygen"]["configured"] and by_name["heygen"]["missing_settings"] == ["HEYGEN_API_KEY"]
    assert "cannot create companion" in companion and "napster, local" in companion
    assert "cannot list voices" in voices and "heygen, creatify, local" in voices
    assert "cannot create video" in video and "heygen, runware, creatify, local" in video
    assert "cannot create digital twin" in twin and "heygen, creatify, napster, local" in twin
    assert all("napster" not in providers for providers in option_support().values())  # no video: no render options


async def test_an_id_from_the_vendors_answer_reaches_the_path_as_one_escaped_segment(
        tmp_path: Path, media_root: Path) -> None:
    vendor = NAPSTER
    fake = vendor.make_fake(3)
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
