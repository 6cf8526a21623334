"""The unified specs as HeyGen v3 requests (pure functions over v3_wire's models).

One speaking scene becomes `type: avatar`; several scenes (or a silent one) become `type: studio` (reference 4, exact
shapes): a speaking avatar is an `avatar_video` scene whose background can only be a colour (`{type: color, color}`);
a silent scene is an `image` scene showing a still for its duration: the scene's background image, else the avatar's
own preview image (v3 has no silent avatar); a scene without an avatar shows its image background while its script or
audio plays. Studio videos have no output_format, fit or remove_background. The eight AI-photo checklist fields become
a `type: prompt` prompt.
"""

from __future__ import annotations

from typing import Any

from avatar_mcp.errors import InvalidInput
from avatar_mcp.models import AvatarInfo
from avatar_mcp.providers.heygen.v3_options import Knobs, is_single_avatar
from avatar_mcp.providers.heygen.v3_wire import (
    AssetInput,
    AvatarScene,
    AvatarVideo,
    Caption,
    ImageScene,
    ImageVideo,
    SceneAvatarInput,
    SceneBackground,
    StudioVideo,
    UrlAsset,
    V3Background,
    VoiceSettings,
)
from avatar_mcp.specs import Background, PhotoGenerationSpec, PhotoVideoSpec, Scene, VideoSpec

PROMPT_MAX_CHARS = 1000
"""SK: the docs say 200, but 1,000 is what v3 enforces for prompt avatars (UNCERTAIN)."""
ASPECTS: dict[str, float] = {"16:9": 16 / 9, "9:16": 9 / 16, "4:5": 4 / 5, "5:4": 5 / 4, "1:1": 1.0}
ORIENTATION_ASPECT = {"landscape": "16:9", "portrait": "9:16", "square": "1:1"}

AGE_WORDS = {"Young Adult": "young adult", "Early Middle Age": "early-middle-aged", "Late Middle Age":
             "late-middle-aged", "Senior": "senior"}
POSE_WORDS = {"half_body": "half-body shot", "close_up": "close-up head-and-shoulders shot",
              "full_body": "full-body shot"}
ORIENTATION_WORDS = {"square": "square 1:1 framing", "horizontal": "landscape framing",
                     "vertical": "portrait framing"}
STYLE_WORDS = {"Realistic": "photorealistic", "Pixar": "Pixar-style 3D animated", "Cinematic": "cinematic",
               "Vintage": "vintage", "Noir": "film-noir black-and-white", "Cyberpunk": "cyberpunk"}


def compose_prompt(spec: PhotoGenerationSpec) -> str:
    """The eight checklist fields of seed 002 as one v3 prompt ('Unspecified' values are left to HeyGen)."""
    person = " ".join(w for w in (AGE_WORDS.get(spec.age), spec.ethnicity if spec.ethnicity != "Unspecified" else None,
                                  {"Woman": "woman", "Man": "man"}.get(spec.gender, "person")) if w)
    style = STYLE_WORDS.get(spec.style)
    head = f"{style} portrait" if style else "Portrait"
    prompt = (f"{head} of a {person}, {POSE_WORDS[spec.pose]}, {ORIENTATION_WORDS[spec.orientation]}, facing the "
              f"camera. {spec.appearance.strip()}")
    if len(prompt) > PROMPT_MAX_CHARS:
        raise InvalidInput(f"HeyGen v3 takes prompts up to {PROMPT_MAX_CHARS} characters; with the other fields this "
                           f"one has {len(prompt)}. Shorten appearance by {len(prompt) - PROMPT_MAX_CHARS} "
                           f"characters.", field="appearance")
    return prompt


def aspect_and_resolution(orientation: str | None, size: tuple[int, int] | None) -> tuple[str, str | None]:
    """v2's `dimension` becomes v3's aspect_ratio + resolution (legacy -> v3 table)."""
    if size is None:
        return ORIENTATION_ASPECT[orientation or "landscape"], None
    width, height = size
    ratio = width / height
    aspect = next((name for name, value in ASPECTS.items() if abs(ratio - value) / value < 0.01), None)
    if aspect is None:
        raise InvalidInput(f"HeyGen v3 renders 16:9, 9:16, 4:5, 5:4 or 1:1; {width}x{height} is none of these. Use "
                           f"orientation, or a dimension with one of these shapes.", field="dimension")
    short = min(width, height)
    return aspect, "4k" if short >= 2160 else "1080p" if short >= 1080 else "720p"


