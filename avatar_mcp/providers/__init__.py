"""The provider registry: which providers exist, what they can do, and which are configured.

Operation sets are declared here so list_providers can show what an unconfigured vendor would offer. A
vendor module is imported only when its key is set; the local studio is always there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from avatar_mcp import operations as ops
from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Provider, ProviderEntry

Factory = Callable[[Settings, SharedHTTP, MediaPolicy], Provider]


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    title: str
    env_vars: tuple[str, ...]
    operations: frozenset[str]

    def configured(self, settings: Settings) -> bool:
        return all(getattr(settings, var.lower()) is not None for var in self.env_vars)


HEYGEN = ProviderSpec("heygen", "HeyGen", ("HEYGEN_API_KEY",), frozenset({
    ops.GENERATE_PHOTO, ops.CREATE_PHOTO_AVATAR, ops.TRAIN_PHOTO_AVATAR, ops.CREATE_DIGITAL_TWIN, ops.CREATE_VIDEO,
    ops.CREATE_PHOTO_VIDEO, ops.CREATE_VIDEO_FROM_PROMPT, ops.LIST_VOICES, ops.LIST_AVATARS, ops.DELETE_AVATAR}))
RUNWARE = ProviderSpec("runware", "Runware (HeyGen Avatar V)", ("RUNWARE_API_KEY",), frozenset({
    ops.CREATE_VIDEO, ops.CREATE_PHOTO_VIDEO}))
CREATIFY = ProviderSpec("creatify", "Creatify", ("CREATIFY_API_ID", "CREATIFY_API_KEY"), frozenset({
    ops.CREATE_DIGITAL_TWIN, ops.CREATE_VIDEO, ops.LIST_VOICES, ops.LIST_AVATARS}))
NAPSTER = ProviderSpec("napster", "Napster Companions", ("NAPSTER_API_KEY",), frozenset({
    ops.CREATE_COMPANION, ops.CREATE_DIGITAL_TWIN, ops.LIST_AVATARS}))
LOCAL = ProviderSpec("local", "Local studio (offline)", (), frozenset({
    ops.GENERATE_PHOTO, ops.CREATE_PHOTO_AVATAR, ops.TRAIN_PHOTO_AVATAR, ops.CREATE_DIGITAL_TWIN, ops.CREATE_COMPANION,
    ops.CREATE_VIDEO, ops.CREATE_PHOTO_VIDEO, ops.LIST_VOICES, ops.LIST_AVATARS, ops.DELETE_AVATAR, ops.CANCEL_JOB}))

SPECS: tuple[ProviderSpec, ...] = (HEYGEN, RUNWARE, CREATIFY, NAPSTER, LOCAL)


MODULES: dict[str, tuple[str, str]] = {
    "heygen": ("avatar_mcp.providers.heygen", "HeyGenProvider"),
    "runware": ("avatar_mcp.providers.runware", "RunwareProvider"),
    "creatify": ("avatar_mcp.providers.creatify", "CreatifyProvider"),
    "napster": ("avatar_mcp.providers.napster", "NapsterProvider"),
    "local": ("avatar_mcp.providers.local.provider", "LocalProvider"),
}
"""Where each provider class lives; each has `from_settings(settings, http, media)`."""


def _factory(name: str) -> Factory:
    """Import a provider module only when it is needed (vendor keys set, or the local studio)."""
    module, cls = MODULES[name]
    factory: Factory = getattr(importlib.import_module(module), cls).from_settings
    return factory


def unavailable_reason(spec: ProviderSpec) -> str | None:
    """Why a provider cannot run in this environment (the local studio without its extra), from an import probe."""
    if spec is not LOCAL:
        return None
    from avatar_mcp.providers.local.requirements import unavailable_reason as studio_missing

    return studio_missing()


def build_providers(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> list[ProviderEntry]:
    entries = []
    for spec in SPECS:
        provider: Provider | None = None
        reason = unavailable_reason(spec)
        if spec.configured(settings) and reason is None:
            provider = _factory(spec.name)(settings, http, media)
        entries.append(ProviderEntry(name=spec.name, title=spec.title, env_vars=spec.env_vars,
                                     operations=spec.operations, provider=provider, unavailable=reason))
    return entries
