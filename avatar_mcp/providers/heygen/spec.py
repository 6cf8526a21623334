"""HeyGen (API v3, the default, and the legacy v2): what the registry, the checklist and the webhook route know without
importing either client."""

from __future__ import annotations

import re
from typing import Any

from avatar_mcp.providers.spec import IdRule, Limits, VendorSpec
from avatar_mcp.providers.timing import Timing

OPTIONS = frozenset({"engine", "resolution", "fit", "remove_background", "expressiveness", "motion_prompt", "volume"})
"""The RenderOptions fields HeyGen takes (v3 takes them all for videos; v2 only fit and motion_prompt on photo
videos: each API generation refuses the rest by name)."""
IDS = IdRule("HeyGen", re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"),
             "'josh_lite3_20230714' or '1bd001e7e50f421d891986aad5158bc8'")
"""HeyGen's avatar, look, group, voice, video and asset ids (both API generations); a leading letter or digit keeps
'.' and '..' out."""
TIMING = Timing(avatar_seconds=10.0, photo_generation_seconds=40.0, training_seconds=600.0, twin_seconds=6 * 3600.0,
                video_overhead_seconds=90.0, render_factor=4.0, agent_seconds=600.0, ready_wait_seconds=120.0,
                ready_poll_seconds=5.0, in_progress_wait_seconds=30.0)
"""Seed 002: a photo avatar is `completed` within seconds; a twin takes hours; the Video Agent several minutes."""


def webhook_ids(payload: Any) -> list[str]:
    """The job a signed delivery is about: `event_data` names a video, an avatar, a generation or a group."""
    data = payload.get("event_data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return []
    for key in ("video_id", "avatar_id", "generation_id", "group_id", "id"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return [value]
    return []


SPEC = VendorSpec(
    name="heygen", title="HeyGen", env_vars=("HEYGEN_API_KEY",),
    operations=frozenset({"generate_photo_avatar", "create_photo_avatar", "train_photo_avatar", "create_digital_twin",
                          "create_video", "create_photo_video", "create_video_from_prompt", "list_voices",
                          "list_avatars", "delete_avatar"}),
    provider="avatar_mcp.providers.heygen.provider:from_settings", options=OPTIONS, limits=Limits(), ids=IDS,
    preference=1, webhooks="signed", webhook_ids=webhook_ids, urls=("HEYGEN_BASE_URL", "HEYGEN_UPLOAD_URL"))
