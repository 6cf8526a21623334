"""The specs: what the user asked for, after the checklist, in one typed shape per operation (operations.py names
which). Every provider maps them to its own wire format. Field limits are the strictest common ones from the vendors'
docs; a provider checks its own on top. The eight AI-photo fields and their spellings come from seed 002.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Age = Literal["Young Adult", "Early Middle Age", "Late Middle Age", "Senior", "Unspecified"]
PhotoGender = Literal["Woman", "Man", "Unspecified"]
Ethnicity = Literal[
    "White", "Black", "Asian American", "East Asian", "South East Asian", "South Asian", "Middle Eastern",
    "Pacific", "Hispanic", "Unspecified",
]
PhotoOrientation = Literal["square", "horizontal", "vertical"]
Pose = Literal["half_body", "close_up", "full_body"]
PhotoStyle = Literal["Realistic", "Pixar", "Cinematic", "Vintage", "Noir", "Cyberpunk", "Unspecified"]
Orientation = Literal["landscape", "portrait", "square"]
Fit = Literal["cover", "contain", "crop", "none"]
PlayStyle = Literal["fit_to_scene", "freeze", "loop", "once"]
Emotion = Literal["Excited", "Friendly", "Serious", "Soothing", "Broadcaster"]
OutputFormat = Literal["mp4", "webm", "mov"]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class PhotoGenerationSpec(BaseModel):
    """The eight fields of HeyGen's AI photo checklist (seed 002), all required."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=100)
    age: Age
    gender: PhotoGender
    ethnicity: Ethnicity
    orientation: PhotoOrientation
    pose: Pose
    style: PhotoStyle
    appearance: str = Field(min_length=1, max_length=1000)


class GenerationPick(BaseModel):
    model_config = _STRICT
    job_id: str = Field(min_length=1)
    index: int = Field(ge=0, le=9)


class PhotoAvatarSpec(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=100)
    image: str | None = Field(default=None, description="Local path (inside the media roots), https URL or asset:<id>.")
    from_generation: GenerationPick | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PhotoAvatarSpec:
        if (self.image is None) == (self.from_generation is None):
            raise ValueError("give exactly one of image or from_generation")
        return self


class TrainSpec(BaseModel):
    model_config = _STRICT
    avatar_id: str = Field(min_length=1, max_length=200)


TwinGender = Literal["female", "male", "nonBinary"]


class DigitalTwinSpec(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=100)
    video: str = Field(description="Training footage: local path, https URL or asset:<id>.")
    consent_video: str | None = None
    version: Literal["v1", "v2"] | None = None
    gender: TwinGender | None = None
    ethnicity: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)


class CompanionSpec(BaseModel):
    model_config = _STRICT
    description: str = Field(min_length=1, max_length=2000)
    version: Literal["v1", "v2"] = "v1"
    picture: str | None = None
    video: str | None = None
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    gender: Literal["male", "female", "nonBinary"] | None = None
    ethnicity: str | None = None


class Background(BaseModel):
    model_config = _STRICT
    type: Literal["color", "image", "video"] = "color"
    value: str | None = Field(default=None, description="color: '#1e2a3a'.")
    url: str | None = Field(default=None, description="image/video: local path, https URL or asset:<id>.")
    fit: Fit = "cover"
    play_style: PlayStyle = "loop"

    @model_validator(mode="after")
    def _check(self) -> Background:
        if self.type == "color":
            if self.value is not None and not _HEX.match(self.value):
                raise ValueError(f"background colour must look like #1e2a3a, got {self.value!r}")
        elif not self.url:
            raise ValueError(f"a {self.type} background needs url (a local path, https URL or asset:<id>)")
        return self


