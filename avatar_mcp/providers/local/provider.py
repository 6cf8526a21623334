"""The local studio as a Provider: the same protocol as the vendors, rendered offline on the CPU.

Checks that need no heavy work (files inside the media roots, https, known avatars and voices) run before a
job exists; photo checks (decodable, >= 512x512, exactly one face) run in a worker thread but still before
the job is accepted. Renders run in background threads (tasks.py); the job id is the task id, so after a
restart an unfinished job is simply rendered again: local work is free, and never paid for twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from pydantic import BaseModel

from avatar_mcp.checklist import estimate_speech_seconds, estimate_video_seconds
from avatar_mcp.config import Settings
from avatar_mcp.errors import InvalidInput
from avatar_mcp.media import PHOTO_MAX_BYTES, MediaPolicy
from avatar_mcp.models import (
    ORIENTATION_SIZES,
    AvatarInfo,
    CatalogQuery,
    CompanionSpec,
    Cost,
    DigitalTwinSpec,
    JobRecord,
    JobResult,
    PhotoAvatarSpec,
    PhotoGenerationSpec,
    PhotoVideoSpec,
    Scene,
    TrainSpec,
    VideoSpec,
    Voice,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers import LOCAL
from avatar_mcp.providers.base import (
    CREATE_COMPANION,
    CREATE_DIGITAL_TWIN,
    CREATE_PHOTO_AVATAR,
    CREATE_PHOTO_VIDEO,
    CREATE_VIDEO,
    GENERATE_PHOTO,
    TRAIN_PHOTO_AVATAR,
    BaseProvider,
    Capabilities,
    JobUpdate,
    Submission,
    SubmitContext,
    check_options,
)
from avatar_mcp.providers.local.intake import Inputs, background_plan, check_photo
from avatar_mcp.providers.local.library import AvatarKind, AvatarLibrary, StoredAvatar
from avatar_mcp.providers.local.tasks import Task, TaskRunner

if TYPE_CHECKING:
    from avatar_mcp.providers.local.studio import BackgroundPlan, ScenePlan

logger = logging.getLogger(__name__)

NOTES = ("Offline and free: a fast 2D-animated preview (mouth, blinks, head sway on a photo or illustration; "
         "digital twins re-animate the person's own footage). Not a neural lip-sync model; English voices.")
REALTIME_FACTOR = 2.5
"""Rough render speed (seconds of video per second of work), for the first poll."""
POLL_SECONDS = 0.2
"""How soon to look at a running render again: an in-memory look, and the end of a short clip is seen sooner."""
TWIN_ADVISED_SECONDS = (60.0, 300.0)
GENDER_TO_VOICE = {"Woman": "female", "Man": "male", "female": "female", "male": "male"}


def _checked_for_render(path: Path, source: str, cache_dir: Path) -> tuple[Any, Any]:
    """check_photo, then the renderer's modules imported on the same thread while the speech is still being made."""
    checked = check_photo(path, source, cache_dir)
    import avatar_mcp.providers.local.studio  # noqa: F401 - imported for its side effect: loaded before the render

    return checked


