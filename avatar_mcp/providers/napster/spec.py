"""Napster Companion API (seed 000): what the registry and the checklist know without importing the client."""

from __future__ import annotations

from avatar_mcp.providers.spec import VendorSpec
from avatar_mcp.providers.timing import Timing

TIMING = Timing(avatar_seconds=900.0, twin_seconds=3600.0)
"""Seed 000: a v1 companion (from a picture) takes about 15 minutes; v2 (from a video, and every twin) "up to several
hours": the schedule adapts after the first poll."""

SPEC = VendorSpec(
    name="napster", title="Napster Companions", env_vars=("NAPSTER_API_KEY",),
    operations=frozenset({"create_companion", "create_digital_twin", "list_avatars"}),
    provider="avatar_mcp.providers.napster.provider:NapsterProvider.from_settings", preference=4,
    urls=("NAPSTER_BASE_URL",))
