"""The local studio's public entry points: plan a video of scenes, render it offline, get the files.

`render` plays the scenes in order (each lasts its speech, or its silence), draws every frame in Python
(puppet, stage, captions) and pipes it into ffmpeg, which encodes on the other core. It writes the video,
an SRT next to it whenever a scene has timed words, and a JPEG thumbnail of an early speaking frame.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from avatar_mcp.errors import MediaRejected, RenderError
from avatar_mcp.providers.local._ffmpeg import VideoInfo, probe_video
from avatar_mcp.providers.local.backgrounds import BackgroundPlan, open_background
from avatar_mcp.providers.local.captions import Caption, captions_for, draw_caption, write_srt
from avatar_mcp.providers.local.encode import (
    EncodeSettings,
    FrameSink,
    OutputFormat,
    Rect,
    YuvFrame,
    video_command,
    write_wav,
)
from avatar_mcp.providers.local.face import detect_faces
from avatar_mcp.providers.local.footage import Footage, FootagePlayer, prepare_footage
from avatar_mcp.providers.local.layout import Style, card_box, cut_card, face_crop
from avatar_mcp.providers.local.puppet import MouthTransplant, PortraitPuppet
from avatar_mcp.providers.local.scenes import FootageScene, PortraitScene, SceneRenderer
from avatar_mcp.providers.local.speech import Speech
from avatar_mcp.providers.local.stage import Stage

__all__ = [
    "BackgroundPlan", "EncodeSettings", "Footage", "Portrait", "RenderCancelled", "RenderOutput", "RenderPlan",
    "ScenePlan", "VideoInfo", "prepare_footage", "probe_video", "render",
]

PROGRESS_EVERY = 10
SILENCE_RATE = 48_000
THUMBNAIL_WINDOW_S = (0.3, 3.0)


class RenderCancelled(RenderError):
    """should_stop() asked the render to stop; partial files were deleted."""

    code = "render_canceled"

    def __init__(self) -> None:
        super().__init__("The render was cancelled; no video was kept.")


@dataclass
class Portrait:
    """A still avatar: the stored image (BGR) and its 68 landmarks."""

    image: np.ndarray
    points: np.ndarray

    @classmethod
    def from_image(cls, image: np.ndarray) -> Portrait:
        """The portrait of the largest face in `image`; MediaRejected when there is none."""
        faces = detect_faces(image)
        if not faces:
            raise MediaRejected("No face found in the photo. Use a well-lit, front-facing photo of one person.")
        return cls(image=image, points=faces[0].points)


@dataclass
class ScenePlan:
    avatar: Portrait | Footage
    speech: Speech | None
    """None for a silence scene."""
    silence_seconds: float | None = None
    """How long a silence scene lasts (used when speech is None)."""
    background: BackgroundPlan = field(default_factory=lambda: BackgroundPlan("color"))
    style: Style = "normal"
    scale: float = 1.0
    """Size of the avatar relative to the default layout."""
    offset_x: float = 0.0
    """-1..1, share of the frame width the avatar's centre moves right."""
    offset_y: float = 0.0
    """-1..1, share of the frame height the avatar's centre moves down."""


@dataclass
class RenderPlan:
    scenes: list[ScenePlan]
    width: int
    height: int
    out_path: Path
    fps: int = 25
    captions: bool = False
    """Burn captions into the picture (the SRT is written either way when there are words)."""
    output_format: OutputFormat = "mp4"
    encode: EncodeSettings = field(default_factory=EncodeSettings)


@dataclass
class RenderOutput:
    video_path: Path
    captions_path: Path | None
    thumbnail_path: Path
    duration_seconds: float
    frames: int


def _scene_seconds(scene: ScenePlan, index: int) -> float:
    if scene.speech is not None:
        if scene.speech.duration <= 0:
            raise RenderError(f"Scene {index + 1} has empty speech audio.")
        return scene.speech.duration
    if scene.silence_seconds is None or scene.silence_seconds <= 0:
        raise RenderError(f"Scene {index + 1} has neither speech nor a positive silence_seconds.")
    return float(scene.silence_seconds)


