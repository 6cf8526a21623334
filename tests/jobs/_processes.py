"""Real server processes over stdio for the multi-process tests: started, called, killed with SIGKILL, closed."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from avatar_mcp.config import Settings
from tests.conftest import env_for

ROOT = Path(__file__).resolve().parents[2]


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = env_for(settings)
    env["AVATAR_MCP_LEASE_SECONDS"] = str(settings.lease_seconds)
    env["AVATAR_MCP_LOG_LEVEL"] = "INFO"
    for name, value in (("HEYGEN_API_KEY", settings.heygen_api_key), ("RUNWARE_API_KEY", settings.runware_api_key)):
        if value is not None:
            env[name] = value.get_secret_value()
    env.update(HEYGEN_BASE_URL=settings.heygen_base_url, HEYGEN_UPLOAD_URL=settings.heygen_upload_url,
               RUNWARE_BASE_URL=settings.runware_base_url)
    if settings.database_url is not None:
        env["AVATAR_MCP_DATABASE_URL"] = settings.database_url.get_secret_value()
        if settings.database_schema:
            env["AVATAR_MCP_DATABASE_SCHEMA"] = settings.database_schema
    env.update(extra)
    return env


class ServerProcess:
    """One `python -m tests.jobs.shared_server` over stdio. Start and close it from the same task."""

    def __init__(self, env: dict[str, str], folder: Path, name: str) -> None:
        self.name = name
        self.pid_file = folder / f"{name}.pid"
        # The shell records its PID and then becomes the server, so the test can kill exactly that process.
        command = f'echo $$ > "{self.pid_file}"; exec "{sys.executable}" -m tests.jobs.shared_server'
        self.params = StdioServerParameters(command="/bin/sh", args=["-c", command], env=env, cwd=str(ROOT))
        self.killed = False
        self._stack: AsyncExitStack | None = None
        self._client: Client | None = None

    async def start(self) -> ServerProcess:
        self._stack = AsyncExitStack()
        self._client = await self._stack.enter_async_context(Client(self.params, mode="auto"))
        return self

    @property
    def pid(self) -> int:
        return int(self.pid_file.read_text())

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        assert self._client is not None
        result = await self._client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        data: dict[str, Any] = result.structured_content or {}
        return data

    def kill(self) -> None:
        self.killed = True
        os.kill(self.pid, signal.SIGKILL)

    async def died(self, timeout: float = 30.0) -> None:
        """Wait until the process is gone (it killed itself at a crash point, say)."""
        with anyio.fail_after(timeout):
            while alive(self.pid):
                await anyio.sleep(0.05)
        self.killed = True

    async def close(self) -> None:
        """End the session (the server exits as a client closing it would make it), or clean up after a kill."""
        if self._stack is None:
            return
        stack, self._stack = self._stack, None
        try:
            await stack.aclose()
        except Exception:
            if not self.killed:
                raise


def alive(pid: int) -> bool:
    """True while `pid` runs (a killed child not reaped yet is a zombie: dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