def voice_settings(speed: float, pitch: int, locale: str | None, volume: float | None = None) -> VoiceSettings | None:
    if speed == 1.0 and pitch == 0 and not locale and volume is None:
        return None
    return VoiceSettings(speed=speed if speed != 1.0 else None, pitch=pitch or None, volume=volume, locale=locale)


def check_background(bg: Background | None, field: str, output_format: str) -> None:
    if bg is None:
        return
    if bg.type == "video":
        raise InvalidInput(f"{field}: HeyGen v3 takes color or image backgrounds, not video. Use an image (or "
                           f"HEYGEN_API_VERSION=v2, which has video backgrounds).", field=field)
    if output_format == "webm" and bg.type != "color":
        raise InvalidInput("webm videos have a transparent background; drop the background or use mp4.",
                           field=field)


def background(bg: Background | None, asset: AssetInput | None, field: str) -> V3Background | None:
    if bg is None:
        return None
    check_background(bg, field, "mp4")
    if bg.type == "color":
        return V3Background(type="color", value=bg.value) if bg.value else None
    if isinstance(asset, UrlAsset):
        return V3Background(type="image", url=asset.url)
    assert asset is not None
    return V3Background(type="image", asset_id=asset.asset_id)


def check_video(spec: VideoSpec) -> list[str]:
    """What v3 would reject, raised before any request; returns warnings for settings v3 has no field for."""
    if spec.output_format == "mov":
        raise InvalidInput("HeyGen v3 renders mp4 or webm, not mov.", field="output_format")
    studio = not is_single_avatar(spec)
    if studio and spec.output_format != "mp4":
        raise InvalidInput("HeyGen v3 makes this video (several scenes, or a scene without a speaking avatar) as a "
                           "studio video, which is always mp4: webm (with its transparent background) is for "
                           "one-scene videos. Use output_format mp4, or make one video per scene.",
                           field="output_format")
    warnings: list[str] = []
    for i, scene in enumerate(spec.scenes):
        speaking = scene.avatar_id is not None and scene.silence_seconds is None
        if studio and speaking and scene.background is not None and scene.background.type != "color":
            raise InvalidInput(f"scenes.{i}.background: in a video of several scenes HeyGen v3 puts a speaking "
                               f"avatar on a colour only (an image background works in a one-scene video, or on a "
                               f"silent scene or a scene without an avatar). Use a colour, or make this scene a "
                               f"video of its own.", field=f"scenes.{i}.background")
        if scene.script and not scene.voice_id:
            raise InvalidInput(f"scenes.{i}.voice_id is required with a script: pick one with list_voices.",
                               field=f"scenes.{i}.voice_id")
        check_background(scene.background, f"scenes.{i}.background", spec.output_format)
        if scene.avatar_id is None and not (scene.background and scene.background.type == "image"):
            raise InvalidInput(f"scenes.{i} needs an avatar_id (or, without one, an image background to show).",
                               field=f"scenes.{i}.avatar_id")
        ignored = [name for name, unset in (("emotion", scene.emotion is None), ("avatar_style",
                   scene.avatar_style == "normal"), ("scale", scene.scale == 1.0),
                   ("offset", not (scene.offset_x or scene.offset_y))) if not unset]
        if ignored:
            warnings.append(f"scenes.{i}: HeyGen v3 has no setting for {', '.join(ignored)}; ignored.")
        if scene.silence_seconds is not None:
            warnings.append(f"scenes.{i}: v3 has no silent avatar; the silent scene shows a still image for "
                            f"{scene.silence_seconds:g} s.")
    return warnings


def _speech(scene: Scene, audio: AssetInput | None, volume: float | None) -> dict[str, Any]:
    settings = voice_settings(scene.speed, scene.pitch, scene.locale, volume) if scene.script else None
    return {"script": scene.script, "voice_id": scene.voice_id if scene.script else None, **_audio_fields(audio),
            "voice_settings": settings}


def output(spec: VideoSpec, callback_id: str, knobs: Knobs) -> dict[str, Any]:
    """The fields every video has (a studio video has no others)."""
    aspect, resolution = aspect_and_resolution(spec.orientation, spec.size() if spec.dimension else None)
    return {"aspect_ratio": aspect, "resolution": knobs.resolution or resolution or "720p",
            "caption": Caption(style="default") if spec.caption else None, "title": spec.title,
            "callback_id": callback_id}