def _scene_audio(scene: ScenePlan, frames: int, fps: int) -> tuple[np.ndarray, int]:
    """The scene's audio cut or padded to exactly its frames' duration, so every cut stays in sync."""
    rate = scene.speech.sample_rate if scene.speech is not None else SILENCE_RATE
    length = round(frames / fps * rate)
    samples = np.zeros(length, np.float32)
    if scene.speech is not None:
        take = min(length, len(scene.speech.samples))
        samples[:take] = scene.speech.samples[:take]
    return samples, rate


class _Workshop:
    """Per-render caches: one puppet or footage player per (avatar, style, card size), reused across scenes."""

    def __init__(self) -> None:
        self.puppets: dict[tuple[int, str, int, int], tuple[PortraitPuppet, np.ndarray]] = {}
        self.players: dict[tuple[int, str, int, int], tuple[FootagePlayer, MouthTransplant]] = {}

    def scene(self, scene: ScenePlan, index: int, frames: int, plan: RenderPlan, width: int, height: int
              ) -> tuple[SceneRenderer, Stage]:
        box = card_box(scene.style, width, height, scale=scene.scale, offset_x=scene.offset_x,
                       offset_y=scene.offset_y)
        background = open_background(scene.background, width, height, plan.fps, frames)
        stage = Stage(width, height, box, background)
        key = (id(scene.avatar), scene.style, box.w, box.h)
        try:
            if isinstance(scene.avatar, Footage):
                if key not in self.players:
                    player = FootagePlayer(scene.avatar, scene.style, box)
                    reference, points = player.reference()
                    self.players[key] = (player, MouthTransplant(reference, points))
                player, transplant = self.players[key]
                return FootageScene(player, transplant, stage, scene.speech, frames, plan.fps), stage
            if key not in self.puppets:
                image, points = scene.avatar.image, scene.avatar.points
                crop = face_crop(points, scene.style, box.w / box.h, image.shape[1], image.shape[0])
                card, card_points = cut_card(image, points, crop, (box.w, box.h))
                self.puppets[key] = (PortraitPuppet(card, card_points), card)
            puppet, card = self.puppets[key]
            return PortraitScene(puppet, card, stage, scene.speech, frames, plan.fps, seed=index), stage
        except BaseException:
            stage.close()
            raise

    def close(self) -> None:
        for player, _ in self.players.values():
            player.close()


class _Burner:
    """Burns captions into frames and undoes it afterwards (scene buffers are reused from frame to frame)."""

    def __init__(self, captions: list[Caption], fps: int, width: int, height: int) -> None:
        self.cues = [(round(c.start * fps), round(c.end * fps), draw_caption(c.text, width, height))
                     for c in captions]
        self.inverse = [np.ascontiguousarray(1.0 - image.alpha) for _, _, image in self.cues]
        self._next = 0
        self._saved: tuple[Rect, np.ndarray] | None = None
        self._previous: Rect | None = None

    def burn(self, frame: np.ndarray, index: int) -> list[Rect]:
        """Draw the caption showing at frame `index`; returns the rectangles that changed because of captions."""
        while self._next < len(self.cues) and self.cues[self._next][1] <= index:
            self._next += 1
        changed = [self._previous] if self._previous is not None else []
        self._previous = None
        if self._next < len(self.cues) and self.cues[self._next][0] <= index:
            image = self.cues[self._next][2]
            h, w = image.alpha.shape
            rect = (image.x, image.y, image.x + w, image.y + h)
            target = frame[image.y:image.y + h, image.x:image.x + w]
            self._saved = (rect, target.copy())
            target[:] = cv2.blendLinear(image.bgr, np.ascontiguousarray(target), image.alpha,
                                        self.inverse[self._next])
            changed.append(rect)
            self._previous = rect
        return changed

    def restore(self, frame: np.ndarray) -> None:
        """Put back what the last burn covered."""
        if self._saved is not None:
            (x0, y0, x1, y1), pixels = self._saved
            frame[y0:y1, x0:x1] = pixels
            self._saved = None


