"""Catalogue tools: list_providers, list_avatars, list_voices, delete_avatar."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from avatar_mcp.app import service_of
from avatar_mcp.models import AvatarInfo, CatalogQuery, ProviderList, Voice
from avatar_mcp.operations import DELETE_AVATAR, LIST_AVATARS, LIST_VOICES
from avatar_mcp.principals import principal_of
from avatar_mcp.tools._common import DESTROYS, READ_LOCAL, READ_ONLY, ToolSpec, answer, tool_errors

ProviderName = Annotated[str | None, Field(description="See list_providers.", max_length=40)]
Query = Annotated[str | None, Field(description="Words in the name.", max_length=200)]
Language = Annotated[str | None, Field(description="e.g. 'en' or 'en-US'.", max_length=40)]
Gender = Annotated[str | None, Field(description="e.g. 'female'.", max_length=20)]
Limit = Annotated[int, Field(ge=1, le=500)]


class AvatarList(BaseModel):
    provider: str
    avatars: list[AvatarInfo]


class VoiceList(BaseModel):
    provider: str
    voices: list[Voice]


class Deleted(BaseModel):
    provider: str
    avatar_id: str
    deleted: bool = True


async def list_providers(ctx: Context[Any, Any]) -> Annotated[CallToolResult, ProviderList]:
    """List the providers, whether each is configured (API key set) or installed, and what each can do.

    Use first to pick a provider. 'local' is the free offline studio (a 2D-animated preview, not a neural
    lip-sync). Pass a name as `provider` to other tools.
    """
    service = await service_of(ctx)
    return answer(ProviderList(providers=service.providers.infos(), default_provider=service.providers.default_name()))


def _filter(items: list[Any], query: str | None, language: str | None, gender: str | None, limit: int) -> list[Any]:
    def keep(item: Any) -> bool:
        if query and query.lower() not in f"{item.name} {getattr(item, 'description', '') or ''}".lower():
            return False
        lang = getattr(item, "language", None)
        if language and lang and not lang.lower().startswith(language.lower().split("-")[0]):
            return False
        return not (gender and item.gender and item.gender.lower() != gender.lower())

    return [i for i in items if keep(i)][:limit]


async def list_avatars(ctx: Context[Any, Any], provider: ProviderName = None, query: Query = None,
                       gender: Gender = None, limit: Limit = 50) -> Annotated[CallToolResult, AvatarList]:
    """List avatars for create_video (avatar_id), your own photo avatars and twins included, with previews and
    default voices."""
    service = await service_of(ctx)
    with tool_errors():
        chosen = service.providers.pick(provider, LIST_AVATARS)
        found = await service.catalogue(chosen, "avatars", CatalogQuery(query=query, gender=gender, limit=limit))
        found = await service.own_avatars(chosen.name, found, principal_of(ctx))
        return answer(AvatarList(provider=chosen.name, avatars=_filter(found, query, None, gender, limit)))


async def list_voices(ctx: Context[Any, Any], provider: ProviderName = None, query: Query = None,
                      language: Language = None, gender: Gender = None,
                      limit: Limit = 50) -> Annotated[CallToolResult, VoiceList]:
    """List voices (voice_id for create_video and create_photo_video), by language and gender."""
    service = await service_of(ctx)
    with tool_errors():
        chosen = service.providers.pick(provider, LIST_VOICES)
        found = await service.catalogue(chosen, "voices", CatalogQuery(query=query, language=language, gender=gender,
                                                                        limit=limit))
        return answer(VoiceList(provider=chosen.name, voices=_filter(found, query, language, gender, limit)))


async def delete_avatar(
    ctx: Context[Any, Any],
    avatar_id: Annotated[str, Field(min_length=1, max_length=200, description="The avatar to delete.")],
    provider: ProviderName = None,
) -> Annotated[CallToolResult, Deleted]:
    """Delete one of your own avatars (photo avatar, digital twin) at the provider. Cannot be undone."""
    service = await service_of(ctx)
    with tool_errors():
        chosen = service.providers.pick(provider, DELETE_AVATAR)
        await service.delete_avatar(chosen, avatar_id, principal_of(ctx))
        return answer(Deleted(provider=chosen.name, avatar_id=avatar_id))


TOOLS: list[ToolSpec] = [
    ToolSpec(list_providers, "List providers", READ_LOCAL),
    ToolSpec(list_avatars, "List avatars", READ_ONLY),
    ToolSpec(list_voices, "List voices", READ_ONLY),
    ToolSpec(delete_avatar, "Delete an avatar", DESTROYS),
]
