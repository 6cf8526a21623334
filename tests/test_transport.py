"""The streamable-HTTP transport's security: bearer token off loopback, Host and Origin always checked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.server import build_server
from avatar_mcp.transport import InsecureBind, http_app
from tests.conftest import make_settings
from tests.fakes._harness import loopback_socket, serve_asgi

TOKEN = "s3cret-token-for-tests"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@contextmanager
def running(settings: Settings, bind_as: str) -> Iterator[str]:
    """Serve the app built for `bind_as` (e.g. 0.0.0.0) on a loopback port, so the test stays on 127.0.0.1."""
    sock = loopback_socket()
    app = http_app(build_server(settings), settings, bind_as, sock.getsockname()[1])
    with serve_asgi(app, sock) as base_url:
        yield base_url


def test_an_exposed_bind_without_a_token_is_refused(settings: Settings) -> None:
    with pytest.raises(InsecureBind, match="AVATAR_MCP_HTTP_TOKEN"):
        http_app(build_server(settings), settings, "0.0.0.0", 8000)


def test_an_exposed_bind_answers_401_without_the_token(tmp_path: Path, media_root: Path) -> None:
    settings = make_settings(tmp_path, media_root, http_token=SecretStr(TOKEN))
    with running(settings, "0.0.0.0") as base:
        missing = httpx.post(f"{base}/mcp", json=INIT, headers=HEADERS)
        wrong = httpx.post(f"{base}/mcp", json=INIT, headers={**HEADERS, "Authorization": "Bearer nope"})
        right = httpx.post(f"{base}/mcp", json=INIT, headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert TOKEN not in missing.text + wrong.text
    assert right.status_code == 200


def test_a_foreign_host_gets_421_and_a_foreign_origin_403(tmp_path: Path, media_root: Path) -> None:
    settings = make_settings(tmp_path, media_root, http_token=SecretStr(TOKEN))
    auth = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
    with running(settings, "0.0.0.0") as base:
        host = httpx.post(f"{base}/mcp", json=INIT, headers={**auth, "Host": "evil.example:80"})
        origin = httpx.post(f"{base}/mcp", json=INIT, headers={**auth, "Origin": "https://evil.example"})
    assert host.status_code == 421
    assert origin.status_code == 403


def test_loopback_needs_no_token_but_still_checks_the_origin(settings: Settings) -> None:
    with running(settings, "127.0.0.1") as base:
        ok = httpx.post(f"{base}/mcp", json=INIT, headers=HEADERS)
        origin = httpx.post(f"{base}/mcp", json=INIT, headers={**HEADERS, "Origin": "http://evil.example"})
    assert ok.status_code == 200
    assert origin.status_code == 403


def test_allowed_hosts_from_settings_are_accepted(tmp_path: Path, media_root: Path) -> None:
    settings = make_settings(tmp_path, media_root, http_token=SecretStr(TOKEN), allowed_hosts=["avatars.internal:*"])
    auth = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
    with running(settings, "0.0.0.0") as base:
        ok = httpx.post(f"{base}/mcp", json=INIT, headers={**auth, "Host": "avatars.internal:8000"})
    assert ok.status_code == 200


def test_the_health_check_answers_without_a_token_once_the_job_store_answers(tmp_path: Path,
                                                                             media_root: Path) -> None:
    settings = make_settings(tmp_path, media_root, http_token=SecretStr(TOKEN))
    with running(settings, "0.0.0.0") as base:
        health = httpx.get(f"{base}/healthz", timeout=30)
    assert health.status_code == 200 and health.json() == {"ok": True, "work": "here"}


def test_the_health_check_says_nothing_of_why_the_service_failed(tmp_path: Path, media_root: Path) -> None:
    """/healthz needs no token, so a failed start answers 503 without the reason (paths, hosts, the exception):
    that goes to the server log."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data dir should be")
    settings = make_settings(tmp_path, media_root, http_token=SecretStr(TOKEN), data_dir=blocked)
    with running(settings, "0.0.0.0") as base:
        health = httpx.get(f"{base}/healthz", timeout=30)
    assert health.status_code == 503
    assert str(blocked) not in health.text and "Error" not in health.text, health.text
    assert health.json() == {"ok": False, "error": "the service could not start (see the server log)"}


@pytest.mark.anyio
async def test_a_shared_server_tells_its_users_the_service_failed_but_not_why(tmp_path: Path,
                                                                            media_root: Path) -> None:
    """The reason a job store did not open may name a database host, its user or a path: the one user of an
    unshared server reads it with the fix; the users of a server holding tokens are sent to its operator."""
    from mcp.server.mcpserver.exceptions import ToolError

    from avatar_mcp.app import AppContext

    reason = "OperationalError: connection to server at db.internal (10.0.0.7), user avatar_admin failed"
    for overrides, shown in (({}, True), ({"http_token": SecretStr(TOKEN)}, False),
                             ({"http_tokens": SecretStr(f"{TOKEN}=alice")}, False)):
        app = AppContext(settings=make_settings(tmp_path, media_root, **overrides))
        app.failed(reason)
        with pytest.raises(ToolError) as refused:
            await app.service()
        assert (reason in str(refused.value)) is shown
        assert ("db.internal" in str(refused.value)) is shown
        assert "server's log" in str(refused.value) or "AVATAR_MCP_DATA_DIR" in str(refused.value)
    database = make_settings(tmp_path, media_root, database_url=SecretStr("postgresql://u@h/db"))
    app = AppContext(settings=database)
    app.failed(reason)
    with pytest.raises(ToolError, match="AVATAR_MCP_DATABASE_URL"):
        await app.service()


@pytest.mark.parametrize("tokens", [{"http_token": SecretStr("short-token")},
                                    {"http_tokens": SecretStr(f"{TOKEN}=alice,abc=bob")}])
def test_an_exposed_bind_refuses_tokens_too_short_to_be_secret(tmp_path: Path, media_root: Path,
                                                              tokens: dict[str, SecretStr]) -> None:
    settings = make_settings(tmp_path, media_root, **tokens)
    with pytest.raises(InsecureBind, match="at least 16 characters"):
        http_app(build_server(settings), settings, "0.0.0.0", 8000)
    http_app(build_server(settings), settings, "127.0.0.1", 8000)  # loopback: any token will do
