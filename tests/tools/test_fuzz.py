"""Hypothesis-generated arguments for every tool: only results or clear tool errors, never a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.client import Client

from avatar_mcp.server import build_server
from tests.conftest import make_settings
from tests.fakes import countdown

TOOLS = ["list_providers", "list_avatars", "list_voices", "generate_photo_avatar", "create_photo_avatar",
         "train_photo_avatar", "create_digital_twin", "create_companion", "create_video", "create_photo_video",
         "check_job", "list_jobs", "cancel_job", "download_result", "delete_avatar"]

scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, width=32) | st.text(
    max_size=30) | st.sampled_from(["local", "countdown", "heygen", "cd-avatar", "cd-ann", "local-grace", "Senior",
                                    "landscape", "default", "ask", "/etc/passwd", "http://x.example/a.jpg",
                                    "https://x.example/a.jpg", "job_0", "v2", "#123456"])
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["avatar_id", "script", "voice_id", "silence_seconds", "speed", "type", "value", "url",
                     "job_id", "index", "width", "height", "background", "audio"]), inner, max_size=4), max_leaves=8)


class Session:
    def __init__(self, portal: Any, client: Client, schemas: dict[str, dict[str, Any]]) -> None:
        self.portal, self.client, self.schemas = portal, client, schemas

    def call(self, name: str, args: dict[str, Any]) -> Any:
        return self.portal.call(lambda: self.client.call_tool(name, args))


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "media").mkdir()
    settings_ = make_settings(tmp, tmp / "media")
    with anyio.from_thread.start_blocking_portal() as portal:
        client = Client(build_server(settings_, provider_factory=countdown.entries), mode="legacy")
        with portal.wrap_async_context_manager(client):
            tools = portal.call(client.list_tools)
            yield Session(portal, client, {t.name: t.input_schema for t in tools.tools})


def arguments_for(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(schema.get("properties", {}))
    return st.dictionaries(st.sampled_from(names) if names else st.just("x"), values, max_size=6)


@pytest.mark.parametrize("tool", TOOLS)
def test_random_arguments_never_crash_a_tool(session: Session, tool: str, tmp_path: Path) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(args=arguments_for(session.schemas[tool]))
    def check(args: dict[str, Any]) -> None:
        args.pop("wait_seconds", None)  # keep every call quick
        result = session.call(tool, args)
        if result.is_error:
            text = " ".join(getattr(c, "text", "") for c in result.content)
            assert text.strip() != f"Error executing tool {tool}", f"{tool} crashed on {args!r}"
            assert len(text) > len(f"Error executing tool {tool}: ") + 10, text
        else:
            assert result.structured_content is not None

    check()
