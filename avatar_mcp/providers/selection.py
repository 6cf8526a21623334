"""Which provider serves a request: the one asked for, else the default, else any configured one that can.

The default is AVATAR_MCP_DEFAULT_PROVIDER, else the first configured vendor in the order of preference their specs
give, else the fallback (the local studio).
"""

from __future__ import annotations

from collections.abc import Sequence

from avatar_mcp.errors import CapabilityMissing, InvalidInput, ProviderNotConfigured, ProviderUnavailable
from avatar_mcp.models import JobRecord, ProviderInfo
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.spec import Limits, ProviderEntry


class ProviderSet:
    def __init__(self, entries: Sequence[ProviderEntry], default: str | None = None) -> None:
        self.entries = {e.name: e for e in entries}
        self._default = default
        ranked = sorted((e for e in entries if e.spec.preference is not None), key=lambda e: e.spec.preference or 0)
        self._preference = [e.name for e in ranked]
        self._fallbacks = [e.name for e in entries if e.spec.fallback]

    @staticmethod
    def operations(entry: ProviderEntry) -> frozenset[str]:
        """What the provider can do: its vendor's operations, less those its current settings rule out."""
        if entry.provider is None:
            return entry.spec.operations
        return entry.spec.operations - set(entry.provider.capabilities.unavailable)

    def infos(self) -> list[ProviderInfo]:
        return [
            ProviderInfo(
                name=e.name, title=e.spec.title, configured=e.configured, capabilities=sorted(self.operations(e)),
                missing_settings=[] if e.configured else list(e.spec.env_vars),
                notes=e.provider.capabilities.notes if e.provider is not None else e.unavailable,
            )
            for e in self.entries.values()
        ]

    def limits(self, name: str) -> Limits:
        """The video limits of a provider (the defaults for one without a spec of its own)."""
        entry = self.entries.get(name)
        return entry.spec.limits if entry is not None else Limits()

    def default_name(self) -> str:
        """AVATAR_MCP_DEFAULT_PROVIDER, else the first configured vendor by preference, else the fallback."""
        if self._default and self._default in self.entries:
            return self._default
        for name in self._preference:
            if self.entries[name].configured:
                return name
        return self._fallbacks[0] if self._fallbacks else next(iter(self.entries))

    def able(self, operation: str) -> list[str]:
        """The providers that can do `operation` (configured or not)."""
        return [e.name for e in self.entries.values() if operation in self.operations(e)]

    def pick(self, name: str | None, operation: str) -> Provider:
        """The provider asked for (strictly), else the default, else any configured one that can."""
        if name is None:
            for candidate in (self.default_name(), *self._preference, *self._fallbacks, *self.entries):
                entry = self.entries.get(candidate)
                if entry is not None and entry.provider is not None and operation in self.operations(entry):
                    return entry.provider
            name = self.default_name()
        entry = self.entries.get(name)
        if entry is None:
            raise InvalidInput(f"Unknown provider {name!r}. Known providers: {', '.join(self.entries)}.",
                               field="provider")
        if operation not in entry.spec.operations:
            raise CapabilityMissing(name, operation, self.able(operation))
        if entry.provider is None:
            if entry.unavailable is not None:
                raise ProviderUnavailable(name, entry.unavailable)
            raise ProviderNotConfigured(name, entry.spec.env_vars)
        reason = entry.provider.capabilities.unavailable.get(operation)
        if reason is not None:
            raise InvalidInput(reason, field="provider")
        return entry.provider

    def for_job(self, job: JobRecord) -> Provider:
        """The provider that holds a job; its settings may have been removed since."""
        entry = self.entries.get(job.provider)
        if entry is not None and entry.provider is None and entry.unavailable is not None:
            raise ProviderUnavailable(job.provider, entry.unavailable)
        if entry is None or entry.provider is None:
            env = ", ".join(entry.spec.env_vars) if entry is not None else "its settings"
            raise ProviderNotConfigured(job.provider, [env])
        return entry.provider
