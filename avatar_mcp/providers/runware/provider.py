"""Runware: HeyGen Avatar V (`heygen:avatar@5`) as an async `videoInference` task (seed 004).

Every request is a JSON array of tasks posted to one endpoint; answers are `{data: [...], errors: [...]}`.
The taskUUID is ours to choose and doubles as the idempotency key: it is derived from the job id (shaped as the
UUID v4 the API demands), so a create can be re-sent after a lost answer or a crash without paying twice: Runware
answers a known taskUUID with `conflictTaskUUID`, which means "already accepted". Results come from `getResponse`
polls, one item per generation (`numberResults` variations become `JobResult.outputs`), with the cost when
`includeCost` is set (always, here).

Avatar V's own knobs come per request in `RenderOptions` (spec.options): quality -> outputQuality, variants ->
numberResults, ttl_seconds -> ttl, safety -> safety.mode (checkContent on unless "none"), upload_url ->
uploadEndpoint (https only), remove_background and fit -> settings, volume -> speech.volume. `check_options` refuses
the others by name before anything is sent, and every field is checked against the seed's ranges by the wire models
(wire.py) before a request is made. Answers are read by status.py.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from avatar_mcp import operations
from avatar_mcp.config import Settings
from avatar_mcp.errors import (
    Conflict,
    InvalidInput,
    InvalidRequest,
    MediaRejected,
    NotFound,
    ProviderConnectionError,
    ProviderStatusError,
    ServerError,
)
from avatar_mcp.media import MediaPolicy, classify, require_https
from avatar_mcp.models import JobError, JobRecord, utcnow
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers._http import VendorHTTP
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext, check_options
from avatar_mcp.providers.runware import status, wire
from avatar_mcp.providers.runware.spec import IDS, OPTIONS, SPEC, TIMING
from avatar_mcp.providers.runware.wire import FORMATS, UUID_TEXT, VideoInference, task_uuid_for
from avatar_mcp.providers.timing import Timing
from avatar_mcp.providers.wire import decode
from avatar_mcp.specs import ORIENTATION_SIZES, Background, PhotoVideoSpec, VideoSpec

__all__ = ["RunwareProvider", "task_uuid_for"]

RESEND_WINDOW = timedelta(hours=1)
"""A create whose answer was lost is re-sent (same taskUUID) only this soon after; later, Runware may have
forgotten the taskUUID and a re-send could start a second paid task."""
BACKGROUND_MAX_BYTES = 5 * 1024 * 1024
"""A local background image travels inline as a data URI (the seed allows one): keep the request small."""
PHOTO_FIT_DEFAULT = PhotoVideoSpec.model_fields["fit"].default
"""create_photo_video's own `fit` when not given: options.fit may replace it without a conflict."""
VOICE_ADVICE = ("a HeyGen voice id (Avatar V speaks with HeyGen's voices: list_voices with provider 'heygen' shows "
                "them, when HeyGen is configured)")
"""Runware has no voice list of its own (seed 004: speech.voice takes HeyGen's voice ids, default 'auto')."""
NOTES = ("HeyGen Avatar V through Runware: one scene per video, avatars by HeyGen avatar id (also for "
         "create_photo_video), speech from a script or an https/UUID audio file; a local background image is sent "
         "inline. Options: quality, variants (1-4 results), ttl_seconds, safety, upload_url, fit, "
         "remove_background, volume. Cost is reported by Runware with each result.")


