"""build_server(settings) -> MCPServer: everything the server holds is built here, nothing is global.

The lifespan opens the HTTP client, the job store and the providers, reconciles jobs a crash interrupted,
starts the poller, and closes it all in `finally`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer

from avatar_mcp import __version__
from avatar_mcp.config import Settings
from avatar_mcp.jobs.poller import Poller
from avatar_mcp.jobs.store import SqliteJobStore
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.prompts import as_mcp_prompt, load_prompts
from avatar_mcp.providers import build_providers
from avatar_mcp.providers.base import ProviderEntry
from avatar_mcp.resources import register as register_resources
from avatar_mcp.resources import register_completions
from avatar_mcp.service import AvatarService
from avatar_mcp.tools import avatars, catalog, jobs, videos
from avatar_mcp.tools._common import AppContext
from avatar_mcp.webhooks import register_webhooks

logger = logging.getLogger(__name__)

ProviderFactory = Callable[[Settings, SharedHTTP, MediaPolicy], Sequence[ProviderEntry]]

USER_AGENT = f"avatar-mcp/{__version__}"

INSTRUCTIONS = """\
Make talking-avatar videos. Typical flows:
- A photo that talks: create_photo_video(image, script).
- A reusable avatar: create_photo_avatar(image) or generate_photo_avatar(...) then create_photo_avatar(from_generation),
  then create_video(scenes=[{avatar_id, script}]).
- A digital twin from footage: create_digital_twin(video, consent_video).
Every create tool checks for missing fields first: the user is asked (or the answer has status 'needs_input' with
the questions to ask in chat). Nothing is spent until the request is complete. Create tools return a job handle at
once: follow it with check_job(job_id, wait_seconds) until status is succeeded or failed. The 'local' provider works
offline and free (a 2D-animated preview); list_providers shows which vendors are configured.
"""


@asynccontextmanager
async def open_service(settings: Settings, provider_factory: ProviderFactory | None = None,
                       *, poll: bool = True) -> AsyncIterator[AvatarService]:
    """The service with everything it needs open; closes it all on exit. Usable without MCP (tests, demo)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteJobStore(settings.db_path)
    media = MediaPolicy(settings.effective_media_roots(), max_bytes=settings.max_media_bytes)
    http = SharedHTTP(user_agent=USER_AGENT)
    entries = list(build_providers(settings, http, media))
    if provider_factory is not None:
        extra = list(provider_factory(settings, http, media))
        names = {e.name for e in extra}
        entries = [e for e in entries if e.name not in names] + extra
    service = AvatarService(settings, store, entries, http, media)
    try:
        await service.reconcile_interrupted()
        async with anyio.create_task_group() as tg:
            if poll:
                await tg.start(Poller(service, settings.poll_interval_seconds).run)
            try:
                yield service
            finally:
                tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            for entry in entries:
                if entry.provider is not None:
                    await entry.provider.aclose()
            await http.aclose()
            await store.close()


def build_server(settings: Settings, provider_factory: ProviderFactory | None = None) -> MCPServer[AppContext]:
    """The MCP server with every tool, resource and prompt registered."""
    holder: dict[str, AvatarService] = {}

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
        async with open_service(settings, provider_factory) as service:
            holder["service"] = service
            try:
                yield AppContext(settings=settings, service=service)
            finally:
                holder.pop("service", None)

    server: MCPServer[AppContext] = MCPServer("avatar-mcp", title="Avatar videos", version=__version__,
                                              instructions=INSTRUCTIONS, lifespan=lifespan,
                                              log_level=_sdk_log_level(settings))
    for module in (catalog, avatars, videos, jobs):
        module.register(server)
    register_resources(server, lambda: holder.get("service"))
    register_completions(server, lambda: holder.get("service"))
    register_webhooks(server, settings, lambda: holder.get("service"))
    for prompt in load_prompts():
        server.add_prompt(as_mcp_prompt(prompt))
    return server


def _sdk_log_level(settings: Settings) -> Any:
    level = settings.log_level.upper()
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO"
