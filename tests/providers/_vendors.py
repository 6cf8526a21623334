"""What the Runware, Creatify and Napster provider tests share: a server over a fake, tool calls, leak checks."""

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
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers import spec as vendor_spec
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.server import build_server
from avatar_mcp.transport import http_app
from tests.fakes._harness import serve_asgi

MODES = ["auto", "legacy"]
Make = Callable[[Settings, SharedHTTP, MediaPolicy], Provider]


def only(name: str, make: Make) -> Callable[[Settings, SharedHTTP, MediaPolicy], Sequence[ProviderEntry]]:
    """A provider factory replacing the registry's `name` entry with `make(...)` (e.g. with a short poll hint).

    `make` builds through the provider's `from_settings`, so base URL and key still come from the settings.
    """
    spec = vendor_spec(name)

    def factory(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
        return [ProviderEntry(spec=spec, provider=make(settings, http, media))]

    return factory


def server(settings: Settings, make: Make | None = None, name: str | None = None) -> Any:
    factory = only(name, make) if make is not None and name is not None else None
    return build_server(settings, provider_factory=factory)


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