class Scene(BaseModel):
    """One scene: who speaks, what (script, audio or silence), with which voice, over what."""

    model_config = _STRICT
    avatar_id: str | None = None
    script: str | None = Field(default=None, max_length=5000)
    audio: str | None = Field(default=None, description="Speech file: local path, https URL or asset:<id>.")
    silence_seconds: float | None = Field(default=None, ge=1, le=100)
    voice_id: str | None = None
    speed: float = Field(default=1.0, ge=0.5, le=1.5)
    pitch: int = Field(default=0, ge=-50, le=50)
    emotion: Emotion | None = None
    locale: str | None = None
    background: Background | None = None
    avatar_style: Literal["normal", "closeUp", "circle"] = "normal"
    scale: float = Field(default=1.0, gt=0, le=5)
    offset_x: float = Field(default=0.0, ge=-1, le=1)
    offset_y: float = Field(default=0.0, ge=-1, le=1)

    @field_validator("script")
    @classmethod
    def _blank_script(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _one_voice_source(self) -> Scene:
        given = [k for k in ("script", "audio", "silence_seconds") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"a scene takes one of script, audio or silence_seconds, not {' and '.join(given)}")
        return self


class Dimension(BaseModel):
    model_config = _STRICT
    width: int = Field(ge=128, le=3840)
    height: int = Field(ge=128, le=3840)


ORIENTATION_SIZES: dict[str, tuple[int, int]] = {
    "landscape": (1280, 720),
    "portrait": (720, 1280),
    "square": (720, 720),
}


class RenderOptions(BaseModel):
    """Vendor render knobs: each provider refuses the ones it lacks, by name, before sending."""

    model_config = _STRICT
    engine: Literal["avatar_iv", "avatar_v", "avatar_iii"] | None = Field(default=None, description="HeyGen v3")
    resolution: Literal["720p", "1080p", "4k"] | None = Field(default=None, description="HeyGen v3")
    fit: Literal["cover", "contain"] | None = None
    remove_background: bool | None = None
    expressiveness: Literal["high", "medium", "low"] | None = Field(default=None, description="HeyGen v3 photos")
    motion_prompt: str | None = Field(default=None, max_length=1000)
    quality: int | None = Field(default=None, ge=20, le=99, description="Runware")
    variants: int | None = Field(default=None, ge=1, le=4, description="Runware: results to make")
    ttl_seconds: int | None = Field(default=None, ge=60, description="Runware: URL lifetime")
    safety: Literal["none", "fast", "full"] | None = Field(default=None, description="Runware content check")
    upload_url: str | None = Field(default=None, max_length=2000, description="Runware: also PUT the video here")
    volume: float | None = Field(default=None, ge=0, le=1, description="Speech volume")

    def given(self) -> dict[str, Any]:
        """The options that were set, by name."""
        return self.model_dump(exclude_none=True)


class VideoSpec(BaseModel):
    model_config = _STRICT
    scenes: Annotated[list[Scene], Field(min_length=1, max_length=50)]
    orientation: Orientation | None = None
    dimension: Dimension | None = None
    caption: bool = False
    title: str | None = Field(default=None, max_length=200)
    output_format: OutputFormat = "mp4"
    options: RenderOptions | None = None

    def size(self) -> tuple[int, int]:
        if self.dimension is not None:
            return self.dimension.width, self.dimension.height
        return ORIENTATION_SIZES[self.orientation or "landscape"]


class PromptVideoSpec(BaseModel):
    """A whole video from a description: the vendor's agent writes, casts and edits it (HeyGen v3 Video Agent)."""

    model_config = _STRICT
    prompt: str = Field(min_length=1, max_length=10000)
    avatar_id: str | None = Field(default=None, max_length=200)
    voice_id: str | None = Field(default=None, max_length=200)
    orientation: Literal["landscape", "portrait"] | None = None


class PhotoVideoSpec(BaseModel):
    """Animate one photo (HeyGen Avatar IV, Runware Avatar V, the local studio)."""

    model_config = _STRICT
    image: str
    script: str | None = Field(default=None, max_length=5000)
    audio: str | None = None
    voice_id: str | None = None
    orientation: Orientation = "landscape"
    fit: Literal["cover", "contain"] = "cover"
    motion_prompt: str | None = Field(default=None, max_length=1000)
    title: str | None = Field(default=None, max_length=200)
    caption: bool = False
    speed: float = Field(default=1.0, ge=0.5, le=1.5)
    pitch: int = Field(default=0, ge=-50, le=50)
    background: Background | None = None
    output_format: OutputFormat = "mp4"
    options: RenderOptions | None = None

    @model_validator(mode="after")
    def _speech(self) -> PhotoVideoSpec:
        if (self.script is None) == (self.audio is None):
            raise ValueError("give exactly one of script or audio")
        return self
