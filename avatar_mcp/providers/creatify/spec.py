"""Creatify (seed 003): what the registry, the checklist and the webhook routes know without importing the client."""

from __future__ import annotations

import re
from typing import Any

from avatar_mcp.providers.spec import IdRule, Limits, VendorSpec
from avatar_mcp.providers.timing import Timing

IDS = IdRule("Creatify", re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}"), "'6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f'")
"""Persona (avatar) and accent (voice) ids: UUIDs at Creatify; the shape keeps '/', '?', '#' and '..' out."""
TIMING = Timing(twin_seconds=600.0, video_overhead_seconds=0.0, render_factor=6.0)
"""Seed 003 says a custom avatar takes 1-5 days, but footage problems show up in its first minutes: the first poll
comes early (twin_seconds), and the long `reviewing` stage is polled slowly. A lipsync renders in about six seconds
per second of video."""


def webhook_ids(payload: Any) -> list[str]:
    """Creatify posts `{id, status, failed_reason, output}` for personas and lipsyncs alike."""
    value = payload.get("id") if isinstance(payload, dict) else None
    return [value] if isinstance(value, str) else []


SPEC = VendorSpec(
    name="creatify", title="Creatify", env_vars=("CREATIFY_API_ID", "CREATIFY_API_KEY"),
    operations=frozenset({"create_digital_twin", "create_video", "list_voices", "list_avatars"}),
    provider="avatar_mcp.providers.creatify.provider:CreatifyProvider.from_settings",
    limits=Limits(max_scenes=10), ids=IDS, preference=3, webhooks="unsigned", webhook_ids=webhook_ids,
    urls=("CREATIFY_BASE_URL",))
