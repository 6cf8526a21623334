"""Catalogue tools: list_providers, list_avatars, list_voices, delete_avatar."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from avatar_mcp.app import service_of
from avatar_mcp.models import AvatarInfo, CatalogQuery, ProviderList, Voice
from avatar_mcp.providers.base import DELETE_AVATAR, LIST_AVATARS, LIST_VOICES
from avatar_mcp.tools._common import DESTROYS, READ_LOCAL, READ_ONLY, ToolSpec, tool_errors

ProviderName = Annotated[str | None, Field(
    description="Provider to use (see list_providers); default: the configured default, else 'local'.",
    max_length=40)]
Query = Annotated[str | None, Field(description="Words to look for in names.", max_length=200)]
Language = Annotated[str | None, Field(description="Language or locale, e.g. 'en' or 'en-US'.", max_length=40)]
Gender = Annotated[str | None, Field(description="e.g. 'female', 'male'.", max_length=20)]
Limit = Annotated[int, Field(ge=1, le=500, description="At most this many entries.")]


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


async def list_providers(ctx: Context[Any, Any]) -> ProviderList:
    """List the avatar-video providers, whether each is configured (has its API key), and what each can do.

    'local' is the offline studio: always available, free, a 2D-animated preview rather than a neural
    lip-sync. Pass a provider's name as `provider` to any other tool.
    """
    service = await service_of(ctx)
    return ProviderList(providers=service.providers.infos(), default_provider=service.providers.default_name())


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
                       gender: Gender = None, limit: Limit = 50) -> AvatarList:
    """List avatars you can put in a video (avatar_id for create_video), including your own photo avatars
    and digital twins, with preview images and default voices where the vendor gives them."""
    service = await service_of(ctx)
    with tool_errors():
        chosen = service.providers.pick(provider, LIST_AVATARS)
        found = await service.catalogue(chosen, "avatars", CatalogQuery(query=query, gender=gender, limit=limit))
        return AvatarList(provider=chosen.name, avatars=_filter(found, query, None, gender, limit))


async def list_voices(ctx: Context[Any, Any], provider: ProviderName = None, query: Query = None,
                      language: Language = None, gender: Gender = None, limit: Limit = 50) -> VoiceList:
    """List voices (voice_id for create_video and create_photo_video), filtered by language and gender."""
    service = await service_of(ctx)
    with tool_errors():
        chosen = service.providers.pick(provider, LIST_VOICES)
        found = await service.catalogue(chosen, "voices", CatalogQuery(query=query, language=language, gender=gender,
                                                                        limit=limit))
        return VoiceList(provider=chosen.name, voices=_filter(found, query, language, gender, limit))


async def delete_avatar(
    ctx: Context[Any, Any],
    avatar_id: Annotated[str, Field(min_length=1, max_length=200, description="The avatar to delete.")],
    provider: ProviderName = None,
) -> Deleted:
    """Delete one of your own avatars (photo avatar, digital twin) at the provider. This cannot be undone."""
    service = await service_of(ctx)
    with tool_errors():
        chosen = service.providers.pick(provider, DELETE_AVATAR)
        await chosen.delete_avatar(avatar_id)
        service.forget_avatars(chosen.name)
        return Deleted(provider=chosen.name, avatar_id=avatar_id)


TOOLS: list[ToolSpec] = [
    ToolSpec(list_providers, "List providers", READ_LOCAL),
    ToolSpec(list_avatars, "List avatars", READ_ONLY),
    ToolSpec(list_voices, "List voices", READ_ONLY),
    ToolSpec(delete_avatar, "Delete an avatar", DESTROYS),
]
