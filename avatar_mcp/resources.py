"""MCP resources (jobs, providers, catalogues, guides) and completions for avatar and voice ids."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from avatar_mcp.app import service_of
from avatar_mcp.errors import AvatarError, CapabilityMissing, InvalidInput, JobNotFound, ProviderNotConfigured
from avatar_mcp.principals import current_principal, principal_of

if TYPE_CHECKING:
    from avatar_mcp.models import JobResult, MediaOutput
    from avatar_mcp.service import AvatarService

GUIDES_DIR = Path(__file__).resolve().parent / "guides"
GUIDES = {
    "photo-requirements": "Photo requirements for photo avatars (format, size, face, light).",
    "reference-video": "How to record reference footage for a digital twin.",
    "avatar-models": "Avatar models v1 (picture) vs v2 (video), and what each vendor offers.",
}
COMPLETION_LIMIT = 100
MEDIA_MAX_BYTES = 64 * 1024 * 1024
"""A media resource travels base64 inside one JSON-RPC message (through the host, for the studio view)."""
ServiceGetter = Callable[[], Awaitable["AvatarService | None"]]
LIST_VOICES, LIST_AVATARS = "list_voices", "list_avatars"
"""Operation names (providers/base.py), repeated so this module stays light at start-up."""


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)


def resource_error(exc: AvatarError) -> Exception:
    """Not found (an unknown job or provider) for what does not exist, the server mapping it to the era's code;
    invalid params for a provider this server cannot ask (not configured, or without that catalogue): the message
    says what to set or use instead; an internal error (the vendor failed) for the rest."""
    if isinstance(exc, JobNotFound) or (isinstance(exc, InvalidInput) and exc.field == "provider"):
        return ResourceNotFoundError(str(exc))
    if isinstance(exc, ProviderNotConfigured | CapabilityMissing):
        return MCPError(code=INVALID_PARAMS, message=str(exc))
    return ResourceError(str(exc))


async def job_resource(job_id: str, ctx: Context[Any, Any]) -> str:
    """A job's handle plus the complete request as submitted (after the checklist; no secrets, no file contents)."""
    service = await service_of(ctx)
    try:
        job = await service.get(job_id, principal=principal_of(ctx))
    except AvatarError as exc:
        raise resource_error(exc) from exc
    return service.detail(job).model_dump_json(indent=1, exclude_none=True)


async def media_resource(job_id: str, name: str, ctx: Context[Any, Any]) -> bytes:
    """One file a finished job produced (video, captions, thumbnail, candidate image), by its file name."""
    service = await service_of(ctx)
    try:
        job = await service.get(job_id, principal=principal_of(ctx))
    except AvatarError as exc:
        raise resource_error(exc) from exc
    files = {Path(p).name: Path(p) for p in _job_files(job.result)}
    path = files.get(name)
    if path is None:
        known = ", ".join(sorted(files)) or "none yet"
        raise ResourceNotFoundError(f"Job {job_id} has no file named {name!r}; its files: {known}.")
    roots = {service.settings.data_dir.resolve(), service.settings.media_dir.resolve()}
    try:
        resolved = path.resolve(strict=True)
        size = resolved.stat().st_size
    except OSError as exc:
        raise ResourceNotFoundError(f"The file {name} of job {job_id} is gone; call download_result to fetch "
                                    f"it again.") from exc
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ResourceError(f"The file {name} of job {job_id} is outside the server's data dir; open it at {path}.")
    if size > MEDIA_MAX_BYTES:
        raise ResourceError(f"{name} is {size / 1e6:.0f} MB, too big to send as a resource (limit "
                            f"{MEDIA_MAX_BYTES / 1e6:.0f} MB); open it at {path}.")
    return await anyio.to_thread.run_sync(resolved.read_bytes)


def _job_files(result: JobResult | None) -> list[str]:
    if result is None:
        return []
    outputs: list[MediaOutput] = [result, *(result.outputs or [])]
    paths = [p for o in outputs for p in (o.video_path, o.captions_path, o.thumbnail_path)]
    paths += [result.preview_image_path, *(c.image_path for c in result.candidates or [])]
    return [p for p in paths if p]


