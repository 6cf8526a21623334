"""The tool listing stays small, and its compact job-handle schema stays true to the models."""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp.client import Client
from mcp_types import ListToolsResult

from avatar_mcp.config import Settings
from avatar_mcp.models import Candidate, Cost, JobError, JobHandle, JobResult, MediaOutput, MissingField
from avatar_mcp.server import build_server
from avatar_mcp.tools._schema import JOB_HANDLE_SCHEMA, JOB_LIST_SCHEMA, compact

BUDGET = 35_000


@pytest.mark.anyio
async def test_tools_list_fits_the_budget_with_every_tool_typed(settings: Settings) -> None:
    async with Client(build_server(settings), mode="legacy") as client:
        tools = (await client.list_tools()).tools
    wire = ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True)
    assert len(wire) <= BUDGET, len(wire)
    assert all(t.output_schema is not None and t.output_schema["type"] == "object" for t in tools)
    handles = [t.name for t in tools if t.output_schema == JOB_HANDLE_SCHEMA]
    assert len(handles) == 11 and "check_job" in handles and "create_video" in handles
    assert next(t for t in tools if t.name == "list_jobs").output_schema == JOB_LIST_SCHEMA


def _is_optional_string(annotation: Any) -> bool:
    args = set(typing.get_args(annotation))
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and args == {str, type(None)}


def test_every_job_handle_field_is_in_the_compact_schema() -> None:
    assert set(JOB_HANDLE_SCHEMA["properties"]) == set(JobHandle.model_fields)
    result = JOB_HANDLE_SCHEMA["properties"]["result"]
    for name, field in JobResult.model_fields.items():
        assert name in result["properties"] or _is_optional_string(field.annotation), name


def _full_handle() -> JobHandle:
    files = MediaOutput(video_path="/v.mp4", video_url="https://x/v.mp4", captions_path="/v.srt",
                        thumbnail_path="/t.jpg", duration_seconds=3.5)
    return JobHandle(
        job_id="job_1", kind="video", provider="heygen", status="succeeded", progress=1.0, message="Done.",
        poll_after_seconds=None, error=JobError(code="x", message="y"),
        result=JobResult(**files.model_dump(), candidates=[Candidate(index=0, image_path="/c.jpg", key="k")],
                         avatar_id="a", avatar_group_id="g", default_voice_id="v", preview_image_url="https://p",
                         preview_image_path="/p.jpg", consent_url="https://c", outputs=[files],
                         cost=Cost(amount=1, basis="b"), warnings=["w"]),
        missing=[MissingField(field="voice_id", question="Which voice?", allowed_values=["a"], default="a")],
        defaults_applied={"name": "My avatar"}, estimated_cost=Cost(amount=2, basis="b"))


def test_a_fully_populated_handle_validates_and_a_wrong_one_does_not() -> None:
    data = _full_handle().model_dump(mode="json", exclude_none=True)
    jsonschema.validate(data, JOB_HANDLE_SCHEMA)
    jsonschema.validate({"jobs": [data]}, JOB_LIST_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "status": "done"}, JOB_HANDLE_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "result": {**data["result"], "avatar_id": 3}}, JOB_HANDLE_SCHEMA)


def test_compact_keeps_meaning_and_drops_only_noise() -> None:
    schema = {"title": "Args", "type": "object", "properties": {
        "name": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "null"}], "default": None, "title": "Name"},
        "mode": {"enum": ["a", "b"], "type": "string", "default": "a", "title": "Mode"},
        "spec": {"$ref": "#/$defs/Spec"}},
        "$defs": {"Spec": {"title": "Spec", "type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}}}
    assert compact(schema) == {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 40}, "mode": {"enum": ["a", "b"], "default": "a"},
        "spec": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}}}


def test_the_surface_benchmark_prints_per_tool_sizes(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "bench" / "tool_surface.py"), "--json"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["total"] <= BUDGET and len(figures["tools"]) == 16
    assert sum(t["total"] for t in figures["tools"]) < figures["total"]


def _descriptions(schema: Any) -> typing.Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("description"), str):
            yield schema["description"]
        for value in schema.values():
            yield from _descriptions(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _descriptions(value)


@pytest.mark.anyio
async def test_media_arguments_spell_the_asset_form_the_server_reads(settings: Settings) -> None:
    """media.classify reads only `asset:<id>` as an asset; a bare vendor key would be taken for a local path, so a
    description saying just "asset key" left the model to guess the form."""
    from avatar_mcp.media import classify

    async with Client(build_server(settings), mode="legacy") as client:
        tools = (await client.list_tools()).tools
    mentions = [d for t in tools for d in _descriptions(t.input_schema) if "asset" in d]
    assert mentions
    assert [d for d in mentions if "asset:<id>" not in d] == []
    assert classify("asset:abc123") == "asset" and classify("abc123") == "path"