def _thumbnail_frame(renderers_opening: np.ndarray, fps: int) -> int:
    lo, hi = (int(t * fps) for t in THUMBNAIL_WINDOW_S)
    window = renderers_opening[lo:hi] if len(renderers_opening) > lo else renderers_opening
    if window.size == 0:
        return 0
    return (lo if len(renderers_opening) > lo else 0) + int(np.argmax(window))


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def render(plan: RenderPlan, *, on_progress: Callable[[int, int], None] | None = None,
           should_stop: Callable[[], bool] | None = None) -> RenderOutput:
    """Render the plan to plan.out_path (plus .srt and .jpg next to it).

    on_progress(frames_done, frames_total) is called every PROGRESS_EVERY frames and at the end;
    should_stop() is checked every frame: if it returns True the render stops, deletes its partial files and
    raises RenderCancelled. Frame sizes are rounded down to even numbers (4:2:0 video needs them).
    """
    if not plan.scenes:
        raise RenderError("A video needs at least one scene.")
    if not 1 <= plan.fps <= 60:
        raise RenderError(f"fps must be between 1 and 60, got {plan.fps}.")
    width, height = plan.width - plan.width % 2, plan.height - plan.height % 2
    if width < 32 or height < 32:
        raise RenderError(f"The frame {plan.width}x{plan.height} is too small; use at least 32x32.")
    seconds = [_scene_seconds(scene, i) for i, scene in enumerate(plan.scenes)]
    counts = [max(1, round(s * plan.fps)) for s in seconds]
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    total = int(starts[-1])
    out_path = plan.out_path
    out_path.parent.mkdir(parents=True, exist_ok=True)
    srt_path = out_path.with_suffix(".srt")
    thumb_path = out_path.with_suffix(".jpg")
    captions: list[Caption] = []
    for scene, start, count in zip(plan.scenes, starts, counts, strict=False):
        if scene.speech is not None and scene.speech.words:
            captions += captions_for(scene.speech.words, offset=start / plan.fps, until=(start + count) / plan.fps)
    temp = Path(tempfile.mkdtemp(prefix=".render-", dir=out_path.parent))
    sink: FrameSink | None = None
    workshop = _Workshop()
    written: list[Path] = []
    try:
        wavs = []
        for i, (scene, count) in enumerate(zip(plan.scenes, counts, strict=True)):
            samples, rate = _scene_audio(scene, count, plan.fps)
            wav = temp / f"scene{i:03d}.wav"
            write_wav(wav, samples, rate)
            wavs.append(wav)
        if captions:
            write_srt(captions, srt_path)
            written.append(srt_path)
        burner = _Burner(captions if plan.captions else [], plan.fps, width, height)
        sink = FrameSink(video_command(out_path, width, height, plan.fps, wavs, plan.output_format, plan.encode))
        written.append(out_path)
        picture = YuvFrame(width, height)
        thumbnail: np.ndarray | None = None
        thumb_at = -1
        done = 0
        for index, (scene, count) in enumerate(zip(plan.scenes, counts, strict=True)):
            renderer, stage = workshop.scene(scene, index, count, plan, width, height)
            try:
                if thumbnail is None and scene.speech is not None:
                    thumb_at = done + _thumbnail_frame(renderer.opening, plan.fps)
                for k in range(count):
                    if should_stop is not None and should_stop():
                        raise RenderCancelled()
                    frame, dirty = renderer.frame(k)
                    if done == thumb_at or (thumbnail is None and done == 0):
                        thumbnail = frame.copy()
                    changed = burner.burn(frame, done)
                    if k == 0 or dirty is None:
                        picture.update(frame)
                    else:
                        for rect in (dirty, *changed):
                            picture.update(frame, rect)
                    burner.restore(frame)
                    sink.write(picture.buffer.copy())
                    done += 1
                    if on_progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                        on_progress(done, total)
            finally:
                stage.close()
        sink.close()
        sink = None
        assert thumbnail is not None
        if not cv2.imwrite(str(thumb_path), thumbnail, [cv2.IMWRITE_JPEG_QUALITY, 88]):
            raise RenderError(f"Could not write the thumbnail {thumb_path}.")
    except BaseException:
        if sink is not None:
            sink.abort()
        _remove(*written, thumb_path)
        raise
    finally:
        workshop.close()
        shutil.rmtree(temp, ignore_errors=True)
    return RenderOutput(video_path=out_path, captions_path=srt_path if captions else None, thumbnail_path=thumb_path,
                        duration_seconds=total / plan.fps, frames=total)
