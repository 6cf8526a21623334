"""The local studio as a Provider: the same protocol as the vendors, rendered offline on the CPU.

Checks that need no heavy work (files inside the media roots, https, known avatars and voices) run before a
job exists; photo checks (decodable, >= 512x512, exactly one face) run in a worker thread but still before
the job is accepted, and https inputs are fetched into the job's folder then. The work itself (renders,
drawings, footage preparation) is rebuilt from the stored job by `work()` and run by whichever server process
holds the job's lease (tasks.py): after a crash, another process renders it again from the same inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
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
from avatar_mcp.providers.local.tasks import LocalWork, Pool, Workspace

if TYPE_CHECKING:
    from avatar_mcp.providers.local.studio import BackgroundPlan, ScenePlan

logger = logging.getLogger(__name__)

NOTES = ("Offline and free: a fast 2D-animated preview (mouth, blinks, head sway on a photo or illustration; "
         "digital twins re-animate the person's own footage). Not a neural lip-sync model; English voices.")
REALTIME_FACTOR = 2.5
"""Rough render speed (seconds of video per second of work), for the first poll."""
TWIN_ADVISED_SECONDS = (60.0, 300.0)
GENDER_TO_VOICE = {"Woman": "female", "Man": "male", "female": "female", "male": "male"}
SPOKEN_AHEAD_KEPT = 4
"""Speech made ahead for this many photo videos at most (a job taken over by another process leaves its own)."""


def _checked_for_render(path: Path, source: str, cache_dir: Path) -> tuple[Any, Any]:
    """check_photo, then the renderer's modules imported on the same thread while the speech is still being made."""
    checked = check_photo(path, source, cache_dir)
    import avatar_mcp.providers.local.studio  # noqa: F401 - imported for its side effect: loaded before the render

    return checked


