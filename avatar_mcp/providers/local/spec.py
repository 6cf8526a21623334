"""The local studio: what the registry knows without importing the renderer (numpy, OpenCV, dlib, piper)."""

from __future__ import annotations

from avatar_mcp.providers.spec import Limits, VendorSpec


def unavailable() -> str | None:
    """Why the studio cannot run here (its extra is not installed), from an import probe that runs no module code."""
    from avatar_mcp.providers.local.requirements import unavailable_reason

    return unavailable_reason()


SPEC = VendorSpec(
    name="local", title="Local studio (offline)", env_vars=(),
    operations=frozenset({"generate_photo_avatar", "create_photo_avatar", "train_photo_avatar", "create_digital_twin",
                          "create_companion", "create_video", "create_photo_video", "list_voices", "list_avatars",
                          "delete_avatar", "cancel_job"}),
    provider="avatar_mcp.providers.local.provider:LocalProvider.from_settings", limits=Limits(), fallback=True,
    unavailable=unavailable)
