"""The local studio's videos: create_video and create_photo_video, their inputs, the work that renders them.

A mixin of LocalProvider (provider.py), kept apart so each file has one purpose: provider.py holds the catalogue,
the avatars and the job steps; this module holds everything a render needs.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import anyio.to_thread

from avatar_mcp.checklist import estimate_speech_seconds, estimate_video_seconds
from avatar_mcp.errors import InvalidInput
from avatar_mcp.media import PHOTO_MAX_BYTES
from avatar_mcp.models import JobResult
from avatar_mcp.providers.base import Submission, SubmitContext, check_options
from avatar_mcp.providers.local.intake import Inputs, background_plan, check_photo
from avatar_mcp.providers.local.library import AvatarLibrary
from avatar_mcp.providers.local.tasks import LocalWork, Workspace
from avatar_mcp.specs import ORIENTATION_SIZES, PhotoVideoSpec, Scene, VideoSpec

if TYPE_CHECKING:
    from avatar_mcp.providers.local.studio import BackgroundPlan, ScenePlan

REALTIME_FACTOR = 2.5
"""Rough render speed (seconds of video per second of work), for the first poll."""
GENDER_TO_VOICE = {"Woman": "female", "Man": "male", "female": "female", "male": "male"}
SPOKEN_AHEAD_KEPT = 4
"""Speech made ahead for this many photo videos at most (a job taken over by another process leaves its own)."""


def _checked_for_render(path: Path, source: str, cache_dir: Path) -> tuple[Any, Any]:
    """check_photo, then the renderer's modules imported on the same thread while the speech is still being made."""
    checked = check_photo(path, source, cache_dir)
    import avatar_mcp.providers.local.studio  # noqa: F401 - imported for its side effect: loaded before the render

    return checked


