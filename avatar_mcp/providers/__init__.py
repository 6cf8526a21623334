"""The provider registry: the vendors there are, read from their spec modules (providers/<vendor>/spec.py).

The specs are light (no httpx, no wire models), so list_providers, the webhook routes and `avatar-mcp doctor` know
every vendor without importing any client; a vendor's Provider is built (and its module imported) only when its
settings are there. VENDORS lists the vendor homes in order of preference; a vendor kept elsewhere (a test's) is
passed to `build_providers` as its own spec.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from avatar_mcp.providers.spec import ProviderEntry, VendorSpec

if TYPE_CHECKING:
    from avatar_mcp.config import Settings
    from avatar_mcp.media import MediaPolicy
    from avatar_mcp.netclient import SharedHTTP

VENDORS = ("heygen", "runware", "creatify", "napster", "local")
"""The vendor homes: package avatar_mcp.providers.<name>, whose spec.py declares SPEC."""
_SPECS: list[VendorSpec] = []


def specs() -> tuple[VendorSpec, ...]:
    """Every vendor's spec, in the order of VENDORS (imported once)."""
    if not _SPECS:
        _SPECS.extend(importlib.import_module(f"avatar_mcp.providers.{name}.spec").SPEC for name in VENDORS)
    return tuple(_SPECS)


def spec(name: str) -> VendorSpec:
    """The spec of a vendor by name (KeyError when there is none)."""
    return {s.name: s for s in specs()}[name]


def option_support() -> Mapping[str, tuple[str, ...]]:
    """Which vendors take which RenderOptions field (said when one is refused)."""
    support: dict[str, list[str]] = {}
    for vendor in specs():
        for option in sorted(vendor.options):
            support.setdefault(option, []).append(vendor.name)
    return {option: tuple(names) for option, names in support.items()}


def build_providers(settings: Settings, http: SharedHTTP, media: MediaPolicy,
                    vendors: Iterable[VendorSpec] | None = None) -> list[ProviderEntry]:
    """An entry per vendor (every registered one unless `vendors` is given), with its Provider when it is
    configured and can run here."""
    entries = []
    for vendor in specs() if vendors is None else vendors:
        reason = vendor.unavailable() if vendor.unavailable is not None else None
        provider = vendor.build(settings, http, media) if reason is None and vendor.configured(settings) else None
        entries.append(ProviderEntry(spec=vendor, provider=provider, unavailable=reason))
    return entries
