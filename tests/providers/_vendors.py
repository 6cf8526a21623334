"""What the vendor tests share: tool calls that must succeed or fail, a form that answers, leak checks, the HTTP
transport on loopback (for webhooks)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp_types import ElicitResult

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from avatar_mcp.transport import http_app
from tests.fakes._harness import serve_asgi

MODES = ["auto", "legacy"]


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call that must succeed; its structured answer."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    data: dict[str, Any] = result.structured_content or {}
    return data


async def fails(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """A tool call that must fail; its error text."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


Refusal = tuple[str, dict[str, Any], tuple[str, ...]]
"""A call that must fail: (tool, arguments, words its error must contain)."""


async def refused(client: Client, refusals: Sequence[Refusal]) -> dict[str, str]:
    """Make each call, which must fail with every word given; their error texts by the first word."""
    texts = {}
    for tool, arguments, words in refusals:
        text = await fails(client, tool, arguments)
        assert all(w in text for w in words), (tool, arguments, [w for w in words if w not in text], text)
        texts[words[0]] = text
    return texts


async def finish(client: Client, job_id: str, wait: float = 15.0) -> dict[str, Any]:
    """check_job until the job leaves the open states (bounded)."""
    return await call(client, "check_job", {"job_id": job_id, "wait_seconds": wait})


class FormRecorder:
    """An elicitation callback that accepts each form with `answers` (else the suggested defaults) and records the
    form and what `observe()` saw at that moment (e.g. how many creates the fake had received)."""

    def __init__(self, answers: dict[str, Any], observe: Callable[[], Any] = lambda: None) -> None:
        self.answers, self.observe = answers, observe
        self.forms: list[Any] = []
        self.seen: list[Any] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.forms.append(params)
        self.seen.append(self.observe())
        properties = params.requested_schema["properties"]
        return ElicitResult(action="accept", content={k: self.answers.get(k, v.get("default"))
                                                      for k, v in properties.items()})

    @property
    def fields(self) -> list[str]:
        """The fields of the one form shown."""
        [form] = self.forms
        return list(form.requested_schema["properties"])


def assert_secret_absent(secret: str, texts: Sequence[str], caplog: pytest.LogCaptureFixture, db: Path) -> None:
    """The key is in no tool answer, no log line, and no byte of the job store (WAL included)."""
    for text in texts:
        assert secret not in text
    assert secret not in caplog.text
    for path in db.parent.glob(db.name + "*"):
        assert secret.encode() not in path.read_bytes(), path


def capture_all(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def loopback_socket() -> socket.socket:
    """A bound loopback socket: its port makes the public URL vendors deliver webhooks to."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving_http(settings: Settings, sock: socket.socket) -> Iterator[str]:
    """The server's streamable-HTTP app (MCP at /mcp, webhook routes) on `sock`; yields its base URL."""
    app = http_app(build_server(settings), settings, "127.0.0.1", sock.getsockname()[1])
    with serve_asgi(app, sock) as base_url:
        yield base_url