def providers_resource(service_getter: ServiceGetter) -> Callable[[], Awaitable[str]]:
    async def providers() -> str:
        """Every provider, whether it is configured, and what it can do."""
        from avatar_mcp.models import ProviderList

        service = await service_getter()
        if service is None:
            raise ResourceError("The server's job store is not open; see the server log.")
        listing = ProviderList(providers=service.providers.infos(), default_provider=service.providers.default_name())
        return listing.model_dump_json(indent=1)

    return providers


async def catalogue(service: AvatarService, provider: str | None, operation: str, principal: str) -> list[Any]:
    """A provider's voices, or the avatars `principal` may see (raises the provider's AvatarError)."""
    from avatar_mcp.models import CatalogQuery

    chosen = service.providers.pick(provider, operation)
    if operation == LIST_VOICES:
        return await service.catalogue(chosen, "voices", CatalogQuery(limit=500))
    items = await service.catalogue(chosen, "avatars", CatalogQuery(limit=500))
    return await service.own_avatars(chosen.name, items, principal)


async def _catalogue_json(ctx: Context[Any, Any], provider: str, operation: str) -> str:
    service = await service_of(ctx)
    try:
        items = await catalogue(service, provider, operation, principal_of(ctx))
    except AvatarError as exc:
        raise resource_error(exc) from exc
    return _json([i.model_dump(exclude_none=True) for i in items])


async def voices_resource(provider: str, ctx: Context[Any, Any]) -> str:
    """The voices of one provider."""
    return await _catalogue_json(ctx, provider, LIST_VOICES)


async def avatars_resource(provider: str, ctx: Context[Any, Any]) -> str:
    """The avatars of one provider, your own included."""
    return await _catalogue_json(ctx, provider, LIST_AVATARS)


def _guide(name: str) -> Any:
    def read() -> str:
        return (GUIDES_DIR / f"{name}.md").read_text(encoding="utf-8")

    read.__name__ = f"guide_{name.replace('-', '_')}"
    return read


def register(server: MCPServer[Any], service_getter: ServiceGetter) -> None:
    server.resource("avatar://jobs/{job_id}", name="job", title="Job", mime_type="application/json",
                    description="A job's handle plus the complete request as submitted.")(job_resource)
    server.resource("avatar://providers", name="providers", title="Providers", mime_type="application/json",
                    description="Every provider, whether it is configured, and its capabilities.")(
        providers_resource(service_getter))
    server.resource("avatar://media/{job_id}/{name}", name="media", title="A job's file",
                    mime_type="application/octet-stream",
                    description="A file a finished job produced (video, captions, thumbnail, photo candidate), named "
                                "as in its result's paths; for the studio view.")(media_resource)
    server.resource("avatar://voices/{provider}", name="voices", title="Voices of a provider",
                    mime_type="application/json")(voices_resource)
    server.resource("avatar://avatars/{provider}", name="avatars", title="Avatars of a provider",
                    mime_type="application/json")(avatars_resource)
    for name, description in GUIDES.items():
        server.resource(f"avatar://guides/{name}", name=f"guide-{name}", title=description.split(" (")[0],
                        description=description, mime_type="text/markdown")(_guide(name))


def register_completions(server: MCPServer[Any], service_getter: ServiceGetter) -> None:
    """Complete avatar_id / voice_id (and provider) arguments from the provider's catalogue."""

    @server.completion()  # type: ignore[no-untyped-call, untyped-decorator]
    async def complete(ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument,
                       context: CompletionContext | None) -> Completion | None:
        service = await service_getter()
        if service is None:
            return None
        known = dict(context.arguments or {}) if context is not None else {}
        prefix = argument.value.lower()
        values: list[str]
        if argument.name == "provider":
            values = [p.name for p in service.providers.infos()]
        elif argument.name in ("avatar_id", "voice_id"):
            operation = LIST_AVATARS if argument.name == "avatar_id" else LIST_VOICES
            try:
                items = await catalogue(service, known.get("provider"), operation, current_principal())
            except AvatarError:
                return None
            values = [getattr(i, argument.name) for i in items]
        else:
            return None
        matches = [v for v in values if v.lower().startswith(prefix)] or [v for v in values if prefix in v.lower()]
        return Completion(values=matches[:COMPLETION_LIMIT], total=len(matches),
                          has_more=len(matches) > COMPLETION_LIMIT)
