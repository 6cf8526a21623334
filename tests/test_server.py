"""The MCP surface through the SDK's real Client, in both protocol eras."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from tests.fakes import countdown

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
CONTRACT_TOOLS = {
    "list_providers", "list_avatars", "list_voices", "generate_photo_avatar", "create_photo_avatar",
    "train_photo_avatar", "create_digital_twin", "create_companion", "create_video", "create_photo_video",
    "check_job", "list_jobs", "cancel_job", "download_result", "delete_avatar",
}
VIDEO = {"scenes": [{"avatar_id": "cd-avatar", "script": "Hello there.", "voice_id": "cd-ann"}],
         "orientation": "landscape", "provider": "countdown"}


def server(settings: Settings) -> Any:
    return build_server(settings, provider_factory=countdown.entries)


@pytest.mark.parametrize("mode", MODES)
async def test_every_contract_tool_is_listed_with_title_annotations_and_one_output_schema(settings: Settings,
                                                                                          mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= CONTRACT_TOOLS
    for name in CONTRACT_TOOLS:
        tool = tools[name]
        assert tool.title, name
        assert tool.annotations is not None, name
        assert tool.output_schema is not None, name
        assert len(tool.description or "") > 80, name
        assert "answers" not in tool.input_schema.get("properties", {}), name


@pytest.mark.parametrize("mode", MODES)
async def test_a_job_runs_end_to_end_with_progress_and_lands_in_the_job_resource(settings: Settings,
                                                                                 mode: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with Client(server(settings), mode=mode) as client:
        started = await client.call_tool("create_video", VIDEO)
        assert not started.is_error, started.content
        handle = started.structured_content
        assert handle["status"] == "queued"
        assert handle["job_id"].startswith("job_")
        assert handle["estimated_cost"]["amount"] == 1.0
        done = await client.call_tool("check_job", {"job_id": handle["job_id"], "wait_seconds": 10},
                                      progress_callback=on_progress)
        final = done.structured_content
        assert final["status"] == "succeeded", final
        assert final["result"]["duration_seconds"] == 1.5
        resource = await client.read_resource(f"avatar://jobs/{handle['job_id']}")
        detail = json.loads(resource.contents[0].text)
    assert detail["status"] == "succeeded"
    assert detail["result"]["video_path"] == final["result"]["video_path"]
    assert detail["request"]["arguments"]["scenes"][0]["script"] == "Hello there."
    assert len(progress) >= 2
    assert progress[-1][0] == 100
    assert any(0 < p[0] < 100 for p in progress)


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_job_id_gets_a_clear_tool_error(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        result = await client.call_tool("check_job", {"job_id": "job_doesnotexist"})
        resource_error = None
        try:
            await client.read_resource("avatar://jobs/job_doesnotexist")
        except Exception as exc:  # the SDK raises the resource error
            resource_error = str(exc)
    assert result.is_error
    text = result.content[0].text
    assert "job_doesnotexist" in text and "list_jobs" in text
    assert resource_error is not None and "job_doesnotexist" in resource_error


@pytest.mark.parametrize("mode", MODES)
async def test_malformed_arguments_get_a_field_level_error_and_submit_nothing(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        bad_speed = await client.call_tool("create_video", {**VIDEO, "scenes": [
            {"avatar_id": "cd-avatar", "script": "Hi", "voice_id": "cd-ann", "speed": 9}]})
        bad_type = await client.call_tool("check_job", {"job_id": 42})
        two_sources = await client.call_tool("create_video", {**VIDEO, "scenes": [
            {"avatar_id": "cd-avatar", "script": "Hi", "silence_seconds": 3, "voice_id": "cd-ann"}]})
        jobs = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
    assert bad_speed.is_error and "speed" in bad_speed.content[0].text
    assert bad_type.is_error and "job_id" in bad_type.content[0].text
    assert two_sources.is_error and "one of script, audio or silence_seconds" in two_sources.content[0].text
    assert jobs == []


@pytest.mark.parametrize("mode", MODES)
async def test_an_unconfigured_provider_says_which_setting_to_set(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        result = await client.call_tool("create_video", {**VIDEO, "provider": "heygen"})
        unknown = await client.call_tool("list_voices", {"provider": "acme"})
        lacking = await client.call_tool("create_companion", {"provider": "countdown", "description": "x",
                                                              "picture": "https://example.com/p.jpg"})
    assert result.is_error
    assert "HEYGEN_API_KEY" in result.content[0].text and "local" in result.content[0].text
    assert unknown.is_error and "Known providers" in unknown.content[0].text
    assert lacking.is_error
    assert "cannot create companion" in lacking.content[0].text and "napster" in lacking.content[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_jobs_are_listed_newest_first_and_can_be_canceled(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        first = (await client.call_tool("create_video", VIDEO)).structured_content["job_id"]
        second = (await client.call_tool("create_video", VIDEO)).structured_content["job_id"]
        canceled = (await client.call_tool("cancel_job", {"job_id": first})).structured_content
        listed = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
        open_jobs = (await client.call_tool("list_jobs", {"status": "open"})).structured_content["jobs"]
    assert [j["job_id"] for j in listed] == [second, first]
    assert canceled["status"] == "canceled"
    assert "may still finish" in canceled["message"]
    assert [j["job_id"] for j in open_jobs] == [second]


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_resources_and_completions_are_served(settings: Settings, mode: str) -> None:
    async with Client(server(settings), mode=mode) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        rendered = await client.get_prompt("talking-photo-video", {"photo": "/p.jpg", "script": "Hello"})
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        statics = {str(r.uri) for r in (await client.list_resources()).resources}
        guide = await client.read_resource("avatar://guides/photo-requirements")
        voices = await client.read_resource("avatar://voices/countdown")
    assert {"talking-photo-video", "ai-presenter", "digital-twin-onboarding"} <= set(prompts)
    assert {a.name for a in prompts["talking-photo-video"].arguments or []} >= {"photo", "script"}
    text = rendered.messages[0].content.text
    assert "/p.jpg" in text and "Hello" in text and "(not given)" in text
    assert {"avatar://jobs/{job_id}", "avatar://voices/{provider}", "avatar://avatars/{provider}"} <= templates
    assert {"avatar://providers", "avatar://guides/photo-requirements", "avatar://guides/reference-video",
            "avatar://guides/avatar-models"} <= statics
    assert "512" in guide.contents[0].text
    assert "cd-ann" in voices.contents[0].text


@pytest.mark.parametrize("mode", MODES)
async def test_avatar_and_voice_ids_are_completed_from_the_providers_catalogue(settings: Settings,
                                                                               mode: str) -> None:
    from mcp_types import PromptReference, ResourceTemplateReference

    prompt = PromptReference(type="ref/prompt", name="avatar-video")
    async with Client(server(settings), mode=mode) as client:
        voices = await client.complete(prompt, {"name": "voice_id", "value": "cd-a"}, {"provider": "countdown"})
        avatars = await client.complete(prompt, {"name": "avatar_id", "value": ""}, {"provider": "countdown"})
        providers = await client.complete(ResourceTemplateReference(type="ref/resource",
                                                                    uri="avatar://voices/{provider}"),
                                          {"name": "provider", "value": "co"})
    assert voices.completion.values == ["cd-ann"]
    assert avatars.completion.values == ["cd-avatar"]
    assert providers.completion.values == ["countdown"]


@pytest.mark.parametrize("mode", MODES)
async def test_the_background_poller_finishes_jobs_nobody_is_checking(settings: Settings, mode: str) -> None:
    import anyio

    async with Client(server(settings), mode=mode) as client:
        job_id = (await client.call_tool("create_video", VIDEO)).structured_content["job_id"]
        with anyio.fail_after(15):
            while True:
                listed = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
                if listed[0]["status"] == "succeeded":
                    break
                await anyio.sleep(0.2)
    assert listed[0]["job_id"] == job_id
    assert listed[0]["result"]["duration_seconds"] == 1.5


async def test_annotations_tell_which_tools_write(settings: Settings) -> None:
    async with Client(server(settings), mode="legacy") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    writes = {name for name, tool in tools.items() if tool.annotations and not tool.annotations.read_only_hint}
    assert {"download_result", "cancel_job", "delete_avatar", "create_video"} <= writes
    assert tools["delete_avatar"].annotations.destructive_hint is True
    assert tools["download_result"].annotations.destructive_hint is False
    assert {"check_job", "list_jobs", "list_providers", "list_voices"}.isdisjoint(writes)


@pytest.mark.parametrize("mode", MODES)
async def test_a_bad_prompt_request_is_invalid_params_saying_what_to_send(settings: Settings, mode: str) -> None:
    from mcp.shared.exceptions import MCPError

    errors: dict[str, MCPError] = {}
    async with Client(server(settings), mode=mode) as client:
        for label, name, arguments in [("unknown", "no-such-prompt", {}),
                                       ("missing", "talking-photo-video", {"photo": "/p.jpg"})]:
            with pytest.raises(MCPError) as caught:
                await client.get_prompt(name, arguments)
            errors[label] = caught.value
        listed = {p.name for p in (await client.list_prompts()).prompts}
    assert {e.error.code for e in errors.values()} == {-32602}
    unknown = errors["unknown"].error.message
    assert "no-such-prompt" in unknown and all(name in unknown for name in listed)
    missing = errors["missing"].error.message
    assert missing.split(": ", 1)[1].startswith("script.")


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_tool_is_invalid_params_listing_the_tools(settings: Settings, mode: str) -> None:
    """The specification's protocol error for an unknown tool (-32602), not a tool result that reads like one."""
    from mcp.shared.exceptions import MCPError

    async with Client(server(settings), mode=mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("create_vidoe", {"scenes": []})
        listed = {t.name for t in (await client.list_tools()).tools}
    assert caught.value.error.code == -32602
    assert "create_vidoe" in caught.value.error.message and all(n in caught.value.error.message for n in listed)


@pytest.mark.parametrize("mode", MODES)
async def test_rejected_arguments_are_named_without_echoing_values_or_validator_internals(settings: Settings,
                                                                                          mode: str) -> None:
    secretish = "sk-" + "q" * 6000
    async with Client(server(settings), mode=mode) as client:
        long_script = await client.call_tool("create_photo_video", {"image": "a.jpg", "script": secretish})
        wrong_type = await client.call_tool("create_video", {**VIDEO, "scenes": [{"avatar_id": {"a": 1}}]})
    for result, field in [(long_script, "script"), (wrong_type, "scenes.0.avatar_id")]:
        assert result.is_error
        text = result.content[0].text
        assert field in text and "call again" in text
        assert "qqqq" not in text and "{'a': 1}" not in text
        assert "Arguments" not in text and "pydantic" not in text and "input_value" not in text


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_argument_is_refused_naming_it_before_anything_is_spent(settings: Settings,
                                                                                 mode: str) -> None:
    scene = {"avatar_id": "cd-avatar", "script": "Hello there."}
    async with Client(server(settings), mode=mode) as client:
        tools = (await client.list_tools()).tools
        misspelt = await client.call_tool("create_video", {**VIDEO, "scenes": [scene], "voice": "cd-ann",
                                                           "on_missing": "default"})
        hidden = await client.call_tool("create_video", {**VIDEO, "answers": {"scenes": "x"}})
        jobs = (await client.call_tool("list_jobs", {})).structured_content["jobs"]
    assert all(t.input_schema.get("additionalProperties") is False for t in tools)
    assert misspelt.is_error
    text = misspelt.content[0].text
    assert "'voice'" in text and "inside each of scenes" in text and "Nothing was submitted" in text
    assert hidden.is_error and "'answers'" in hidden.content[0].text
    assert jobs == []