class LocalVideos:
    """Videos of the local studio (see the module docstring)."""

    name: ClassVar[str]
    inputs: Inputs
    library: AvatarLibrary
    cache_dir: Path
    speech_ahead: ThreadPoolExecutor
    _spoken: dict[str, Future[Any]]

    def _voice_for(self, gender: str | None) -> str:
        from avatar_mcp.providers.local import speech

        return speech.default_voice_id(GENDER_TO_VOICE.get(gender or ""))

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        check_options(self.name, spec.options, ())
        await self._video_inputs(spec, ctx.job_id)
        seconds = estimate_video_seconds([s.model_dump() for s in spec.scenes])
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=2 + seconds / REALTIME_FACTOR,
                          message="Queued in the local studio.", poll_after=0.5)

    async def _video_inputs(self, spec: VideoSpec, job_id: str) -> list[tuple[Scene, Path | None, Path | None]]:
        """Each scene with its audio and background files, after checking its avatar and voice."""
        from avatar_mcp.providers.local import speech

        voice_ids = {v.voice_id for v in speech.voices()}
        inputs: list[tuple[Scene, Path | None, Path | None]] = []
        for i, scene in enumerate(spec.scenes):
            if scene.avatar_id is None:
                raise InvalidInput(f"scenes.{i}.avatar_id is missing.", field=f"scenes.{i}.avatar_id")
            avatar = self.library.get(scene.avatar_id)
            if avatar.status != "completed":
                raise InvalidInput(f"Avatar {avatar.avatar_id} is still {avatar.status}: wait for its job to finish "
                                   f"(check_job) before using it in a video.", field=f"scenes.{i}.avatar_id")
            if scene.script is not None:
                voice = scene.voice_id or avatar.default_voice_id or self._voice_for(avatar.gender)
                if voice not in voice_ids:
                    raise InvalidInput(f"scenes.{i}.voice_id {voice!r} is not a local voice. Local voices: "
                                       f"{', '.join(sorted(voice_ids))}.", field=f"scenes.{i}.voice_id")
            audio = await self.inputs.file(scene.audio, ("audio", "video"), job_id, f"audio_{i}") if scene.audio \
                else None
            background = await self.inputs.background(scene.background, job_id, i)
            inputs.append((scene, audio, background))
        return inputs

    async def _video_work(self, spec: VideoSpec, job_id: str) -> LocalWork:
        inputs = await self._video_inputs(spec, job_id)
        width, height = spec.size()

        def run(ws: Workspace) -> JobResult:
            scenes = []
            for n, (scene, audio, background) in enumerate(inputs):
                ws.check()
                ws.report(0.1 * n / len(inputs), f"Preparing scene {n + 1} of {len(inputs)}.")
                assert scene.avatar_id is not None
                stored = self.library.get(scene.avatar_id)
                voice = scene.voice_id or stored.default_voice_id or self._voice_for(stored.gender)
                scenes.append(self._scene_plan(self.library.load(scene.avatar_id), scene, voice, audio,
                                               background_plan(scene.background, background)))
            return self._render(ws, scenes, width, height, spec.caption, spec.output_format)

        return LocalWork("render", run, "Rendering in the local studio.")

    def _scene_plan(self, avatar: Any, scene: Scene, voice: str, audio: Path | None,
                    background: BackgroundPlan, spoken_ahead: Future[Any] | None = None) -> ScenePlan:
        from avatar_mcp.providers.local import speech
        from avatar_mcp.providers.local.studio import ScenePlan

        if spoken_ahead is not None:
            spoken = spoken_ahead.result()
        elif scene.script is not None:
            spoken = speech.synthesize(scene.script, voice, speed=scene.speed, pitch=scene.pitch,
                                       cache_dir=self.cache_dir)
        elif audio is not None:
            spoken = speech.load_audio(audio)
        else:
            spoken = None
        return ScenePlan(avatar=avatar, speech=spoken, silence_seconds=scene.silence_seconds, background=background,
                         style=scene.avatar_style, scale=scene.scale, offset_x=scene.offset_x,
                         offset_y=scene.offset_y)

    def _render(self, ws: Workspace, scenes: list[ScenePlan], width: int, height: int, captions: bool,
                output_format: str) -> JobResult:
        from avatar_mcp.providers.local.studio import RenderPlan, render

        ws.check()
        plan = RenderPlan(scenes=scenes, width=width, height=height, out_path=ws.folder / f"video.{output_format}",
                          captions=captions, output_format=output_format)  # type: ignore[arg-type]

        def progress(done: int, total: int) -> None:
            ws.report(0.1 + 0.9 * done / max(total, 1), f"Rendering frame {done} of {total}.")

        output = render(plan, on_progress=progress, should_stop=ws.should_stop)
        return JobResult(video_path=str(output.video_path),
                         captions_path=str(output.captions_path) if output.captions_path else None,
                         thumbnail_path=str(output.thumbnail_path), duration_seconds=round(output.duration_seconds, 2))

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        check_options(self.name, spec.options, ())
        voice, _, _ = await self._photo_video_inputs(spec, ctx.job_id)
        if spec.script is not None:
            self._speak_ahead(ctx.job_id, spec.script, spec, voice)
        try:
            path = await self.inputs.file(spec.image, ("image",), ctx.job_id, "photo", PHOTO_MAX_BYTES)
            await anyio.to_thread.run_sync(_checked_for_render, path, spec.image, self.cache_dir)
        except BaseException:
            spoken = self._spoken.pop(ctx.job_id, None)
            if spoken is not None:
                spoken.cancel()
            raise
        seconds = estimate_speech_seconds(spec.script, spec.speed) if spec.script else 10.0
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=2 + seconds / REALTIME_FACTOR,
                          message="Queued in the local studio.", poll_after=0.5)

    async def _photo_video_inputs(self, spec: PhotoVideoSpec, job_id: str) -> tuple[str, Path | None, Path | None]:
        from avatar_mcp.providers.local import speech

        voice = spec.voice_id or speech.default_voice_id()
        if spec.script is not None and voice not in {v.voice_id for v in speech.voices()}:
            raise InvalidInput(f"voice_id {voice!r} is not a local voice; see list_voices(provider='local').",
                               field="voice_id")
        audio = await self.inputs.file(spec.audio, ("audio", "video"), job_id, "audio") if spec.audio else None
        background = await self.inputs.background(spec.background, job_id, 0)
        return voice, audio, background

    def _speak_ahead(self, job_id: str, script: str, spec: PhotoVideoSpec, voice: str) -> None:
        from avatar_mcp.providers.local import speech

        while len(self._spoken) >= SPOKEN_AHEAD_KEPT:
            self._spoken.pop(next(iter(self._spoken))).cancel()
        self._spoken[job_id] = self.speech_ahead.submit(speech.synthesize, script, voice, speed=spec.speed,
                                                        pitch=spec.pitch, cache_dir=self.cache_dir)

    async def _photo_video_work(self, spec: PhotoVideoSpec, job_id: str) -> LocalWork:
        path = await self.inputs.file(spec.image, ("image",), job_id, "photo", PHOTO_MAX_BYTES)
        voice, audio, background = await self._photo_video_inputs(spec, job_id)
        scene = Scene(script=spec.script, audio=spec.audio, voice_id=voice, speed=spec.speed, pitch=spec.pitch,
                      avatar_style="closeUp" if spec.fit == "cover" else "normal")
        width, height = ORIENTATION_SIZES[spec.orientation]

        def run(ws: Workspace) -> JobResult:
            from avatar_mcp.providers.local.studio import Portrait

            spoken = self._spoken.pop(job_id, None)  # made while the create checked the photo, in this process
            image, points = _checked_for_render(path, spec.image, self.cache_dir)
            plan = self._scene_plan(Portrait(image=image, points=points), scene, voice, audio,
                                    background_plan(spec.background, background), spoken_ahead=spoken)
            return self._render(ws, [plan], width, height, spec.caption, spec.output_format)

        return LocalWork("render", run, "Rendering in the local studio.")
