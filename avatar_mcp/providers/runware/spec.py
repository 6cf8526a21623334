"""Runware (HeyGen Avatar V through Runware, seed 004): what the registry, the checklist and the webhook routes know
without importing the client."""

from __future__ import annotations

import re
from typing import Any

from avatar_mcp.providers.spec import IdRule, Limits, VendorSpec
from avatar_mcp.providers.timing import Timing

OPTIONS = frozenset({"fit", "remove_background", "quality", "variants", "ttl_seconds", "safety", "upload_url",
                     "volume"})
"""The RenderOptions fields Avatar V takes (each has a videoInference field); the rest are refused by name."""
IDS = IdRule("HeyGen Avatar V", re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}"),
             "'Abigail_expressive_2024112501' (avatars) or '1bd001e7e50f421d891986aad5158bc8' (voices)")
"""The HeyGen avatar and voice ids a videoInference names (they travel in the body; checked all the same)."""
TIMING = Timing(video_overhead_seconds=240.0, render_factor=0.0)
"""A first guess at an Avatar V render: the poll schedule adapts from there."""


def webhook_ids(payload: Any) -> list[str]:
    """Runware posts `{"data": [item]}` per finished result, `{"errors": [item]}` on failure; items name the task."""
    if not isinstance(payload, dict):
        return []
    items = [i for key in ("data", "errors") if isinstance(payload.get(key), list) for i in payload[key]]
    return [i["taskUUID"] for i in items if isinstance(i, dict) and isinstance(i.get("taskUUID"), str)]


SPEC = VendorSpec(
    name="runware", title="Runware (HeyGen Avatar V)", env_vars=("RUNWARE_API_KEY",),
    operations=frozenset({"create_video", "create_photo_video"}),
    provider="avatar_mcp.providers.runware.provider:RunwareProvider.from_settings", options=OPTIONS,
    limits=Limits(max_scenes=1), ids=IDS, preference=2, webhooks="unsigned", webhook_ids=webhook_ids,
    urls=("RUNWARE_BASE_URL",))
