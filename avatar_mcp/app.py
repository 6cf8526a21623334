"""What the server's lifespan yields to every request: the settings now, the service as soon as it is open.

The service (job store, providers, poller) opens in the background so the first answers of a new session do
not wait for it; a request that needs it waits here until it is ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from avatar_mcp.config import Settings
    from avatar_mcp.service import AvatarService


@dataclass
class AppContext:
    settings: Settings
    ready: anyio.Event = field(default_factory=anyio.Event)
    wanted: anyio.Event = field(default_factory=anyio.Event)
    """Set by the first request that needs the service, so it opens at once instead of after the grace period."""
    current: AvatarService | None = None
    failure: str | None = None

    def open(self, service: AvatarService) -> None:
        self.current = service
        self.ready.set()

    def failed(self, reason: str) -> None:
        self.failure = reason
        self.ready.set()

    async def service(self) -> AvatarService:
        self.wanted.set()
        await self.ready.wait()
        if self.current is None:
            raise ToolError(self.failure_message())
        return self.current

    def failure_message(self) -> str:
        """Why no tool can run: the reason itself only for the one user of an unshared server. On a server that
        holds tokens (shared, perhaps by tenants) it may name database hosts, users and paths: the log has it."""
        if self.settings.token_principals():
            return ("The server could not open its job store; its operator can read why in the server's log. "
                    "Try again later.")
        if self.settings.database_url is not None:
            where = ("Check AVATAR_MCP_DATABASE_URL (the database must be reachable, and migrated: avatar-mcp "
                     "migrate)")
        else:
            where = "Check AVATAR_MCP_DATA_DIR (it must be a writable folder)"
        return f"The server could not open its job store: {self.failure}. {where} and restart the server."


def app(ctx: Context[Any, Any]) -> AppContext:
    state: AppContext = ctx.request_context.lifespan_context
    return state


async def service_of(ctx: Context[Any, Any]) -> AvatarService:
    return await app(ctx).service()
