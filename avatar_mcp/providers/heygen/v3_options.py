"""RenderOptions on HeyGen v3 (reference/heygen-v3.md 4), checked against what v3 would refuse before any request.

Each avatar input (the one `type: avatar` / `type: image` video, or every speaking `avatar_video` scene of a studio
video) takes `engine: {type}`, `expressiveness` (photo looks on Avatar IV only), `motion_prompt` and
`voice_settings.volume` (spoken scripts only). The whole video takes `resolution`; `fit` and `remove_background`
exist only on a one-person (`avatar` / `image`) video, so a studio video refuses them by name.
`engine.reference_look_id` (Avatar V) is not offered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from avatar_mcp.errors import InvalidInput
from avatar_mcp.models import AvatarInfo
from avatar_mcp.providers.heygen.spec import OPTIONS
from avatar_mcp.providers.heygen.v3_wire import Engine
from avatar_mcp.specs import PhotoVideoSpec, Scene, VideoSpec

VIDEO_OPTIONS = tuple(sorted(OPTIONS))
"""What create_video and create_photo_video take on v3 (the photo video's engine is always avatar_iv)."""
DEFAULT_ENGINE = "avatar_iv"
PER_AVATAR = ("engine", "remove_background", "expressiveness", "motion_prompt", "volume")
ONE_PERSON_ONLY = ("fit", "remove_background")
"""Fields of `avatar` / `image` videos that a studio (multi-scene) video does not have."""


@dataclass(frozen=True)
class Knobs:
    """Checked options of one request: what goes on each avatar input, and on the output."""

    engine: Literal["avatar_iv", "avatar_v", "avatar_iii"] | None = None
    remove_background: bool | None = None
    expressiveness: Literal["high", "medium", "low"] | None = None
    motion_prompt: str | None = None
    volume: float | None = None
    resolution: Literal["4k", "1080p", "720p"] | None = None
    fit: Literal["cover", "contain"] | None = None

    def motion(self) -> dict[str, Any]:
        """Fields of every person input (ImageVideo, AvatarVideo, a studio scene's avatar input)."""
        return {"expressiveness": self.expressiveness, "motion_prompt": self.motion_prompt}

    def avatar(self) -> dict[str, Any]:
        """Fields of one avatar input (SceneAvatarInput / AvatarVideo)."""
        return {**self.motion(), "engine": Engine(type=self.engine) if self.engine else None}

    def one_person(self) -> dict[str, Any]:
        """The output fields only a one-person (`avatar` / `image`) video has."""
        return {"fit": self.fit, "remove_background": self.remove_background}


def _refuse(message: str, name: str) -> InvalidInput:
    return InvalidInput(f"{message} Nothing was submitted.", field=f"options.{name}")


def _motion_prompt(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise _refuse("options.motion_prompt is empty: describe the movement, or leave it out.", "motion_prompt")
    return value


def is_single_avatar(spec: VideoSpec) -> bool:
    """One speaking avatar: a `type: avatar` video; anything else is a studio video."""
    only = spec.scenes[0]
    return len(spec.scenes) == 1 and only.avatar_id is not None and only.silence_seconds is None


def speaking_avatars(spec: VideoSpec) -> list[tuple[int, Scene]]:
    """The scenes that become avatar inputs (v3_mapping: an avatar that is not silent)."""
    return [(i, s) for i, s in enumerate(spec.scenes) if s.avatar_id is not None and s.silence_seconds is None]


def for_video(given: Mapping[str, Any], spec: VideoSpec, avatars: Mapping[str, AvatarInfo],
              engines: Mapping[str, Sequence[str]], derived_resolution: str | None) -> Knobs:
    """The options of a create_video, refused where v3 would refuse them. `engines` are the looks' supported
    engines (empty when HeyGen did not list them); `derived_resolution` comes from `dimension`."""
    scenes = speaking_avatars(spec)
    studio = [name for name in ONE_PERSON_ONLY if name in given] if not is_single_avatar(spec) else []
    if studio:
        names = " and ".join(f"options.{name}" for name in studio)
        raise _refuse(f"HeyGen v3 makes this video (several scenes, or a scene without a speaking avatar) as a studio "
                      f"video, which has no {names}: those exist only on one-scene videos. Remove "
                      f"{'it' if len(studio) == 1 else 'them'}, or make one video per scene.", studio[0])
    unplaced = [name for name in PER_AVATAR if name in given]
    if unplaced and not scenes:
        raise _refuse(f"options.{unplaced[0]} applies to the avatar's speech and movement, and every scene here is "
                      f"silent or has no avatar.", unplaced[0])
    engine = given.get("engine")
    if engine is not None:
        for i, scene in scenes:
            assert scene.avatar_id is not None
            supported = list(engines.get(scene.avatar_id) or [])
            if supported and engine not in supported:
                raise _refuse(f"scenes.{i}: HeyGen renders avatar {scene.avatar_id} with {', '.join(supported)}, not "
                              f"{engine}. Pick one of those engines, or another avatar.", "engine")
    if given.get("expressiveness") is not None:
        effective = engine or DEFAULT_ENGINE
        if effective != DEFAULT_ENGINE:
            raise _refuse(f"options.expressiveness works on Avatar IV only (HeyGen v3), and the engine here is "
                          f"{effective}. Drop one of the two.", "expressiveness")
        for i, scene in scenes:
            info = avatars.get(scene.avatar_id or "")
            if info is not None and info.kind != "photo":
                raise _refuse(f"options.expressiveness works with photo avatars only (HeyGen v3); scenes.{i} uses "
                              f"{info.name} ({scene.avatar_id}), a {info.kind.replace('_', ' ')} avatar.",
                              "expressiveness")
    if given.get("volume") is not None and not any(s.script for _, s in scenes):
        raise _refuse("options.volume sets the volume of the generated speech, and no avatar scene here speaks a "
                      "script (supplied audio is used as it is).", "volume")
    resolution = given.get("resolution")
    if resolution is not None and derived_resolution is not None and resolution != derived_resolution:
        raise _refuse(f"dimension {spec.size()[0]}x{spec.size()[1]} means {derived_resolution} on HeyGen v3, but "
                      f"options.resolution says {resolution}. Give one of the two.", "resolution")
    return Knobs(engine=engine, remove_background=given.get("remove_background"),
                 expressiveness=given.get("expressiveness"), motion_prompt=_motion_prompt(given.get("motion_prompt")),
                 volume=given.get("volume"), resolution=resolution, fit=given.get("fit"))


def for_image(given: Mapping[str, Any], spec: PhotoVideoSpec) -> Knobs:
    """The options of a create_photo_video (`type: image`, always Avatar IV). `fit` in the options wins over the
    spec's; a motion prompt given twice must say the same thing."""
    engine = given.get("engine")
    if engine is not None and engine != DEFAULT_ENGINE:
        raise _refuse(f"A photo video on HeyGen v3 is always Avatar IV (type image takes no engine), not {engine}. "
                      f"Drop options.engine, or make a photo avatar and use create_video with it.", "engine")
    motion = given.get("motion_prompt")
    if motion is not None and spec.motion_prompt is not None and motion.strip() != spec.motion_prompt.strip():
        raise _refuse("motion_prompt and options.motion_prompt say different things; give one of them.",
                      "motion_prompt")
    if given.get("volume") is not None and not spec.script:
        raise _refuse("options.volume sets the volume of the generated speech, and this video uses your audio file "
                      "as it is.", "volume")
    return Knobs(remove_background=given.get("remove_background"), expressiveness=given.get("expressiveness"),
                 motion_prompt=_motion_prompt(motion if motion is not None else spec.motion_prompt),
                 volume=given.get("volume"), resolution=given.get("resolution"), fit=given.get("fit") or spec.fit)