class RunwareProvider(BaseProvider):
    name = SPEC.name
    title = SPEC.title
    capabilities = Capabilities(operations=SPEC.operations, idempotent_create=True, webhooks=True, notes=NOTES,
                                default_voice_id=wire.AUTO_VOICE, voice_advice=VOICE_ADVICE)

    def __init__(self, http: SharedHTTP, media: MediaPolicy, *, api_key: str, base_url: str,
                 timing: Timing = TIMING) -> None:
        self.media = media
        auth = {"Authorization": f"Bearer {api_key}"}
        self._http = VendorHTTP(http, provider=self.name, base_url=base_url, error_parser=wire.parse_error,
                                auth_headers=auth, secrets=[api_key])
        self._polls = VendorHTTP(http, provider=self.name, base_url=base_url, error_parser=wire.parse_poll_error,
                                 auth_headers=auth, secrets=[api_key])
        """getResponse polls: a task's errors envelope is its outcome, read from the body (wire.parse_poll_error)."""
        self.timing = timing

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy, **kwargs: Any) -> RunwareProvider:
        """The provider for these settings; `timing` (keyword) exists for tests and benchmarks."""
        assert settings.runware_api_key is not None
        return cls(http, media, api_key=settings.runware_api_key.get_secret_value(),
                   base_url=settings.runware_base_url, **kwargs)

    # ------------------------------------------------------------------------------------------ create
    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        task = await self.video_task(spec, ctx)
        return await self._submit(task, ctx)

    async def create_photo_video(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> Submission:
        task = await self.photo_video_task(spec, ctx)
        return await self._submit(task, ctx)

    async def video_task(self, spec: VideoSpec, ctx: SubmitContext) -> VideoInference:
        """The videoInference task for a one-scene video (raises InvalidInput / MediaRejected, sends nothing)."""
        options = check_options(self.name, spec.options, OPTIONS)
        if len(spec.scenes) != 1:
            raise InvalidInput(f"Runware's HeyGen Avatar V makes one scene per video; this has {len(spec.scenes)}. "
                               f"Split it into several videos, or use provider 'heygen' or 'creatify' for several "
                               f"scenes.", field="scenes")
        scene = spec.scenes[0]
        wire.reject(wire.unsupported_scene(scene))
        if not scene.avatar_id:
            raise InvalidInput("scenes.0.avatar_id is missing: give a HeyGen avatar id.", field="scenes.0.avatar_id")
        voice = IDS.check_optional(scene.voice_id, "scenes.0.voice_id", where="list_voices (provider 'heygen')")
        return await self._task(ctx, options, avatar=wire.avatar_id(scene.avatar_id, "scenes.0.avatar_id"),
                                script=scene.script, audio=scene.audio, voice=voice, language=scene.locale,
                                speed=scene.speed, pitch=scene.pitch, background=scene.background, size=spec.size(),
                                caption=spec.caption, fit=options.get("fit"), output_format=spec.output_format)

    async def photo_video_task(self, spec: PhotoVideoSpec, ctx: SubmitContext) -> VideoInference:
        """The videoInference task for create_photo_video: `image` names a HeyGen avatar (Avatar V needs one)."""
        options = check_options(self.name, spec.options, OPTIONS)
        if spec.motion_prompt:
            wire.reject(["motion_prompt (a HeyGen Avatar IV option: use provider 'heygen')"])
        fit = options.get("fit", spec.fit)
        if spec.fit not in (PHOTO_FIT_DEFAULT, fit):
            raise InvalidInput(f"fit is {spec.fit!r} but options.fit is {fit!r}: give one of them.",
                               field="options.fit")
        voice = IDS.check_optional(spec.voice_id, "voice_id", where="list_voices (provider 'heygen')")
        return await self._task(ctx, options, avatar=wire.avatar_id(spec.image, "image"), script=spec.script,
                                audio=spec.audio, voice=voice, language=None, speed=spec.speed,
                                pitch=spec.pitch, background=spec.background,
                                size=ORIENTATION_SIZES[spec.orientation], caption=spec.caption, fit=fit,
                                output_format=spec.output_format)

    async def _task(self, ctx: SubmitContext, options: dict[str, Any], *, avatar: str, script: str | None,
                    audio: str | None, voice: str | None, language: str | None, speed: float, pitch: float,
                    background: Background | None, size: tuple[int, int], caption: bool, fit: str | None,
                    output_format: str) -> VideoInference:
        inputs: dict[str, Any] = {"avatar": avatar}
        settings: dict[str, Any] = {}
        if audio is not None:
            if "volume" in options:
                raise InvalidInput("options.volume sets the volume of speech made from a script; with an audio file "
                                   "Runware plays the file as it is. Drop volume, or give a script.",
                                   field="options.volume")
            inputs["audio"] = wire.remote_media(audio, "audio", "an audio file")
        if background is not None:
            if background.type == "video":
                wire.reject(["a video background (Avatar V takes a colour or an image)"])
            if background.type == "color":
                if background.value:
                    settings["backgroundColor"] = background.value
            else:
                assert background.url is not None
                inputs["background"] = await self._background(background.url)
        if caption:
            settings["caption"] = True
        if fit is not None:
            settings["fit"] = fit
        if "remove_background" in options:
            settings["removeBackground"] = options["remove_background"]
        speech = None
        if script is not None:
            speech = {"text": script, "voice": voice or wire.AUTO_VOICE, "language": language,
                      "volume": options.get("volume"),
                      "speed": speed, "pitch": pitch}
        fields = {"taskUUID": task_uuid_for(ctx.job_id), "outputFormat": FORMATS[output_format],
                  "webhookURL": ctx.callback_url, **wire.task_options(options), "inputs": inputs, "width": size[0],
                  "height": size[1], "speech": speech, "settings": settings or None}
        try:
            return VideoInference.model_validate(fields)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'task'}: {e['msg']}"
                                 for e in exc.errors(include_url=False, include_input=False))
            raise InvalidInput(f"Runware would refuse this request ({problems}). Fix these and call again; nothing "
                               f"was sent.") from exc

    async def _background(self, source: str) -> str:
        kind = classify(source)
        if kind == "url":
            return require_https(source, what="background URL", vendor="Runware")
        if kind == "asset" or UUID_TEXT.match(source.strip()):
            return wire.runware_uuid(source, "background")
        local = self.media.open_local(source, kinds=("image",), max_bytes=BACKGROUND_MAX_BYTES)
        data = await anyio.to_thread.run_sync(local.read_bytes)
        return f"data:{local.mime};base64,{base64.b64encode(data).decode()}"

    async def _submit(self, task: VideoInference, ctx: SubmitContext) -> Submission:
        ctx.vendor_state.update(task_uuid=task.taskUUID, number_results=task.numberResults)
        await ctx.report(0.0, "Sending the task to Runware.")
        try:
            await self._send(task)
        except ServerError as exc:
            # Runware may have taken it: the job stays `submitting`, and reconcile asks about the same taskUUID.
            raise ProviderConnectionError(f"{exc} The task is checked again with the same taskUUID (never paid "
                                          f"twice).", provider=self.name, request_sent=True) from exc
        return Submission(vendor_id=task.taskUUID, status="queued", vendor_state=dict(ctx.vendor_state),
                          expected_seconds=self.timing.expected(self.timing.video_seconds(0)),
                          poll_after=self.timing.poll_after,
                          message="Runware accepted the task; HeyGen Avatar V is rendering.")

    async def _send(self, task: VideoInference) -> None:
        """Post the create; safe to repeat because the taskUUID is the idempotency key."""
        for attempt in range(2):
            try:
                body = await self._http.json("POST", "", json=[task.wire()], idempotent=True,
                                             timeout=self.timing.create_timeout())
            except ServerError as exc:
                # An unreadable 2xx answer: the task may or may not be in; asking again with the same taskUUID tells.
                if exc.status_code >= 500 or attempt:
                    raise
                continue
            except (InvalidRequest, Conflict):
                # A re-send (after a lost or late answer) may be refused because the taskUUID is taken: reference C
                # names no code for that, so Runware itself is asked whether it has the task before this refusal
                # reaches a user, who would otherwise submit again and pay twice.
                if await self._known(task.taskUUID):
                    return
                raise
            answer = wire.envelope(body)
            if answer is not None and answer.acknowledges(task.taskUUID):
                return
            raise ServerError("Runware answered without acknowledging the task. Check the job again shortly.",
                              provider=self.name, status_code=502)

    async def _known(self, task_uuid: str) -> bool:
        """Whether Runware has this task (running, done or failed); a ServerError when it cannot tell (the create
        then stays undecided and is reconciled, never refused while it may be running)."""
        try:
            body = await self._polls.json("POST", "", json=[{"taskType": "getResponse", "taskUUID": task_uuid}],
                                          idempotent=True)
            status.update(decode(wire.Envelope, body, "the task's status", provider=self.name, vendor="Runware"),
                          task_uuid, 1, None)
        except NotFound:
            return False
        except (ProviderStatusError, ProviderConnectionError) as exc:
            raise ServerError(f"Runware refused the task and could not say whether it already has it ({exc}).",
                              provider=self.name, status_code=502) from exc
        return True

    # ------------------------------------------------------------------------------------------ status
    async def get_job(self, job: JobRecord) -> JobUpdate:
        task_uuid = job.vendor_id or job.vendor_state.get("task_uuid") or task_uuid_for(job.id)
        body = await self._polls.json("POST", "", json=[{"taskType": "getResponse", "taskUUID": task_uuid}],
                                      idempotent=True)
        expected = int(job.vendor_state.get("number_results") or 1)
        answer = decode(wire.Envelope, body, "the task's status", provider=self.name, vendor="Runware")
        return status.update(answer, task_uuid, expected, self.timing.poll_after)

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """An interrupted create: poll its taskUUID; if Runware never got it, send it again with the same one."""
        task_uuid = job.vendor_state.get("task_uuid") or task_uuid_for(job.id)
        state = {"task_uuid": task_uuid}
        try:
            update = await self.get_job(job.model_copy(update={"vendor_id": task_uuid}))
        except NotFound:
            if utcnow() - job.created_at > RESEND_WINDOW:
                return None
            try:
                task = await self._rebuild(job)
                await self._send(task)
            except (InvalidInput, MediaRejected, ProviderStatusError) as exc:
                if exc.retryable:
                    raise  # rate limits and server errors: the service tries again later
                # Refused for good (a file gone, an avatar no longer there): fail rather than re-send forever.
                return JobUpdate(status="failed", error=JobError(code=exc.code, message=str(exc)), message=str(exc))
            state["number_results"] = task.numberResults
            return JobUpdate(status="queued", vendor_id=task_uuid, vendor_state=state,
                             poll_after=self.timing.poll_after,
                             message="Sent again after an interrupted submission (same taskUUID: never paid twice).")
        return update.model_copy(update={"vendor_id": task_uuid, "vendor_state": state})

    async def _rebuild(self, job: JobRecord) -> VideoInference:
        spec = operations.get(job.operation).stored(job)
        ctx = SubmitContext(job_id=job.id)
        if isinstance(spec, PhotoVideoSpec):
            return await self.photo_video_task(spec, ctx)
        assert isinstance(spec, VideoSpec)
        return await self.video_task(spec, ctx)
