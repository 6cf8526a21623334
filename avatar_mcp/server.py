"""build_server(settings) -> the MCP server. Everything it holds is built here; nothing is global.

Start-up is paid by every chat, so the server answers its first requests before the heavy parts exist: the
lifespan opens the service (job store, providers, poller) in the background, the tools are built in a worker
thread, and tools/list is answered from a cache of the previous start's answer while the code is unchanged
(listing_cache.py). Requests that need the service or the tools wait for them.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer, RequestStateSecurity
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools.tool_manager import ToolManager
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    DiscoverResult,
    GetPromptResult,
    InputRequiredResult,
    SetLevelRequestParams,
)
from mcp_types import Tool as MCPTool

from avatar_mcp import __version__
from avatar_mcp.app import AppContext
from avatar_mcp.apps import StudioApp
from avatar_mcp.config import Settings
from avatar_mcp.guard import ToolGuard
from avatar_mcp.joblog import OPEN_STATUSES, JobLog, is_legacy
from avatar_mcp.listing_cache import ToolListCache
from avatar_mcp.principals import StaticTokens
from avatar_mcp.prompts import as_mcp_prompt, load_prompts
from avatar_mcp.resources import register as register_resources
from avatar_mcp.resources import register_completions
from avatar_mcp.webhooks import register_webhooks

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mcp.server.context import ServerRequestContext
    from mcp.server.lowlevel.helper_types import ReadResourceContents
    from mcp.server.mcpserver import Context
    from pydantic import AnyUrl
    from starlette.requests import Request
    from starlette.responses import Response

    from avatar_mcp.runtime import ProviderFactory
    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)

START_GRACE_SECONDS = 0.3
RESOURCE_NOT_FOUND = -32002
"""The 2025-11-25 revision's code for an unknown resource (2026-07-28 retired it for -32602, the SDK's default)."""

INSTRUCTIONS = """\
Make talking-avatar videos. Typical flows:
- A photo that talks: create_photo_video(image, script).
- A reusable avatar: create_photo_avatar(image) or generate_photo_avatar(...) then create_photo_avatar(from_generation),
  then create_video(scenes=[{avatar_id, script}]).
