"""The pre-generation checklist through the SDK's real Client: elicitation, needs_input, defaults (both eras)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.client import Client
from mcp_types import ElicitResult

from avatar_mcp.checklist import AGES, ETHNICITIES, PHOTO_GENDERS, POSES, STYLES
from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
PHOTO = {"provider": "countdown", "name": "Ava", "age": "Senior", "gender": "Woman", "ethnicity": "Hispanic",
         "orientation": "square", "pose": "close_up", "style": "Noir"}


def server(settings: Settings) -> Any:
    return build_server(settings, provider_factory=countdown.entries)


class FormRecorder:
    def __init__(self, action: str = "accept", answers: dict[str, Any] | None = None) -> None:
        self.action, self.answers = action, answers or {}
        self.forms: list[Any] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.forms.append(params)
        schema = params.requested_schema
        content = {k: self.answers.get(k, v.get("default")) for k, v in schema["properties"].items()}
        if self.action != "accept":
            return ElicitResult(action=self.action)
        return ElicitResult(action="accept", content=content)


async def jobs_in(client: Client) -> list[Any]:
    listed = await client.call_tool("list_jobs", {})
    return listed.structured_content["jobs"]


@pytest.mark.parametrize("mode", MODES)
async def test_missing_photo_fields_are_asked_in_one_form_with_the_exact_choices(settings: Settings,
                                                                                 mode: str) -> None:
    form = FormRecorder(answers={"appearance": "red hair, green jacket"})
    async with Client(server(settings), mode=mode, elicitation_callback=form) as client:
        result = await client.call_tool("generate_photo_avatar", {**PHOTO, "age": None, "gender": None,
                                                                  "ethnicity": None, "pose": None, "style": None})
        assert not result.is_error, result.content
        handle = result.structured_content
        jobs = await jobs_in(client)
    assert len(form.forms) == 1
    props = form.forms[0].requested_schema["properties"]
    assert set(props) == {"age", "gender", "ethnicity", "pose", "style", "appearance"}
    assert tuple(props["age"]["enum"]) == AGES
    assert tuple(props["gender"]["enum"]) == PHOTO_GENDERS
    assert tuple(props["ethnicity"]["enum"]) == ETHNICITIES
    assert tuple(props["pose"]["enum"]) == POSES
    assert tuple(props["style"]["enum"]) == STYLES
    assert props["age"]["default"] == "Early Middle Age"
    assert handle["status"] == "queued" and handle["job_id"]
    assert [j["job_id"] for j in jobs] == [handle["job_id"]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_a_declined_form_submits_nothing_and_says_so(settings: Settings, mode: str, action: str) -> None:
    form = FormRecorder(action=action)
    async with Client(server(settings), mode=mode, elicitation_callback=form) as client:
        result = await client.call_tool("generate_photo_avatar", {"provider": "countdown", "name": "Ava"})
        assert not result.is_error
        handle = result.structured_content
        assert await jobs_in(client) == []
    assert handle["status"] == "declined"
    assert handle.get("job_id") is None
    assert "Nothing was submitted" in handle["message"]


@pytest.mark.parametrize("mode", MODES)
async def test_without_elicitation_the_answer_lists_exactly_the_missing_fields(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        result = await client.call_tool("generate_photo_avatar", {**PHOTO, "pose": None, "appearance": None})
        handle = result.structured_content
        assert await jobs_in(client) == []
    assert handle["status"] == "needs_input"
    missing = {m["field"]: m for m in handle["missing"]}
    assert set(missing) == {"pose", "appearance"}
    assert missing["pose"]["allowed_values"] == list(POSES)
    assert missing["pose"]["default"] == "half_body"
    assert missing["appearance"].get("allowed_values") is None
    assert "pose" in handle["message"] and "appearance" in handle["message"]


@pytest.mark.parametrize("mode", MODES)
async def test_on_missing_default_fills_and_lists_the_defaults(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        result = await client.call_tool("generate_photo_avatar", {**PHOTO, "style": None, "appearance": None,
                                                                  "on_missing": "default"})
        handle = result.structured_content
        job_id = handle["job_id"]
        detail = await client.read_resource(f"avatar://jobs/{job_id}")
    assert handle["status"] == "queued"
    assert set(handle["defaults_applied"]) == {"style", "appearance"}
    assert handle["defaults_applied"]["style"] == "Realistic"
    assert '"style": "Realistic"' in detail.contents[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_a_video_without_a_voice_asks_for_one_with_the_providers_voices(settings: Settings, mode: str) -> None:
    form = FormRecorder(answers={"voice_id": "cd-ann"})
    args = {"provider": "countdown", "orientation": "square",
            "scenes": [{"avatar_id": "cd-avatar", "script": "One."}, {"avatar_id": "cd-avatar", "script": "Two."}]}
    async with Client(server(settings), mode=mode, elicitation_callback=form) as client:
        result = await client.call_tool("create_video", args)
        job_id = result.structured_content["job_id"]
        detail = await client.read_resource(f"avatar://jobs/{job_id}")
    props = form.forms[0].requested_schema["properties"]
    assert set(props) == {"voice_id"}
    assert props["voice_id"]["enum"] == ["cd-ann", "cd-bob"]
    assert props["voice_id"]["default"] == "cd-bob"  # the avatar's own voice
    text = detail.contents[0].text
    assert text.count('"voice_id": "cd-ann"') == 2


@pytest.mark.parametrize("mode", MODES)
async def test_a_video_without_a_voice_and_no_forms_answers_needs_input(settings: Settings, mode: str) -> None:
    args = {"provider": "countdown", "scenes": [{"avatar_id": "cd-avatar", "script": "One."}]}
    async with Client(server(settings), mode=mode) as client:
        handle = (await client.call_tool("create_video", args)).structured_content
        defaulted = (await client.call_tool("create_video", {**args, "on_missing": "default"})).structured_content
    assert handle["status"] == "needs_input"
    missing = {m["field"]: m for m in handle["missing"]}
    assert set(missing) == {"scenes.0.voice_id", "orientation"}
    assert missing["scenes.0.voice_id"]["allowed_values"] == ["cd-ann", "cd-bob"]
    assert missing["scenes.0.voice_id"]["default"] == "cd-bob"
    assert defaulted["status"] == "queued"
    assert defaulted["defaults_applied"] == {"scenes.0.voice_id": "cd-bob", "orientation": "landscape"}


@pytest.mark.parametrize("mode", MODES)
async def test_one_voice_for_several_scenes_says_where_the_answer_goes(settings: Settings, mode: str) -> None:
    args = {"provider": "countdown", "orientation": "square",
            "scenes": [{"avatar_id": "cd-avatar", "script": "One."}, {"avatar_id": "cd-avatar", "script": "Two."}]}
    async with Client(server(settings), mode=mode) as client:
        result = await client.call_tool("create_video", args)
    handle = result.structured_content
    assert [m["field"] for m in handle["missing"]] == ["scenes.0.voice_id,scenes.1.voice_id"]  # the form's key
    # The words a text-only model reads name the one answer and every place it goes, not a comma-joined key.
    expected = "one voice_id (set as scenes.0.voice_id and scenes.1.voice_id)"
    assert f"ask the user for: {expected}." in handle["message"]
    assert f"please ask the user for {expected}, then" in result.content[0].text  # type: ignore[union-attr]


CONFIRMED_VIDEO = {"provider": "countdown", "orientation": "square",
                   "scenes": [{"avatar_id": "cd-avatar", "script": "One.", "voice_id": "cd-ann"}]}


@pytest.mark.parametrize("mode", MODES)
async def test_with_forms_only_the_users_answer_confirms_spending(tmp_path: Any, media_root: Any, mode: str) -> None:
    settings = make_settings(tmp_path, media_root, confirm_spend=True)
    declined = FormRecorder(answers={"confirm_spend": False})
    approved = FormRecorder(answers={"confirm_spend": True})
    async with Client(server(settings), mode=mode, elicitation_callback=declined) as client:
        # The model's own "yes" changes nothing: the form is still shown, and the user says no.
        refused = (await client.call_tool("create_video", {**CONFIRMED_VIDEO, "confirm_spend": True}))
        assert await jobs_in(client) == []
    async with Client(server(settings), mode=mode, elicitation_callback=approved) as client:
        done = (await client.call_tool("create_video", CONFIRMED_VIDEO)).structured_content
    assert "1 credits" in declined.forms[0].message
    assert "confirm_spend" in declined.forms[0].requested_schema["properties"]
    assert refused.structured_content["status"] == "declined"
    assert done["status"] == "queued"


@pytest.mark.parametrize("mode", MODES)
async def test_without_forms_a_single_use_code_bound_to_the_request_confirms_spending(
        tmp_path: Any, media_root: Any, mode: str) -> None:
    settings = make_settings(tmp_path, media_root, confirm_spend=True)
    other_script = {**CONFIRMED_VIDEO, "scenes": [{**CONFIRMED_VIDEO["scenes"][0], "script": "Two."}]}  # type: ignore[dict-item]
    async with Client(server(settings), mode=mode) as client:
        flagged = (await client.call_tool("create_video", {**CONFIRMED_VIDEO, "confirm_spend": True}))
        asked = flagged.structured_content
        code = asked["confirmation_code"]
        assert await jobs_in(client) == []
        elsewhere = (await client.call_tool("create_video", {**other_script, "confirm_spend": code}))
        assert await jobs_in(client) == []
    # Another server process on the same data dir accepts the code: it is kept on disk.
    async with Client(server(settings), mode=mode) as client:
        done = (await client.call_tool("create_video", {**CONFIRMED_VIDEO, "confirm_spend": code}))
        again = (await client.call_tool("create_video", {**CONFIRMED_VIDEO, "confirm_spend": code}))
        jobs = await jobs_in(client)
    assert asked["status"] == "needs_confirmation" and asked.get("job_id") is None
    assert asked["estimated_cost"]["amount"] == 1.0 and f"confirm_spend='{code}'" in asked["message"]
    assert "1 credits" in flagged.content[0].text  # the text-only summary says what to ask
    assert elsewhere.structured_content["status"] == "needs_confirmation"  # a code for another request
    assert done.structured_content["status"] == "queued"
    assert again.structured_content["status"] == "needs_confirmation"  # used up
    assert again.structured_content["confirmation_code"] != code
    assert len(jobs) == 1


def test_confirmation_codes_expire_and_are_bound_to_one_value(tmp_path: Any) -> None:
    from avatar_mcp.ledger import Ledger

    now = [1000.0]
    ledger = Ledger(tmp_path, clock=lambda: now[0])
    code = ledger.issue("spend", "digest-a", 600)
    late = ledger.issue("spend", "digest-a", 600)
    assert not ledger.redeem("spend", code, "digest-b")
    assert ledger.redeem("spend", code, "digest-a")
    assert not ledger.redeem("spend", code, "digest-a")
    now[0] += 601
    assert not ledger.redeem("spend", late, "digest-a")


@pytest.mark.parametrize("mode", MODES)
async def test_the_voice_catalogue_is_read_once_per_call_however_many_rounds_it_takes(settings: Settings,
                                                                                      mode: str) -> None:
    form = FormRecorder(answers={"voice_id": "cd-ann"})
    srv = server(settings)
    args = {"provider": "countdown", "orientation": "square", "scenes": [{"avatar_id": "cd-avatar", "script": "Hi."}]}
    async with Client(srv, mode=mode, elicitation_callback=form) as client:
        result = await client.call_tool("create_video", args)
        assert result.structured_content["status"] == "queued"
        assert srv.app_context is not None and srv.app_context.current is not None
        provider = srv.app_context.current.entries["countdown"].provider
    assert provider.voice_lists == 1  # type: ignore[union-attr]
    # planned once per protocol round: the form's round and the answer's (2026-07-28), or the one call (2025-11-25)
    assert provider.estimates == (2 if mode == "auto" else 1)  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", MODES)
async def test_a_path_outside_the_media_roots_is_refused_before_anything_is_asked(settings: Settings,
                                                                                  mode: str) -> None:
    form = FormRecorder()
    async with Client(server(settings), mode=mode, elicitation_callback=form) as client:
        photo = await client.call_tool("create_photo_video", {"image": "/etc/passwd", "provider": "local"})
        backdrop = await client.call_tool("create_video", {"provider": "countdown", "scenes": [
            {"background": {"type": "image", "url": "/etc/hostname.jpg"}}]})
        jobs = await jobs_in(client)
    assert form.forms == []
    assert photo.is_error and "outside the media roots" in photo.content[0].text
    assert backdrop.is_error and "scenes[0].background.url: '/etc/hostname.jpg'" in backdrop.content[0].text
    assert jobs == []


async def test_a_file_of_the_wrong_kind_is_refused_before_anything_is_asked(settings: Settings) -> None:
    not_a_photo = settings.media_roots[0] / "notes.jpg"
    not_a_photo.write_text("just text")
    form = FormRecorder()
    async with Client(server(settings), mode="legacy", elicitation_callback=form) as client:
        result = await client.call_tool("create_photo_video", {"image": str(not_a_photo), "provider": "local"})
    assert form.forms == []
    assert result.is_error and "image is needed" in result.content[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_a_hostile_job_id_is_refused_naming_its_field(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        pick = await client.call_tool("create_photo_avatar", {"from_generation": {"job_id": "../../etc", "index": 0}})
        check = await client.call_tool("check_job", {"job_id": "job_1/../../x"})
        jobs = await jobs_in(client)
    assert pick.is_error and "from_generation.job_id: '../../etc' is not a job id" in pick.content[0].text
    assert check.is_error and "job_id: 'job_1/../../x' is not a job id" in check.content[0].text
    assert jobs == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_form_answer_holding_control_characters_is_refused_like_an_argument(settings: Settings,
                                                                                    mode: str) -> None:
    form = FormRecorder(answers={"appearance": "red\x00hair\x1b[2J"})
    async with Client(server(settings), mode=mode, elicitation_callback=form) as client:
        result = await client.call_tool("generate_photo_avatar", {**PHOTO, "appearance": None})
        jobs = await jobs_in(client)
    assert len(form.forms) == 1
    assert result.is_error
    text = result.content[0].text
    assert "appearance" in text and "U+0000" in text and "Nothing was submitted" in text
    assert jobs == []


class Answers:
    """A client whose form answers do not fit the form (a required field left out, a number for a text)."""

    def __init__(self, content: dict[str, Any]) -> None:
        self.content = content

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content=self.content)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("content", [{}, {"image": 7}])
async def test_form_answers_that_do_not_fit_the_form_say_so_without_internals(settings: Settings, mode: str,
                                                                             content: dict[str, Any]) -> None:
    async with Client(server(settings), mode=mode, elicitation_callback=Answers(content)) as client:
        result = await client.call_tool("create_photo_avatar", {"provider": "local", "name": "Ann"})
        jobs = await jobs_in(client)
    assert result.is_error
    text = result.content[0].text
    assert "image" in text and "form" in text and "Nothing was submitted" in text
    assert "Resolver" not in text and "_flow" not in text and "Flow[" not in text, text
    assert jobs == []
