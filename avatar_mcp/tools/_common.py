"""What every tool handler shares: the service from the lifespan, error translation, job answers."""

from __future__ import annotations

import inspect
import json
import logging
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError

from avatar_mcp.apps import tool_meta
from avatar_mcp.errors import AvatarError
from avatar_mcp.jobs import thumbnails
from avatar_mcp.models import JobHandle, JobList, JobRecord
from avatar_mcp.tools._schema import JOB_HANDLE_SCHEMA, JOB_LIST_SCHEMA, compact

logger = logging.getLogger(__name__)


# Hints left out take the spec's defaults (not read-only, destructive, not idempotent, open world); the
# destructive hint is always spelled out, for clients that read a missing hint as false.
READ_ONLY = ToolAnnotations(read_only_hint=True)
READ_LOCAL = ToolAnnotations(read_only_hint=True, open_world_hint=False)
CREATES = ToolAnnotations(destructive_hint=False)
WRITES_LOCAL = ToolAnnotations(destructive_hint=False, idempotent_hint=True)
"""Fetches from a vendor and writes files into the server's data dir (again: the same files)."""
DESTROYS = ToolAnnotations(destructive_hint=True, idempotent_hint=True)


def describe_validation(exc: ValidationError) -> str:
    """Field-level problems in one line each, without echoing the rejected values."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"]) or "request"
        lines.append(f"{where}: {err['msg']}")
    return "Invalid arguments: " + "; ".join(lines) + ". Fix these fields and call again."


@contextmanager
def tool_errors() -> Iterator[None]:
    """Turn the package's errors into ToolErrors the model can act on."""
    try:
        yield
    except ToolError:
        raise
    except AvatarError as exc:
        raise ToolError(str(exc)) from exc
    except ValidationError as exc:
        raise ToolError(describe_validation(exc)) from exc


def summary(handle: JobHandle) -> str:
    """One plain sentence for clients that show text only."""
    if handle.status == "needs_input":
        names = ", ".join(field_words(m.field) for m in handle.missing or [])
        return f"Nothing submitted yet: please ask the user for {names}, then call again with the answers."
    if handle.status in ("declined", "needs_confirmation"):
        return handle.message or "Nothing was submitted."
    # "has succeeded", not "is succeeded": the open states and canceled/unknown read as they are.
    verb = "has" if handle.status in ("succeeded", "failed") else "is"
    head = f"Job {handle.job_id} ({handle.kind}, {handle.provider}) {verb} {handle.status}"
    if handle.status in ("queued", "processing", "submitting", "finishing"):
        # Sub-second hints (local renders: 0.5) must not read "after 0 s".
        after = round(handle.poll_after_seconds or 5, 1)
        return f"{head}, {handle.progress:.0%} done. Call check_job after {after:g} s."
    if handle.status == "succeeded" and handle.result is not None:
        r = handle.result
        made = r.video_path or r.avatar_id or (f"{len(r.candidates)} candidates" if r.candidates else None)
        return f"{head}: {made}." if made else f"{head}."
    return f"{head}. {handle.error.message if handle.error else handle.message or ''}".strip()


def field_words(field: str) -> str:
    """A missing field as words: a question answering several paths at once (one voice for every scene) is
    named as one answer set at each of them, so the model knows where the value goes."""
    paths = field.split(",")
    if len(paths) == 1:
        return field
    leaf = paths[0].rsplit(".", 1)[-1]
    return f"one {leaf} (set as {' and '.join(paths)})"


def job_result(handle: JobHandle, job: JobRecord | None = None) -> CallToolResult:
    """The handle as structured content, plus what a chat should show: candidate images, links to videos."""
    data = handle.model_dump(mode="json", exclude_none=True)
    content: list[ContentBlock] = [TextContent(type="text", text=summary(handle) + "\n" + json.dumps(data, indent=1))]
    result = handle.result
    if result is not None and handle.status == "succeeded":
        for candidate in result.candidates or []:
            image = _inline_image(candidate.image_path)
            if image is not None:
                content.append(image)
        outputs = [result, *(result.outputs or [])]
        for n, output in enumerate(outputs):
            if output.video_path:
                path = Path(output.video_path)
                content.append(ResourceLink(type="resource_link", name=f"{handle.job_id}-{path.name}",
                                            title=f"Video {n + 1} of job {handle.job_id}", uri=path.as_uri(),
                                            mime_type=_video_mime(path), size=_size(path),
                                            description=f"Local file: {path}"))
        if result.preview_image_path:
            image = _inline_image(result.preview_image_path)
            if image is not None:
                content.append(image)
    return CallToolResult(content=content, structured_content=data)


def answer(model: BaseModel) -> CallToolResult:
    """A tool's typed answer without null fields (the compact output schemas leave nulls out)."""
    data = model.model_dump(mode="json", exclude_none=True)
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(data, indent=1))],
                          structured_content=data)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _video_mime(path: Path) -> str:
    return {".webm": "video/webm", ".mov": "video/quicktime"}.get(path.suffix.lower(), "video/mp4")


def _inline_image(path_str: str | None) -> ImageContent | None:
    """The image's kept thumbnail (jobs/thumbnails.py: made once when the job finished, not on every call)."""
    found = thumbnails.inline(path_str)
    if found is None:
        return None
    data, mime = found
    return ImageContent(type="image", data=data, mime_type=mime)


@dataclass(frozen=True)
class ToolSpec:
    fn: Callable[..., Any]
    title: str
    annotations: ToolAnnotations


def creates(fn: Callable[..., Any]) -> ToolSpec:
    """A create tool, named after its operation: its title comes from the operations table."""
    from avatar_mcp.operations import get

    return ToolSpec(fn, get(fn.__name__).tool_title, CREATES)


def output_model(fn: Callable[..., Any]) -> type[BaseModel]:
    """The one output model a tool declares: `-> Model`, or `-> Annotated[CallToolResult, Model]`."""
    hint = typing.get_type_hints(fn, include_extras=True)["return"]
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[1]
    if not (isinstance(hint, type) and issubclass(hint, BaseModel)):
        raise TypeError(f"tool {fn.__name__} must declare one pydantic output model")
    return hint


def build_tools(specs: Iterable[ToolSpec]) -> list[Tool]:
    """Tool objects, deriving each output schema once per model (most tools answer a JobHandle).

    Deriving a JSON schema costs ~10 ms, and every chat pays start-up: so the SDK is asked for unstructured
    tools and given the shared model and schema afterwards (FuncMetadata reads these fields live).
    """
    schemas: dict[type[BaseModel], dict[str, Any]] = {}
    tools = []
    for spec in specs:
        tool = Tool.from_function(spec.fn, title=spec.title, annotations=spec.annotations, structured_output=False,
                                  description=inspect.cleandoc(spec.fn.__doc__ or ""), meta=tool_meta(spec.fn.__name__))
        # Arguments a tool does not take are refused (guard.check_names), and the schema says so.
        tool.parameters = {**compact(tool.parameters), "additionalProperties": False}
        model = output_model(spec.fn)
        if model is JobHandle:
            schemas[model] = JOB_HANDLE_SCHEMA
        elif model is JobList:
            schemas[model] = JOB_LIST_SCHEMA
        elif model not in schemas:
            derived = FuncMetadata(arg_model=tool.fn_metadata.arg_model, output_model=model).output_schema
            assert derived is not None
            schemas[model] = compact(derived)
        tool.fn_metadata.output_model = model
        tool.fn_metadata.output_schema = schemas[model]
        tools.append(tool)
    return tools
