"""The local studio as a Provider: the same protocol as the vendors, rendered offline on the CPU.

Checks that need no heavy work (files inside the media roots, https, known avatars and voices) run before a
job exists; photo checks (decodable, >= 512x512, exactly one face) run in a worker thread but still before
the job is accepted, and https inputs are fetched into the job's folder then. The work itself (renders,
drawings, footage preparation) is rebuilt from the stored job by `work()` and run by whichever server process
holds the job's lease (tasks.py): after a crash, another process renders it again from the same inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from pydantic import BaseModel

from avatar_mcp import operations
from avatar_mcp.config import Settings
from avatar_mcp.errors import InvalidInput
from avatar_mcp.media import PHOTO_MAX_BYTES, MediaPolicy
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobRecord, JobResult, Voice
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.operations import (
    CREATE_PHOTO_AVATAR,
    CREATE_PHOTO_VIDEO,
    CREATE_VIDEO,
    GENERATE_PHOTO,
)
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext
from avatar_mcp.providers.local.intake import Inputs, check_photo
from avatar_mcp.providers.local.library import AvatarKind, AvatarLibrary, StoredAvatar
from avatar_mcp.providers.local.spec import SPEC
from avatar_mcp.providers.local.tasks import LocalWork, Pool, Workspace
from avatar_mcp.providers.local.videos import GENDER_TO_VOICE, LocalVideos
from avatar_mcp.specs import CompanionSpec, DigitalTwinSpec, PhotoAvatarSpec, PhotoGenerationSpec

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

NOTES = ("Offline and free: a fast 2D-animated preview (mouth, blinks, head sway on a photo or illustration; "
         "digital twins re-animate the person's own footage). Not a neural lip-sync model. Voices: one natural US "
         "English voice (Piper) and robotic espeak-ng voices in English, German, French and Spanish (list_voices).")
TWIN_ADVISED_SECONDS = (60.0, 300.0)


class LocalProvider(LocalVideos, BaseProvider):
    name = SPEC.name
    title = SPEC.title
    capabilities = Capabilities(operations=SPEC.operations, idempotent_create=True, notes=NOTES)

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

    # ------------------------------------------------------------------------------------------ jobs
    def pool_for(self, operation: str) -> Pool:
        return "render" if operation in (CREATE_VIDEO, CREATE_PHOTO_VIDEO) else "prep"

    async def work(self, job: JobRecord) -> LocalWork:
        """The work of a queued local job, rebuilt from its stored request and the inputs in its folder."""
        spec: Any = operations.get(job.operation).stored(job)
        if job.operation == GENERATE_PHOTO:
            return LocalWork("prep", lambda ws: self._draw(spec, job.id, ws), "Drawing four illustrated candidates.")
        if job.operation == CREATE_VIDEO:
            return await self._video_work(spec, job.id)
        if job.operation == CREATE_PHOTO_VIDEO:
            return await self._photo_video_work(spec, job.id)
        if getattr(spec, "video", None):  # a digital twin or a companion made from footage
            return await self._twin_work(job, spec.video)
        raise InvalidInput(f"A local {job.operation} job has no work left to do; create it again.")

    async def get_job(self, job: JobRecord) -> JobUpdate:
        """The stored state: local work reports its progress to the job store itself."""
        return JobUpdate(status=job.status, progress=job.progress, message=job.message)

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """A job whose submission was interrupted (the process died while checking or fetching its inputs):
        submit it again from the stored request. Inputs already fetched are not fetched again."""
        op = operations.get(job.operation)
        if op.name == CREATE_PHOTO_AVATAR:  # made synchronously: it was stored, or it never existed
            return JobUpdate(status="failed", message="The server stopped before this avatar was stored; create it "
                             "again (nothing was spent).")
        logger.info("submitting local job %s (%s) again after an interrupted submission", job.id, job.operation)
        submission = await op.call(self, op.stored(job), SubmitContext(job_id=job.id), None)
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