- A digital twin from footage: create_digital_twin(video, consent_video).
Every create tool checks for missing fields first: the user is asked (or the answer has status 'needs_input' with
the questions to ask in chat). Nothing is spent until the request is complete. Create tools return a job handle at
once: follow it with check_job(job_id, wait_seconds) until it ends (succeeded, failed, canceled or unknown: an
unknown job may have reached a paid vendor, so never resubmit it without asking the user). The 'local' provider
works offline and free (a 2D-animated preview); list_providers shows which vendors are configured.
"""


class AvatarServer(MCPServer[AppContext]):
    """The MCP server, with tools built off the start-up path."""

    def __init__(self, settings: Settings, provider_factory: ProviderFactory | None = None) -> None:
        auth, verifier, state = http_security(settings)
        super().__init__("avatar-mcp", title="Avatar videos", version=__version__, instructions=INSTRUCTIONS,
                         lifespan=_lifespan, log_level=_sdk_log_level(settings), extensions=[StudioApp()],
                         auth=auth, token_verifier=verifier, request_state_security=state)
        self.config = settings
        self.guard = ToolGuard(settings)
        self.provider_factory = provider_factory
        self.app_context: AppContext | None = None
        self._tools_built = False
        self._tools_lock = threading.Lock()
        self._tool_cache = ToolListCache(settings.data_dir / "cache")
        self.job_log = JobLog()
        # The 2026-07-28 wire rejects logging/setLevel before any handler runs, so only older sessions reach it.
        self._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, self.job_log.set_level)
        self._without_logging_in_discover()
        register_resources(self, self.current_service)
        register_completions(self, self.current_service)
        register_webhooks(self, settings, self.current_service)
        self.custom_route("/healthz", methods=["GET"], include_in_schema=False)(self.health)
        for prompt in load_prompts():
            self.add_prompt(as_mcp_prompt(prompt))

    def _without_logging_in_discover(self) -> None:
        """server/discover (2026-07-28 only) must not advertise the logging capability that era removed."""
        entry = self._lowlevel_server.get_request_handler("server/discover")
        assert entry is not None
        discover = entry.handler

        async def era_discover(ctx: ServerRequestContext[Any, Any], params: Any) -> Any:
            result = await discover(ctx, params)
            if isinstance(result, DiscoverResult):
                result.capabilities.logging = None
            return result

        self._lowlevel_server.add_request_handler("server/discover", entry.params_type, era_discover)

    async def current_service(self) -> AvatarService | None:
        """The service once it is open (waiting for it if it is opening); None outside a session or on failure."""
        app = self.app_context
        if app is None:
            return None
        app.wanted.set()
        await app.ready.wait()
        return app.current

    async def health(self, request: Request) -> Response:
        """GET /healthz (no token: it reveals nothing): 200 once the service is open and its job store answers,
        else 503 saying which of those is missing (why the service failed goes to the server log only: it names
        paths, hosts and exceptions). Balancers route to a replica only while it answers 200."""
        from starlette.responses import JSONResponse

        app = self.app_context
        if app is None:
            return JSONResponse({"ok": False, "error": "starting"}, status_code=503)
        app.wanted.set()
        with anyio.move_on_after(5):
            await app.ready.wait()
        service = app.current
        if service is None:
            state = "the service could not start (see the server log)" if app.failure else "starting"
            return JSONResponse({"ok": False, "error": state}, status_code=503)
        try:
            with anyio.fail_after(5):
                await service.store.list(limit=1)
        except Exception as exc:
            logger.warning("health check: the job store does not answer: %s", exc)
            return JSONResponse({"ok": False, "error": "the job store does not answer"}, status_code=503)
        return JSONResponse({"ok": True, "work": "workers" if service.queue is not None else "here"})

    # ------------------------------------------------------------------------------------------ tools
    def build_tools(self) -> None:
        """Import the tool modules and build the tools once (thread-safe; runs in a worker thread)."""
        with self._tools_lock:
            if self._tools_built:
                return
            from avatar_mcp.tools import all_tools

            self._tool_manager = ToolManager(tools=all_tools(), warn_on_duplicate_tools=True)
            self._tools_built = True

    async def _ensure_tools(self) -> None:
        if not self._tools_built:
            await anyio.to_thread.run_sync(self.build_tools)

    async def list_tools(self) -> list[MCPTool]:
        if self._tools_built:
            return await super().list_tools()
        cached = self._tool_cache.load()
        if cached is not None:
            return cached
        return await self._build_and_cache()

    async def _build_and_cache(self) -> list[MCPTool]:
        await self._ensure_tools()
        tools = await super().list_tools()
        if self._tool_cache.load() != tools:
            await anyio.to_thread.run_sync(self._tool_cache.save, tools)
        return tools

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[AppContext, Any] | None = None) -> CallToolResult | InputRequiredResult:
        """Call a tool; the session then follows (in its log) any job the answer names."""
        self.guard.check_arguments(name, arguments)
        await self._ensure_tools()
        tool = self._tool_manager.get_tool(name)
        if tool is None:
            # A protocol error, as the specification has it (the SDK would answer a tool result).
            known = ", ".join(sorted(t.name for t in self._tool_manager.list_tools()))
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool {name!r}. The tools here: {known}.")
        self.guard.check_names(name, arguments, tool.parameters)
        request = _request_of(context)
        try:
            if request is None:
                return await super().call_tool(name, arguments, context)
            with self.job_log.request(request.session, request.request_id):
                result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            explained = self.guard.explain(name, exc)
            if explained is exc:
                raise
            raise explained from exc
        if isinstance(result, CallToolResult) and isinstance(result.structured_content, dict):
            answer = result.structured_content
            if isinstance(answer.get("job_id"), str) and answer.get("status") in OPEN_STATUSES:
                self.job_log.watch(request.session, answer["job_id"])
        return result

    async def read_resource(self, uri: AnyUrl | str, context: Context[AppContext, Any] | None = None
                            ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        """Read a resource; an unknown one is the era's "resource not found" error."""
        try:
            return await super().read_resource(uri, context)
        except ResourceNotFoundError as exc:
            request = _request_of(context)
            if request is not None and is_legacy(request.session):
                raise MCPError(code=RESOURCE_NOT_FOUND, message=str(exc), data={"uri": str(uri)}) from exc
            raise

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None,
                         context: Context[AppContext, Any] | None = None) -> GetPromptResult | InputRequiredResult:
        """Render a prompt; an unknown prompt or a missing required argument is invalid params (-32602) saying what
        to send, not the SDK's internal error."""
        prompt = self._prompt_manager.get_prompt(name)
        if prompt is None:
            known = ", ".join(p.name for p in self._prompt_manager.list_prompts())
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt {name!r}. The prompts here: {known}.")
        given = arguments or {}
        missing = [a.name for a in prompt.arguments or [] if a.required and given.get(a.name) in (None, "")]
        if missing:
            raise MCPError(code=INVALID_PARAMS, message=f"The prompt {name} needs these arguments: "
                                                        f"{', '.join(missing)}. Give them and ask again.")
        return await super().get_prompt(name, arguments, context)

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        self.build_tools()
        return super()._tool_input_schema(name)

    async def warm_up(self) -> None:
        """Build the tools, then refresh the tools/list cache for the next start."""
        await self._build_and_cache()

    # ------------------------------------------------------------------------------------------ service
    async def background(self, app: AppContext) -> None:
        """After a short grace period (or at once, when a request needs them): the service and the tools.

        A new session's first requests (initialize, tools/list) come within milliseconds; starting the heavy work
        only after them keeps it from competing with them for the interpreter.
        """
        with anyio.move_on_after(START_GRACE_SECONDS):
            await app.wanted.wait()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.run_service, app)
            tg.start_soon(self.warm_up)

    async def run_service(self, app: AppContext) -> None:
        """Open the service, publish it, and keep it open until the lifespan ends."""
        try:
            # Imported in a worker thread: the event loop must stay free to answer the session's first requests.
            module = await anyio.to_thread.run_sync(importlib.import_module, "avatar_mcp.runtime")
            async with module.open_service(self.config, self.provider_factory) as service:
                service.events.listeners.append(self.job_log.on_job_event)
                app.open(service)
                await anyio.sleep_forever()
        except Exception as exc:
            # Requests waiting for the service get this reason instead of hanging.
            logger.exception("the service could not start")
            app.failed(f"{type(exc).__name__}: {exc}")


