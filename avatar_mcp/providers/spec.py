"""What the server knows about a vendor without importing its client: the light half of every vendor home.

Each vendor package (providers/<vendor>/) has a `spec.py` declaring one `VendorSpec`: its name and title, the
settings it needs, the operations it offers, the RenderOptions it takes, its limits, the shape of its ids, how its
webhook deliveries name jobs, and where its Provider is built. The registry (providers/__init__.py), the checklist's
limits, the options refusal, the webhook routes and `avatar-mcp doctor` read these, so start-up and list_providers
never import httpx or a vendor's wire models. Nothing here does I/O or imports pydantic models.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from avatar_mcp.errors import InvalidInput

if TYPE_CHECKING:
    from avatar_mcp.config import Settings
    from avatar_mcp.media import MediaPolicy
    from avatar_mcp.netclient import SharedHTTP
    from avatar_mcp.providers.base import Provider

ProviderFactory = Callable[["Settings", "SharedHTTP", "MediaPolicy"], "Provider"]
WebhookIds = Callable[[Any], list[str]]
"""The vendor ids a webhook delivery's JSON names (none when it names none)."""


@dataclass(frozen=True)
class Limits:
    """Per-vendor limits of a video request, checked before any request (the vendor emulators reject the same)."""

    max_scenes: int = 50
    max_script_chars: int = 5000
    min_script_chars: int = 1

    def problems(self, vendor: str, request: Mapping[str, Any]) -> list[str]:
        """What a complete video request (tool arguments) breaks, in words (empty when nothing)."""
        problems: list[str] = []
        scenes: Sequence[Mapping[str, Any]] = request.get("scenes") or []
        if len(scenes) > self.max_scenes:
            problems.append(f"{vendor} takes at most {self.max_scenes} scene(s) per video; this has {len(scenes)}. "
                            f"Split it into several videos or use another provider.")
        for i, scene in enumerate(scenes):
            script = scene.get("script")
            if script is not None and not self.min_script_chars <= len(script) <= self.max_script_chars:
                problems.append(f"scenes.{i}.script has {len(script)} characters; {vendor} takes "
                                f"{self.min_script_chars}-{self.max_script_chars}.")
        return problems


@dataclass(frozen=True)
class IdRule:
    """The shape of one vendor's ids: checked before an id given as an argument is sent anywhere, so a value like
    `../../users/me`, `a?b` or `a#b` is refused by name instead of reaching another endpoint. Ids that reach a URL
    path are also escaped (providers/_http.py `segment`)."""

    vendor: str
    pattern: re.Pattern[str]
    looks_like: str
    """An example or two, for the refusal."""

    def check(self, value: str | None, field: str, *, where: str = "list_avatars / list_voices") -> str:
        """`value` when it has the vendor's id shape; else InvalidInput naming `field` (nothing is sent)."""
        if value is not None and self.pattern.fullmatch(value):
            return value
        shown = repr(value)[:80]
        raise InvalidInput(f"{field}: {shown} is not a {self.vendor} id ({self.vendor} ids look like "
                           f"{self.looks_like}: letters, digits, '_', '-' and '.'; no '/', '?', '#', '%' or spaces). "
                           f"Nothing was sent. Use an id from {where}.", field=field)

    def check_optional(self, value: str | None, field: str, *, where: str = "list_avatars / list_voices"
                       ) -> str | None:
        return None if value is None else self.check(value, field, where=where)


def setting(settings: Settings, env: str) -> str | None:
    """A vendor setting by its environment name: the Settings field of that name when there is one (read from the
    environment or .env), else the environment itself (a vendor added without a Settings field)."""
    name = env.lower()
    if name in type(settings).model_fields:
        value = getattr(settings, name)
        secret = getattr(value, "get_secret_value", None)
        return str(secret() if secret is not None else value) if value is not None else None
    return os.environ.get(env) or None


@dataclass(frozen=True)
class VendorSpec:
    """One vendor, as the registry sees it (see the module docstring)."""

    name: str
    title: str
    env_vars: tuple[str, ...]
    """Settings that must all be set for the vendor to be configured (their environment names)."""
    operations: frozenset[str]
    """Operation names (operations.py) the vendor offers; its settings may rule some out (Capabilities.unavailable)."""
    provider: str
    """'module:callable' building the Provider from (settings, http, media); imported only when configured."""
    options: frozenset[str] = frozenset()
    """The RenderOptions fields the vendor takes (in any of its API generations)."""
    limits: Limits = field(default_factory=Limits)
    ids: IdRule | None = None
    preference: int | None = None
    """Configured vendors become the default provider in this order (None: only when asked for by name)."""
    fallback: bool = False
    """The provider used when no vendor is configured (the offline local studio)."""
    webhooks: Literal["signed", "unsigned"] | None = None
    """How the vendor delivers webhooks: signed (HeyGen), unsigned (only a hint to poll now), or not at all."""
    webhook_ids: WebhookIds | None = None
    urls: tuple[str, ...] = ()
    """Settings naming the vendor's base URLs (their environment names): the operator chose them, so media served
    from their origins are downloaded as configured (outbound.py)."""
    unavailable: Callable[[], str | None] | None = None
    """Why the vendor cannot run in this environment although nothing needs configuring (a missing extra)."""

    def configured(self, settings: Settings) -> bool:
        return all(setting(settings, env) is not None for env in self.env_vars)

    def base_urls(self, settings: Settings) -> list[str]:
        """The vendor's configured base URLs."""
        return [v for v in (setting(settings, env) for env in self.urls) if v]

    def secrets(self, settings: Settings) -> list[str]:
        """The values of this vendor's settings (its keys), for redaction."""
        return [v for v in (setting(settings, env) for env in self.env_vars) if v]

    def build(self, settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Provider:
        """The Provider, importing its module now."""
        module, _, attr = self.provider.partition(":")
        factory: Any = importlib.import_module(module)
        for part in attr.split("."):
            factory = getattr(factory, part)
        provider: Provider = factory(settings, http, media)
        return provider


@dataclass(frozen=True)
class ProviderEntry:
    """A vendor the server knows about, configured or not: its spec, and its Provider when it can run here."""

    spec: VendorSpec
    provider: Provider | None = None
    unavailable: str | None = None
    """Why it cannot run here although nothing needs configuring (its software is not installed)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def configured(self) -> bool:
        return self.provider is not None

    @classmethod
    def of(cls, provider: Provider, spec: VendorSpec | None = None) -> ProviderEntry:
        """An entry for a Provider built by hand (tests, benchmarks): its spec from the provider when not given."""
        spec = spec or VendorSpec(name=provider.name, title=provider.title, env_vars=(),
                                  operations=frozenset(provider.capabilities.operations), provider="")
        return cls(spec=spec, provider=provider)