def scene_background(bg: Background | None) -> SceneBackground | None:
    """A studio scene's colour (check_video has refused image backgrounds behind a speaking avatar)."""
    if bg is None or bg.type != "color" or not bg.value:
        return None
    return SceneBackground(color=bg.value)


def _audio_fields(audio: AssetInput | None) -> dict[str, Any]:
    if isinstance(audio, UrlAsset):
        return {"audio_url": audio.url}
    return {"audio_asset_id": audio.asset_id} if audio is not None else {}


def build_video(spec: VideoSpec, avatars: dict[str, AvatarInfo], audio: dict[int, AssetInput],
                backgrounds: dict[int, AssetInput], callback_id: str, knobs: Knobs | None = None
                ) -> AvatarVideo | StudioVideo:
    """The request for a checked spec; `knobs` are its checked RenderOptions (v3_options.for_video)."""
    knobs = knobs or Knobs()
    if is_single_avatar(spec):
        scene = spec.scenes[0]
        assert scene.avatar_id is not None
        return AvatarVideo(avatar_id=scene.avatar_id, **_speech(scene, audio.get(0), knobs.volume),
                           background=background(scene.background, backgrounds.get(0), "scenes.0.background"),
                           **knobs.avatar(), **knobs.one_person(),
                           output_format="webm" if spec.output_format == "webm" else "mp4",
                           **output(spec, callback_id, knobs))
    scenes: list[AvatarScene | ImageScene] = []
    for i, scene in enumerate(spec.scenes):
        bg = backgrounds.get(i)
        if scene.avatar_id is not None and scene.silence_seconds is None:
            scenes.append(AvatarScene(input=SceneAvatarInput(
                avatar_id=scene.avatar_id, **_speech(scene, audio.get(i), knobs.volume),
                background=scene_background(scene.background), **knobs.avatar())))
            continue
        preview = avatars[scene.avatar_id].preview_image_url if scene.avatar_id in avatars else None
        source = bg or (UrlAsset(url=preview) if preview else None)
        if source is None:
            raise InvalidInput(f"scenes.{i}: a silent scene on HeyGen v3 shows a still image, and neither an image "
                               f"background nor the avatar's preview image is available. Add an image background.",
                               field=f"scenes.{i}.background")
        if scene.silence_seconds is not None:
            scenes.append(ImageScene(source=source, duration=scene.silence_seconds))
        else:
            scenes.append(ImageScene(source=source, **_speech(scene, audio.get(i), None)))
    return StudioVideo(scenes=scenes, **output(spec, callback_id, knobs))


def check_image_video(spec: PhotoVideoSpec) -> None:
    """What v3 would reject in a photo video, raised before any upload or request."""
    if spec.output_format == "mov":
        raise InvalidInput("HeyGen v3 renders mp4 or webm, not mov.", field="output_format")
    if spec.script and not spec.voice_id:
        raise InvalidInput("voice_id is required with a script: pick one with list_voices.", field="voice_id")
    check_background(spec.background, "background", spec.output_format)


def image_video(spec: PhotoVideoSpec, image: AssetInput, audio: AssetInput | None, bg: AssetInput | None,
                callback_id: str, knobs: Knobs | None = None) -> ImageVideo:
    """The `type: image` request; `knobs` are the spec's checked RenderOptions (v3_options.for_image)."""
    check_image_video(spec)
    knobs = knobs or Knobs(fit=spec.fit, motion_prompt=spec.motion_prompt)
    settings = voice_settings(spec.speed, spec.pitch, None, knobs.volume) if spec.script else None
    speech: dict[str, Any] = {"script": spec.script, "voice_id": spec.voice_id if spec.script else None,
                              "voice_settings": settings, **_audio_fields(audio)}
    return ImageVideo(image=image, **speech, **knobs.motion(), aspect_ratio=ORIENTATION_ASPECT[spec.orientation],
                      resolution=knobs.resolution, **knobs.one_person(),
                      background=background(spec.background, bg, "background"),
                      caption=Caption(style="default") if spec.caption else None, title=spec.title,
                      output_format="webm" if spec.output_format == "webm" else None, callback_id=callback_id)