@asynccontextmanager
async def _lifespan(server: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
    assert isinstance(server, AvatarServer)
    app = AppContext(settings=server.config)
    server.app_context = app
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.background, app)
            try:
                yield app
            finally:
                tg.cancel_scope.cancel()
    finally:
        server.app_context = None


def build_server(settings: Settings, provider_factory: ProviderFactory | None = None) -> AvatarServer:
    """The MCP server with every tool, resource and prompt."""
    return AvatarServer(settings, provider_factory)


def http_security(settings: Settings) -> tuple[AuthSettings | None, StaticTokens | None,
                                               RequestStateSecurity | None]:
    """The SDK's bearer auth over the configured tokens (each token a principal), and the request-state keys every
    replica shares (None: a key of this process alone, which is all one process needs)."""
    principals = settings.token_principals()
    auth = verifier = None
    if principals:
        # Resource server only: no authorization endpoints are served, so the issuer is never advertised.
        auth = AuthSettings(issuer_url=settings.public_url or "http://localhost",  # type: ignore[arg-type]
                            resource_server_url=None)
        verifier = StaticTokens(principals)
    keys = settings.state_keys()
    return auth, verifier, RequestStateSecurity(keys=keys) if keys else None


def _request_of(context: Context[AppContext, Any] | None) -> ServerRequestContext[Any, Any] | None:
    """The request behind a handler's context, or None when called outside a request (tests, warm-up)."""
    if context is None:
        return None
    try:
        return context.request_context
    except ValueError:
        return None


def _sdk_log_level(settings: Settings) -> Any:
    level = settings.log_level.upper()
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO"