class LocalProvider(BaseProvider):
    name = "local"
    title = "Local studio (offline)"
    capabilities = Capabilities(operations=LOCAL.operations, idempotent_create=True, notes=NOTES)

    def __init__(self, *, data_dir: Path, media_dir: Path, media: MediaPolicy, http: SharedHTTP) -> None:
        self.root = data_dir / "local"
        self.cache_dir = self.root / "cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.inputs = Inputs(media, http, media_dir)
        self.library = AvatarLibrary(self.root)
        self.renders = TaskRunner("render", workers=1)
        self.prep = TaskRunner("prep", workers=1)
        # A photo video's speech is made while the photo is checked: the voice model and the face model load
        # side by side instead of one after the other (most of a short clip's fixed cost).
        self.speech_ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech-ahead")

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy) -> LocalProvider:
        return cls(data_dir=settings.data_dir, media_dir=settings.media_dir, media=media, http=http)

    # ------------------------------------------------------------------------------------------ media
    # ------------------------------------------------------------------------------------------ catalogue
    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        from avatar_mcp.providers.local import speech

        return [Voice(voice_id=v.voice_id, name=v.name, provider=self.name, language=v.language, gender=v.gender,
                      description=v.description) for v in speech.voices()]

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        return [self._info(a) for a in self.library.list()]

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        try:
            return self._info(self.library.get(avatar_id))
        except InvalidInput:
            return None

    def _info(self, avatar: StoredAvatar) -> AvatarInfo:
        preview = self.library.preview_path(avatar)
        voice = avatar.default_voice_id or self._voice_for(avatar.gender)
        return AvatarInfo(avatar_id=avatar.avatar_id, name=avatar.name, provider=self.name,
                          kind="stock" if avatar.kind == "stock" else avatar.kind, status=avatar.status,
                          gender=avatar.gender, preview_image_url=preview.as_uri() if preview else None,
                          default_voice_id=voice)

    def _voice_for(self, gender: str | None) -> str:
        from avatar_mcp.providers.local import speech

        return speech.default_voice_id(GENDER_TO_VOICE.get(gender or ""))

    async def delete_avatar(self, avatar_id: str) -> None:
        self.library.delete(avatar_id)

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        return Cost(amount=0, unit="credits", basis="local rendering is free")

    # ------------------------------------------------------------------------------------------ photos
    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission:
        folder = self.inputs.job_dir(ctx.job_id)
        points_dir = self.root / "generations" / ctx.job_id

        def work(task: Task) -> JobResult:
            import cv2
            import numpy as np

            from avatar_mcp.models import Candidate
            from avatar_mcp.providers.local.portraits import draw_portrait

            points_dir.mkdir(parents=True, exist_ok=True)
            candidates, cues = [], []
            for index in range(4):
                task.check()
                drawn = draw_portrait(spec.model_dump(), index)
                path = folder / f"candidate_{index}.png"
                cv2.imwrite(str(path), drawn.image)
                np.save(points_dir / f"candidate_{index}.npy", drawn.points)
                candidates.append(Candidate(index=index, image_path=str(path), key=f"local:{ctx.job_id}:{index}"))
                cues = drawn.cues
                task.report((index + 1) / 4, f"Drew candidate {index + 1} of 4.")
            note = ("These are illustrations drawn offline, not photos" +
                    (f" (understood: {', '.join(cues)})." if cues else "."))
            return JobResult(candidates=candidates, warnings=[note])

        self.prep.start(ctx.job_id, "generate_photo_avatar", work)
        return Submission(vendor_id=ctx.job_id, status="processing", expected_seconds=3.0, poll_after=0.5,
                          message="Drawing four illustrated candidates.")

    async def create_photo_avatar(self, spec: PhotoAvatarSpec, ctx: SubmitContext,
                                  generation: JobRecord | None) -> Submission:
        kind: AvatarKind = "photo"
        if spec.from_generation is not None:
            if generation is None or generation.provider != self.name:
                raise InvalidInput("from_generation must name a generate_photo_avatar job of the local provider.",
                                   field="from_generation")
            avatar = await anyio.to_thread.run_sync(self._save_candidate, spec, generation)
        else:
            assert spec.image is not None
            path = await self.inputs.file(spec.image, ("image",), ctx.job_id, "photo", PHOTO_MAX_BYTES)
            image, points = await anyio.to_thread.run_sync(check_photo, path, spec.image, self.cache_dir)
            avatar_id = self.library.new_id(kind)
            avatar = await anyio.to_thread.run_sync(lambda: self.library.save_portrait(
                avatar_id, spec.name, kind, image, points, gender=None, default_voice_id=None, source=spec.image))
        return self._ready(ctx, avatar)

    def _save_candidate(self, spec: PhotoAvatarSpec, generation: JobRecord) -> StoredAvatar:
        import cv2
        import numpy as np

        assert spec.from_generation is not None
        index = spec.from_generation.index
        candidate = next((c for c in (generation.result.candidates if generation.result else None) or []
                          if c.index == index), None)
        points = self.root / "generations" / generation.id / f"candidate_{index}.npy"
        image = cv2.imread(candidate.image_path) if candidate and candidate.image_path else None
        if image is None or not points.is_file():
            raise InvalidInput(f"Candidate {index} of job {generation.id} is no longer on disk; generate again.",
                               field="from_generation")
        gender = (generation.request.get("arguments") or {}).get("gender")
        voice_gender = GENDER_TO_VOICE.get(gender or "")
        return self.library.save_portrait(self.library.new_id("illustrated"), spec.name, "illustrated", image,
                                          np.load(points), gender=voice_gender,
                                          default_voice_id=self._voice_for(voice_gender),
                                          source=f"{generation.id}#{index}")

    def _ready(self, ctx: SubmitContext, avatar: StoredAvatar, warnings: Sequence[str] = ()) -> Submission:
        preview = self.library.preview_path(avatar)
        return Submission(vendor_id=ctx.job_id, status="succeeded", progress=1.0, message="The avatar is ready.",
                          result=JobResult(avatar_id=avatar.avatar_id, preview_image_path=str(preview) if preview
                                           else None, default_voice_id=avatar.default_voice_id or
                                           self._voice_for(avatar.gender), warnings=list(warnings)))

    async def train_photo_avatar(self, avatar_id: str, ctx: SubmitContext) -> Submission:
        avatar = self.library.get(avatar_id)
        return self._ready(ctx, avatar, ["Local avatars need no training: it was ready already."])

    # ------------------------------------------------------------------------------------------ twins
    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        warnings = ["The local studio needs no consent video; it was not used."] if spec.consent_video else []
        return await self._twin(spec.video, spec.name, "digital_twin", spec.gender, ctx, warnings)

    async def create_companion(self, spec: CompanionSpec, ctx: SubmitContext) -> Submission:
        name = " ".join(p for p in (spec.first_name, spec.last_name) if p) or "Companion"
        gender = GENDER_TO_VOICE.get(spec.gender or "")
        if spec.version == "v2":
            if not spec.video:
                raise InvalidInput("A v2 companion is made from a video: give video.", field="video")
            return await self._twin(spec.video, name, "companion", gender, ctx, [])
        if not spec.picture:
            raise InvalidInput("A v1 companion is made from a picture: give picture.", field="picture")
        path = await self.inputs.file(spec.picture, ("image",), ctx.job_id, "picture", PHOTO_MAX_BYTES)
        image, points = await anyio.to_thread.run_sync(check_photo, path, spec.picture, self.cache_dir)
        avatar_id = self.library.new_id("companion")
        avatar = await anyio.to_thread.run_sync(lambda: self.library.save_portrait(
            avatar_id, name, "companion", image, points, gender=gender, default_voice_id=self._voice_for(gender),
            source=spec.picture))
        return self._ready(ctx, avatar)

    async def _twin(self, video: str, name: str, kind: AvatarKind, gender: str | None, ctx: SubmitContext,
                    warnings: list[str]) -> Submission:
        from avatar_mcp.providers.local.studio import probe_video

        path = await self.inputs.file(video, ("video",), ctx.job_id, "footage")
        info = await anyio.to_thread.run_sync(probe_video, path)
        low, high = TWIN_ADVISED_SECONDS
        if not low <= info.duration <= high:
            warnings.append(f"The footage is {info.duration:.0f} s long; 1-5 minutes of natural speech is advised "
                            f"(see avatar://guides/reference-video). The local studio uses up to 30 s of it.")
        avatar = self.library.begin_twin(self.library.new_id(kind), name, kind, gender=gender,
                                         default_voice_id=self._voice_for(gender), source=video)

        def work(task: Task) -> JobResult:
            from avatar_mcp.providers.local.studio import prepare_footage

            try:
                footage = prepare_footage(path, on_progress=lambda f: task.report(f, "Tracking the face."))
            except Exception as exc:
                self.library.fail(avatar, str(exc))
                raise
            self.library.finish_twin(avatar, footage, None)
            return self._ready(ctx, avatar, warnings).result or JobResult()

        self.prep.start(ctx.job_id, "create_digital_twin", work)
        return Submission(vendor_id=ctx.job_id, status="processing", expected_seconds=max(5.0, info.duration / 3),
                          message="Tracking the face in the footage.", poll_after=0.5,
                          result=JobResult(avatar_id=avatar.avatar_id, warnings=warnings))

    # ------------------------------------------------------------------------------------------ videos
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        from avatar_mcp.providers.local import speech

        check_options(self.name, spec.options, ())
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
            audio = await self.inputs.file(scene.audio, ("audio", "video"), ctx.job_id, f"audio_{i}") if scene.audio \
                else None
            background = await self.inputs.background(scene.background, ctx.job_id, i)
            inputs.append((scene, audio, background))
        width, height = spec.size()

        def work(task: Task) -> JobResult:
            scenes = []
            for n, (scene, audio, background) in enumerate(inputs):
                task.check()
                task.report(0.1 * n / len(inputs), f"Preparing scene {n + 1} of {len(inputs)}.")
                assert scene.avatar_id is not None
                stored = self.library.get(scene.avatar_id)
                voice = scene.voice_id or stored.default_voice_id or self._voice_for(stored.gender)
                scenes.append(self._scene_plan(self.library.load(scene.avatar_id), scene, voice, audio,
                                               background_plan(scene.background, background)))
            return self._render(task, ctx.job_id, scenes, width, height, spec.caption, spec.output_format)

        self.renders.start(ctx.job_id, "create_video", work)
        seconds = estimate_video_seconds([s.model_dump() for s in spec.scenes])
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=2 + seconds / REALTIME_FACTOR,
                          message="Queued in the local studio.", poll_after=0.5)

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

    def _render(self, task: Task, job_id: str, scenes: list[ScenePlan], width: int, height: int, captions: bool,
                output_format: str) -> JobResult:
        from avatar_mcp.providers.local.studio import RenderPlan, render

        task.check()
        out = self.inputs.job_dir(job_id) / f"video.{output_format}"
        plan = RenderPlan(scenes=scenes, width=width, height=height, out_path=out, captions=captions,
                          output_format=output_format)  # type: ignore[arg-type]

        def progress(done: int, total: int) -> None:
            task.report(0.1 + 0.9 * done / max(total, 1), f"Rendering frame {done} of {total}.")

        output = render(plan, on_progress=progress, should_stop=task.should_stop)
        return JobResult(video_path=str(output.video_path),
                         captions_path=str(output.captions_path) if output.captions_path else None,
                         thumbnail_path=str(output.thumbnail_path), duration_seconds=round(output.duration_seconds, 2))

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        from avatar_mcp.providers.local import speech

        check_options(self.name, spec.options, ())
        voice = spec.voice_id or speech.default_voice_id()
        if spec.script is not None and voice not in {v.voice_id for v in speech.voices()}:
            raise InvalidInput(f"voice_id {voice!r} is not a local voice; see list_voices(provider='local').",
                               field="voice_id")
        ahead: Future[Any] | None = None
        if spec.script is not None:
            ahead = self.speech_ahead.submit(speech.synthesize, spec.script, voice, speed=spec.speed,
                                             pitch=spec.pitch, cache_dir=self.cache_dir)
        try:
            path = await self.inputs.file(spec.image, ("image",), ctx.job_id, "photo", PHOTO_MAX_BYTES)
            image, points = await anyio.to_thread.run_sync(_checked_for_render, path, spec.image, self.cache_dir)
            audio = await self.inputs.file(spec.audio, ("audio", "video"), ctx.job_id, "audio") if spec.audio \
                else None
            background = await self.inputs.background(spec.background, ctx.job_id, 0)
        except BaseException:
            if ahead is not None:
                ahead.cancel()
            raise
        scene = Scene(script=spec.script, audio=spec.audio, voice_id=voice, speed=spec.speed, pitch=spec.pitch,
                      avatar_style="closeUp" if spec.fit == "cover" else "normal")
        width, height = ORIENTATION_SIZES[spec.orientation]

        def work(task: Task) -> JobResult:
            from avatar_mcp.providers.local.studio import Portrait

            plan = self._scene_plan(Portrait(image=image, points=points), scene, voice, audio,
                                    background_plan(spec.background, background), spoken_ahead=ahead)
            return self._render(task, ctx.job_id, [plan], width, height, spec.caption, spec.output_format)

        self.renders.start(ctx.job_id, "create_photo_video", work)
        seconds = estimate_speech_seconds(spec.script, spec.speed) if spec.script else 10.0
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=2 + seconds / REALTIME_FACTOR,
                          message="Queued in the local studio.", poll_after=0.5)

    # ------------------------------------------------------------------------------------------ jobs
    def _task(self, job_id: str) -> Task | None:
        return self.renders.get(job_id) or self.prep.get(job_id)

    async def get_job(self, job: JobRecord) -> JobUpdate:
        task = self._task(job.id)
        if task is None:
            return await self._restart(job)
        if task.state == "succeeded":
            return JobUpdate(status="succeeded", progress=1.0, message=task.message, result=task.result)
        if task.state == "failed":
            return JobUpdate(status="failed", message=task.message, error=task.error)
        if task.state == "canceled":
            return JobUpdate(status="canceled", message="Canceled.")
        return JobUpdate(status="processing" if task.state == "running" else "queued", progress=task.progress,
                         message=task.message, poll_after=POLL_SECONDS)

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        return await self._restart(job)

    async def _restart(self, job: JobRecord) -> JobUpdate:
        """This process has no task for the job (the server restarted): do the free local work again."""
        arguments = dict(job.request.get("arguments") or {})
        ctx = SubmitContext(job_id=job.id)
        models: dict[str, type[BaseModel]] = {
            GENERATE_PHOTO: PhotoGenerationSpec, CREATE_PHOTO_AVATAR: PhotoAvatarSpec, TRAIN_PHOTO_AVATAR: TrainSpec,
            CREATE_DIGITAL_TWIN: DigitalTwinSpec, CREATE_COMPANION: CompanionSpec, CREATE_VIDEO: VideoSpec,
            CREATE_PHOTO_VIDEO: PhotoVideoSpec,
        }
        spec: Any = models[job.operation].model_validate(arguments)
        logger.info("restarting local job %s (%s) after a server restart", job.id, job.operation)
        if job.operation == GENERATE_PHOTO:
            submission = await self.generate_photo(spec, ctx)
        elif job.operation == CREATE_VIDEO:
            submission = await self.create_video(spec, ctx)
        elif job.operation == CREATE_PHOTO_VIDEO:
            submission = await self.create_photo_video(spec, ctx)
        elif job.operation == CREATE_DIGITAL_TWIN:
            submission = await self.create_digital_twin(spec, ctx)
        elif job.operation == CREATE_COMPANION:
            submission = await self.create_companion(spec, ctx)
        elif job.operation == TRAIN_PHOTO_AVATAR:
            submission = await self.train_photo_avatar(str(job.request.get("target") or spec.avatar_id), ctx)
        else:
            return JobUpdate(status="failed", message="The server restarted before this avatar was stored; create it "
                             "again (nothing was spent).")
        return JobUpdate(status=submission.status, vendor_id=job.id, progress=submission.progress,
                         message="Restarted after a server restart: rendering again (local work is free).",
                         result=submission.result, poll_after=0.5)

    async def cancel(self, job: JobRecord) -> JobUpdate | None:
        task = self.renders.cancel(job.id) or self.prep.cancel(job.id)
        if task is None:
            return JobUpdate(status="canceled", message="Canceled.")
        return JobUpdate(status="canceled", message="Canceled: the studio stopped working on it.")

    async def aclose(self) -> None:
        self.renders.shutdown()
        self.prep.shutdown()
        self.speech_ahead.shutdown(wait=False, cancel_futures=True)
