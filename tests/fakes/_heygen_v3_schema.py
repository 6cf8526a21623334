"""The allowed properties of each HeyGen v3 request variant (reference/heygen-v3.md, taken from the schema heygen-cli
is generated from). The emulator refuses a property a variant does not list, with 400 invalid_parameter naming it,
as a schema-validating API does (_heygen_validate.only). Variants whose property list the reference leaves open
(cinematic_avatar) are not checked this way.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes._heygen_common import bad
from tests.fakes._heygen_validate import only

ASSET_INPUT = {"url": {"type", "url"}, "asset_id": {"type", "asset_id"}, "base64": {"type", "media_type", "data"}}
VOICE_SETTINGS = {"speed", "pitch", "volume", "locale", "engine_settings"}
ENGINE = {"type", "reference_look_id"}
CAPTION = {"file_format", "style"}
AVATAR_BACKGROUND = {"type", "value", "url", "asset_id"}
"""The background of an `avatar` / `image` video: `{type: color, value}` or `{type: image, url | asset_id}`."""
SCENE_BACKGROUND = {"type", "color"}
"""A studio scene's background: colour only, `{type: "color", color: "#RRGGBB"}`."""
SCENE_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

_SPEECH = {"script", "voice_id", "audio_url", "audio_asset_id", "voice_settings"}
AVATAR_VIDEO = {"type", "avatar_id", *_SPEECH, "engine", "aspect_ratio", "resolution", "fit", "output_format",
                "background", "remove_background", "caption", "expressiveness", "motion_prompt", "title",
                "callback_url", "callback_id", "watermark"}
IMAGE_VIDEO = (AVATAR_VIDEO - {"avatar_id", "engine"}) | {"image"}
STUDIO_VIDEO = {"type", "scenes", "aspect_ratio", "resolution", "caption", "title", "callback_url", "callback_id",
                "watermark"}
"""No output_format, fit or remove_background: those exist only on avatar and image videos."""

AVATAR_SCENE = {"type", "input"}
SCENE_AVATAR_INPUT = {"type", "avatar_id", *_SPEECH, "engine", "expressiveness", "motion_prompt", "background"}
SCENE_IMAGE_INPUT = {"type", "image", *_SPEECH, "expressiveness", "motion_prompt"}
IMAGE_SCENE = {"type", "source", "duration", *_SPEECH}
VIDEO_SCENE = {"type", "source", "playback"}
PLAYBACK = {"volume", "mute"}

AVATAR_CREATE = {"photo": {"type", "name", "file", "avatar_group_id"},
                 "prompt": {"type", "name", "prompt", "reference_images", "avatar_id", "avatar_group_id"},
                 "digital_twin": {"type", "name", "file", "avatar_group_id"}}
CONSENT = {"reroute_url", "consent_video", "consent_text"}
LOOK_PATCH = {"name"}
AGENT_CREATE = {"prompt", "mode", "avatar_id", "voice_id", "style_id", "brand_kit_id", "orientation", "files",
                "incognito_mode", "callback_url", "callback_id"}
DIRECT_UPLOAD = {"filename", "content_type", "size_bytes", "checksum_sha256"}
COMPLETE_UPLOAD = {"checksum_sha256"}
WEBHOOK_ENDPOINT = {"url", "events", "entity_id"}
WEBHOOK_PATCH = {"url", "events"}


def asset_input_properties(value: Any, path: str) -> None:
    """An AssetInput carries only the properties of its variant."""
    if isinstance(value, dict) and value.get("type") in ASSET_INPUT:
        only(value, ASSET_INPUT[str(value["type"])], path)


def scene_background(value: Any, path: str) -> None:
    """`{type: "color", color: "#RRGGBB"}`: both required, nothing else, six hex digits."""
    name = f"{path}.background"
    if not isinstance(value, dict):
        raise bad(name, f"{name} must be an object.")
    only(value, SCENE_BACKGROUND, name)
    if value.get("type") != "color":
        raise bad(f"{name}.type", f"{name}.type must be 'color' (a studio scene takes colour backgrounds only).")
    color = value.get("color")
    if not isinstance(color, str) or not SCENE_COLOR.match(color):
        raise bad(f"{name}.color", f"{name}.color is required: a 6-digit hex colour like #1E2A3A (got {color!r}).")