class LocalProvider(BaseProvider):
    name = "local"
    title = "Local studio (offline)"
    capabilities = Capabilities(operations=LOCAL.operations, idempotent_create=True, notes=NOTES)

    def __init__(self, *, data_dir: Path, media_dir: Path, media: MediaPolicy, http: SharedHTTP,
                 root: Path | None = None) -> None:
        self.root = root or data_dir / "local"
        self.cache_dir = self.root / "cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.inputs = Inputs(media, http, media_dir)
        self.library = AvatarLibrary(self.root)
        # A photo video's speech is made while its photo is checked: the voice model and the face model load side
        # by side instead of one after the other (most of a short clip's fixed cost). The render picks it up here.
        self.speech_ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech-ahead")
        self._spoken: dict[str, Future[Any]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy) -> LocalProvider:
        return cls(data_dir=settings.studio_dir.parent, media_dir=settings.media_dir, media=media, http=http,
                   root=settings.studio_dir)

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
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=3.0, poll_after=0.5,
                          message="Drawing four illustrated candidates.")

    def _draw(self, spec: PhotoGenerationSpec, job_id: str, ws: Workspace) -> JobResult:
        import cv2
        import numpy as np

        from avatar_mcp.models import Candidate
        from avatar_mcp.providers.local.portraits import draw_portrait

        candidates, cues = [], []
        for index in range(4):
            ws.check()
            drawn = draw_portrait(spec.model_dump(), index)
            path = ws.folder / f"candidate_{index}.png"
            cv2.imwrite(str(path), drawn.image)
            np.save(path.with_suffix(".npy"), drawn.points)  # the landmarks go with the image when it becomes an avatar
            candidates.append(Candidate(index=index, image_path=str(path), key=f"local:{job_id}:{index}"))
            cues = drawn.cues
            ws.report((index + 1) / 4, f"Drew candidate {index + 1} of 4.")
        note = ("These are illustrations drawn offline, not photos" +
                (f" (understood: {', '.join(cues)})." if cues else "."))
        return JobResult(candidates=candidates, warnings=[note])

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
        image_path = Path(candidate.image_path) if candidate and candidate.image_path else None
        points = image_path.with_suffix(".npy") if image_path else Path()
        if not points.is_file():  # drawn before the landmarks were kept beside the candidates
            points = self.root / "generations" / generation.id / f"candidate_{index}.npy"
        image = cv2.imread(str(image_path)) if image_path else None
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
        return Submission(vendor_id=ctx.job_id, status="queued", expected_seconds=max(5.0, info.duration / 3),
                          message="Tracking the face in the footage.", poll_after=0.5,
                          result=JobResult(avatar_id=avatar.avatar_id, warnings=warnings))

    async def _twin_work(self, job: JobRecord, video: str) -> LocalWork:
        from avatar_mcp.providers.local.studio import prepare_footage

        made = job.result or JobResult()
        if made.avatar_id is None:
            raise InvalidInput("This avatar's record was lost in a crash; create it again (nothing was spent).")
        avatar = self.library.get(made.avatar_id)
        path = await self.inputs.file(video, ("video",), job.id, "footage")

        def run(ws: Workspace) -> JobResult:
            try:
                footage = prepare_footage(path, on_progress=lambda f: ws.report(f, "Tracking the face."))
                ws.check()
            except Exception as exc:
                self.library.fail(avatar, str(exc))
                raise
            self.library.finish_twin(avatar, footage, None)
            return self._ready(SubmitContext(job_id=job.id), avatar, made.warnings).result or JobResult()

        return LocalWork("prep", run, "Tracking the face in the footage.")

    # ------------------------------------------------------------------------------------------ videos
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

    # ------------------------------------------------------------------------------------------ jobs
    def pool_for(self, operation: str) -> Pool:
        return "render" if operation in (CREATE_VIDEO, CREATE_PHOTO_VIDEO) else "prep"

    async def work(self, job: JobRecord) -> LocalWork:
        """The work of a queued local job, rebuilt from its stored request and the inputs in its folder."""
        spec: Any = _SPECS[job.operation].model_validate(dict(job.request.get("arguments") or {}))
        if job.operation == GENERATE_PHOTO:
            return LocalWork("prep", lambda ws: self._draw(spec, job.id, ws), "Drawing four illustrated candidates.")
        if job.operation == CREATE_VIDEO:
            return await self._video_work(spec, job.id)
        if job.operation == CREATE_PHOTO_VIDEO:
            return await self._photo_video_work(spec, job.id)
        if job.operation in (CREATE_DIGITAL_TWIN, CREATE_COMPANION) and getattr(spec, "video", None):
            return await self._twin_work(job, spec.video)
        raise InvalidInput(f"A local {job.operation} job has no work left to do; create it again.")

    async def get_job(self, job: JobRecord) -> JobUpdate:
        """The stored state: local work reports its progress to the job store itself."""
        return JobUpdate(status=job.status, progress=job.progress, message=job.message)

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """A job whose submission was interrupted (the process died while checking or fetching its inputs):
        submit it again from the stored request. Inputs already fetched are not fetched again."""
        ctx = SubmitContext(job_id=job.id)
        spec: Any = _SPECS[job.operation].model_validate(dict(job.request.get("arguments") or {}))
        logger.info("submitting local job %s (%s) again after an interrupted submission", job.id, job.operation)
        creates: dict[str, Callable[[Any, SubmitContext], Awaitable[Submission]]] = {
            GENERATE_PHOTO: self.generate_photo, CREATE_VIDEO: self.create_video,
            CREATE_PHOTO_VIDEO: self.create_photo_video, CREATE_DIGITAL_TWIN: self.create_digital_twin,
            CREATE_COMPANION: self.create_companion}
        if job.operation in creates:
            submission = await creates[job.operation](spec, ctx)
        elif job.operation == TRAIN_PHOTO_AVATAR:
            submission = await self.train_photo_avatar(str(job.request.get("target") or spec.avatar_id), ctx)
        else:
            return JobUpdate(status="failed", message="The server stopped before this avatar was stored; create it "
                             "again (nothing was spent).")
        return JobUpdate(status=submission.status, vendor_id=job.id, progress=submission.progress,
                         message="Submitted again after an interrupted submission (local work is free).",
                         result=submission.result, poll_after=0.5)

    async def cancel(self, job: JobRecord) -> JobUpdate | None:
        spoken = self._spoken.pop(job.id, None)
        if spoken is not None:
            spoken.cancel()
        return JobUpdate(status="canceled", message="Canceled: the studio stopped working on it.")

    async def aclose(self) -> None:
        self._spoken.clear()
        self.speech_ahead.shutdown(wait=False, cancel_futures=True)


_SPECS: dict[str, type[BaseModel]] = {
    GENERATE_PHOTO: PhotoGenerationSpec, CREATE_PHOTO_AVATAR: PhotoAvatarSpec, TRAIN_PHOTO_AVATAR: TrainSpec,
    CREATE_DIGITAL_TWIN: DigitalTwinSpec, CREATE_COMPANION: CompanionSpec, CREATE_VIDEO: VideoSpec,
    CREATE_PHOTO_VIDEO: PhotoVideoSpec,
}
