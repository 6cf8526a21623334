"""HeyGen v3 videos: POST /v3/videos (avatar | image | studio | cinematic_avatar), reads, list, delete, the statuses
batch endpoint. A base of `HeyGenV3Fake` (video agents are in _heygen_v3_agents.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from tests.fakes._heygen_common import AUDIO_SECONDS, ApiError, bad, new_id, speech_seconds
from tests.fakes._heygen_v3_base import V3Base
from tests.fakes._heygen_v3_schema import (
    AVATAR_BACKGROUND,
    AVATAR_SCENE,
    AVATAR_VIDEO,
    CAPTION,
    ENGINE,
    IMAGE_SCENE,
    IMAGE_VIDEO,
    PLAYBACK,
    SCENE_AVATAR_INPUT,
    SCENE_IMAGE_INPUT,
    STUDIO_VIDEO,
    VIDEO_SCENE,
    VOICE_SETTINGS,
    scene_background,
)
from tests.fakes._heygen_validate import (
    one_of,
    only,
    opt_bool,
    opt_color,
    opt_enum,
    opt_num,
    opt_obj,
    opt_str,
    opt_url,
    req_enum,
    req_list,
    req_obj,
    req_str,
)

SCRIPT_MAX = 5000
ASPECTS = ["16:9", "9:16", "4:5", "5:4", "1:1", "auto"]
ENGINES = ["avatar_iv", "avatar_v", "avatar_iii"]
RATE_IV, RATE_PHOTO, RATE_TWIN = 6.0, 1.0, 2.0
DEFAULT_FAIL_CODE = "render_failed"
BATCH_STATUS = {"pending": "queued", "waiting": "queued"}
"""The statuses batch spells a video that has not started `queued` (its enum: queued|processing|completed|failed)."""


@dataclass
class Plan:
    """A validated create request: estimated seconds, credits a minute, spoken text."""

    seconds: float = 0.0
    rate: float = RATE_IV
    texts: list[str] = field(default_factory=list)


class V3Videos(V3Base):
    """Video routes; expects `looks`, `public_looks` and `voices` from the subclass."""

    looks: dict[str, dict[str, Any]]
    public_looks: dict[str, dict[str, Any]]
    voices: dict[str, dict[str, Any]]

    def __init__(self, *args: Any, max_concurrent_jobs: int | None = 10, agent_think_polls: int = 1,
                 statuses_page_size: int = 100, **options: Any) -> None:
        self.max_concurrent_jobs = max_concurrent_jobs
        self.statuses_page_size = statuses_page_size
        self.agent_think_polls = agent_think_polls
        self.videos: dict[str, dict[str, Any]] = {}
        self.video_agents: dict[str, dict[str, Any]] = {}
        super().__init__(*args, **options)

    def video_routes(self) -> list[BaseRoute]:
        a = self.api
        return [a("/v3/videos", self.create_video, ["POST"], "v3"),
                a("/v3/videos", self.list_videos, ["GET"], "v3"),
                a("/v3/videos/statuses", self.video_statuses, ["GET"], "v3"),
                a("/v3/videos/{video_id}", self.get_video, ["GET"], "v3"),
                a("/v3/videos/{video_id}", self.delete_video, ["DELETE"], "v3")]

    # ------------------------------------------------------------ lookups
    def find_look(self, look_id: str, param: str, *, ready: bool = True) -> dict[str, Any]:
        look = self.public_looks.get(look_id) or self.looks.get(look_id)
        if look is None:
            raise self.not_found("avatar", look_id, param)
        if ready and look.get("status", "completed") != "completed":
            raise bad(param, f"Avatar look {look_id} is not ready (status {look['status']}); wait for completed.")
        return look

    def find_voice(self, voice_id: str, param: str) -> dict[str, Any]:
        voice = self.voices.get(voice_id)
        if voice is None:
            raise self.not_found("voice", voice_id, param)
        return voice

    # ------------------------------------------------------------ validation
    async def _speech(self, body: dict[str, Any], path: str, plan: Plan, look: dict[str, Any] | None) -> None:
        p = f"{path}." if path else ""
        script = opt_str(body, "script", path, max_len=SCRIPT_MAX)
        audio = one_of(body, ("audio_url", "audio_asset_id"), path, required=False)
        if script and audio:
            raise bad(f"{p}script", f"{p}script is mutually exclusive with {p}{audio}.")
        if not script and not audio:
            raise bad(f"{p}script", f"Either {p}script or {p}audio_url / {p}audio_asset_id is required.")
        settings = opt_obj(body, "voice_settings", path) or {}
        spath = f"{p}voice_settings"
        only(settings, VOICE_SETTINGS, spath)
        speed = opt_num(settings, "speed", spath, lo=0.5, hi=1.5, default=1.0) or 1.0
        opt_num(settings, "pitch", spath, lo=-50, hi=50)
        opt_num(settings, "volume", spath, lo=0, hi=1)
        opt_str(settings, "locale", spath)
        engine = opt_obj(settings, "engine_settings", spath)
        if engine is not None:
            req_enum(engine, "engine_type", ["elevenlabs", "fish", "starfish"], f"{spath}.engine_settings")
        if script:
            voice_id = opt_str(body, "voice_id", path) or (look or {}).get("default_voice_id")
            if not voice_id:
                raise bad(f"{p}voice_id", f"{p}voice_id is required with script (this avatar has no default voice).")
            self.find_voice(voice_id, f"{p}voice_id")
            plan.seconds += speech_seconds(script, speed)
            plan.texts.append(script)
        elif audio == "audio_url":
            opt_url(body, "audio_url", path)
            plan.seconds += AUDIO_SECONDS
        else:
            await self.resolve({"type": "asset_id", "asset_id": body["audio_asset_id"]}, f"{p}audio_asset_id",
                               ("audio",))
            plan.seconds += AUDIO_SECONDS

    async def _avatar_or_image(self, body: dict[str, Any], path: str, plan: Plan, *, kind: str) -> None:
        """An `avatar` / `image` video (path "") or a studio scene's avatar / image input (path scenes[i].input)."""
        p = f"{path}." if path else ""
        if path:
            only(body, SCENE_AVATAR_INPUT if kind == "avatar" else SCENE_IMAGE_INPUT, path)
        else:
            only(body, AVATAR_VIDEO if kind == "avatar" else IMAGE_VIDEO)
        look = None
        photo = kind == "image"
        engine_type = "avatar_iv"
        if kind == "avatar":
            look = self.find_look(req_str(body, "avatar_id", path), f"{p}avatar_id")
            photo = look["avatar_type"] == "photo_avatar"
            engine = opt_obj(body, "engine", path)
            if engine is not None:
                only(engine, ENGINE, f"{p}engine")
                engine_type = req_enum(engine, "type", ENGINES, f"{p}engine")
                if engine_type not in look["supported_api_engines"]:
                    raise bad(f"{p}engine.type", f"Avatar {look['id']} does not support engine {engine_type}.")
                ref = opt_str(engine, "reference_look_id", f"{p}engine")
                if ref and engine_type == "avatar_v":
                    ref_look = self.find_look(ref, f"{p}engine.reference_look_id")
                    if ref_look["avatar_type"] != "digital_twin" or ref_look.get("group_id") != look.get("group_id"):
                        raise bad(f"{p}engine.reference_look_id", "reference_look_id must be a digital_twin look "
                                                                  "in the same avatar group.")
        else:
            await self.resolve(body.get("image"), f"{p}image", ("image",))
        if opt_enum(body, "expressiveness", ["high", "medium", "low"], path) and (
                not photo or engine_type != "avatar_iv"):
            raise bad(f"{p}expressiveness", "expressiveness is supported for photo avatars on Avatar IV only.")
        opt_str(body, "motion_prompt", path, max_len=1000)
        if path and body.get("background") is not None:
            scene_background(body["background"], path)
        if engine_type == "avatar_iii":
            plan.rate = RATE_TWIN if look and look["avatar_type"] == "digital_twin" else RATE_PHOTO
        await self._speech(body, path, plan, look)

    async def _output(self, body: dict[str, Any], *, aspects: list[str] = ASPECTS,
                      resolutions: tuple[str, ...] = ("4k", "1080p", "720p"), studio: bool = False) -> None:
        """The output fields; a studio video has no fit, output_format, background or remove_background."""
        opt_enum(body, "aspect_ratio", aspects)
        opt_enum(body, "resolution", resolutions)
        caption = opt_obj(body, "caption")
        if caption is not None:
            only(caption, CAPTION, "caption")
            opt_enum(caption, "file_format", ["srt"], "caption")
            opt_enum(caption, "style", ["default"], "caption")
        opt_str(body, "title")
        opt_url(body, "callback_url")
        opt_str(body, "callback_id")
        if studio:
            return
        opt_enum(body, "fit", ["contain", "cover"])
        fmt = opt_enum(body, "output_format", ["mp4", "webm"], default="mp4")
        background = opt_obj(body, "background")
        if background is not None:
            only(background, AVATAR_BACKGROUND, "background")
            if fmt == "webm":
                raise bad("background", "output_format webm has a transparent background; background is refused.")
            if req_enum(background, "type", ["color", "image"], "background") == "color":
                if not background.get("value"):
                    raise bad("background.value", "background.value (a hex color) is required for type color.")
                opt_color(background, "value", "background")
            elif one_of(background, ("url", "asset_id"), "background") == "url":
                opt_url(background, "url", "background")
            else:
                await self.resolve({"type": "asset_id", "asset_id": background["asset_id"]}, "background.asset_id",
                                   ("image",))
        opt_bool(body, "remove_background")

    async def _studio(self, body: dict[str, Any], plan: Plan) -> None:
        """Scenes of reference 4: avatar_video {type, input}, image {source, duration | script | audio}, video."""
        for i, scene in enumerate(req_list(body, "scenes", lo=1, hi=50)):
            path = f"scenes[{i}]"
            if not isinstance(scene, dict):
                raise bad(path, f"{path} must be an object.")
            kind = req_enum(scene, "type", ["avatar_video", "image", "video"], path)
            if kind == "avatar_video":
                only(scene, AVATAR_SCENE, path)
                scene_input = req_obj(scene, "input", path)
                input_kind = req_enum(scene_input, "type", ["avatar", "image"], f"{path}.input")
                await self._avatar_or_image(scene_input, f"{path}.input", plan, kind=input_kind)
            elif kind == "image":
                only(scene, IMAGE_SCENE, path)
                await self.resolve(scene.get("source"), f"{path}.source", ("image",))
                given = [k for k in ("duration", "script", "audio_url", "audio_asset_id") if scene.get(k) is not None]
                if len(given) > 1:
                    raise bad(path, f"{path} takes one of duration, script (+voice_id) or audio_url / "
                                    f"audio_asset_id, not {' and '.join(given)}.")
                if not given or given[0] == "duration":
                    plan.seconds += opt_num(scene, "duration", path, lo=1, hi=600) or 5.0
                else:
                    await self._speech(scene, path, plan, None)
            else:
                only(scene, VIDEO_SCENE, path)
                await self.resolve(scene.get("source"), f"{path}.source", ("video",))
                playback = opt_obj(scene, "playback", path)
                if playback is not None:
                    only(playback, PLAYBACK, f"{path}.playback")
                    opt_num(playback, "volume", f"{path}.playback", lo=0, hi=1)
                    opt_bool(playback, "mute", f"{path}.playback")
                plan.seconds += AUDIO_SECONDS

    async def _cinematic(self, body: dict[str, Any], plan: Plan) -> None:
        req_str(body, "prompt", max_len=10000)
        for i, look_id in enumerate(req_list(body, "avatar_id", lo=1, hi=3)):
            if not isinstance(look_id, str):
                raise bad(f"avatar_id[{i}]", "avatar_id items must be look ids (strings).")
            self.find_look(look_id, f"avatar_id[{i}]")
        for i, ref in enumerate(body.get("references") or []):
            await self.resolve(ref, f"references[{i}]", ("image", "video"))
        duration = opt_num(body, "duration", lo=4, hi=15)
        opt_bool(body, "auto_duration")
        opt_bool(body, "enhance_prompt")
        plan.seconds = duration or 8.0

    # ------------------------------------------------------------ create / read
    def _start(self, plan: Plan, body: dict[str, Any], video_type: str, **extra: Any) -> dict[str, Any]:
        if self.max_concurrent_jobs is not None and sum(
                not self.is_terminal(v) for v in self.videos.values()) >= self.max_concurrent_jobs:
            raise ApiError(429, "rate_limit_exceeded", f"Too many concurrent jobs (limit {self.max_concurrent_jobs}).",
                           headers={"Retry-After": "10"})
        cost = self.per_minute(plan.rate, plan.seconds)
        self.charge(cost)
        caption = body.get("caption") if isinstance(body.get("caption"), dict) else None
        video = self.new_job("video", id=new_id(), type=video_type, title=body.get("title"),
                             created_at=int(time.time()), completed_at=None, duration=None,
                             folder_id=body.get("folder_id"), failure_code=None, failure_message=None,
                             callback_url=body.get("callback_url"), callback_id=body.get("callback_id"),
                             output_format=body.get("output_format") or "mp4", _seconds=round(plan.seconds, 2),
                             _cost=cost, _text=" ".join(plan.texts), _caption=caption, _request=body, **extra)
        self.videos[video["id"]] = video
        return video

    async def create_video(self, request: Request) -> Response:
        body = await self.read_json(request)
        kind = req_enum(body, "type", ["avatar", "image", "studio", "cinematic_avatar"])
        plan = Plan()
        if kind in ("avatar", "image"):
            await self._avatar_or_image(body, "", plan, kind=kind)
            await self._output(body)
        elif kind == "studio":
            only(body, STUDIO_VIDEO)
            await self._studio(body, plan)
            await self._output(body, studio=True)
        else:
            await self._cinematic(body, plan)
            await self._output(body, aspects=["16:9", "9:16", "1:1"], resolutions=("720p", "1080p"))
        with self.state_lock:
            video = self._start(plan, body, kind)
            return self.data({"video_id": video["id"], "status": video["status"],
                              "output_format": video["output_format"]})

    def video_view(self, video: dict[str, Any]) -> dict[str, Any]:
        vid, done = video["id"], video["status"] == "completed"
        view = {k: video[k] for k in ("id", "status", "title", "created_at", "completed_at", "duration", "folder_id")}
        caption = video["_caption"]
        view.update({
            "video_url": self.signed(f"video/{vid}.mp4", "s3") if done else None,
            "thumbnail_url": self.signed(f"thumbnail/{vid}.jpg", "s3") if done else None,
            "gif_url": self.signed(f"gif/{vid}.gif", "s3") if done else None,
            "subtitle_url": self.signed(f"caption/{vid}.srt", "s3") if done and caption is not None else None,
            "captioned_video_url": (self.signed(f"video/{vid}_caption.mp4", "s3")
                                    if done and caption and caption.get("style") else None),
            "video_page_url": f"https://app.heygen.com/videos/{vid}"})
        if video["status"] == "failed":
            view.update({"failure_code": video["failure_code"], "failure_message": video["failure_message"]})
        return view

    def _video(self, video_id: str) -> dict[str, Any]:
        video = self.videos.get(video_id)
        if video is None:
            raise self.not_found("video", video_id, "video_id")
        return video

    async def get_video(self, request: Request) -> Response:
        with self.state_lock:
            video = self._video(request.path_params["video_id"])
            self.advance(video)
            return self.data(self.video_view(video))

    async def list_videos(self, request: Request) -> Response:
        folder, title = request.query_params.get("folder_id"), request.query_params.get("title")
        with self.state_lock:
            items = [self.video_view(v) for v in reversed(self.videos.values())
                     if (folder is None or v["folder_id"] == folder) and (title is None or title in (v["title"] or ""))]
        return self.page(request, items, hi=100, default=10)

    async def delete_video(self, request: Request) -> Response:
        with self.state_lock:
            video = self._video(request.path_params["video_id"])
            del self.videos[video["id"]]
            return self.data({"id": video["id"], "deleted": True})

    async def video_statuses(self, request: Request) -> Response:
        """`{data: [{video_id, status, error?}], has_more, next_token}`: queued | processing | completed | failed,
        or not_found for an unknown id; no URLs (GET /v3/videos/{id} has them). The answer is a cursor-paged list
        like every v3 list (reference 4 gives it `has_more` and `next_token`); its page size is not published, so
        `statuses_page_size` sets it."""
        ids = [i.strip() for i in request.query_params.get("video_ids", "").split(",") if i.strip()]
        if not ids:
            raise bad("video_ids", "video_ids (comma-separated) is required.")
        if len(ids) > 100:
            raise bad("video_ids", f"At most 100 video_ids per request (got {len(ids)}).")
        items = []
        with self.state_lock:
            for video_id in ids:
                video = self.videos.get(video_id)
                if video is None:
                    items.append({"video_id": video_id, "status": "not_found"})
                    continue
                self.advance(video)
                status = BATCH_STATUS.get(video["status"], video["status"])
                item: dict[str, Any] = {"video_id": video_id, "status": status}
                if status == "failed":
                    item["error"] = {"code": video["failure_code"], "message": video["failure_message"]}
                items.append(item)
        return self.page(request, items, hi=100, default=self.statuses_page_size)

    def finish_video(self, video: dict[str, Any]) -> None:
        agent = video.get("_session")
        event = "video_agent" if agent else "avatar_video"
        callback_url = (self.video_agents[agent]["_callback_url"] if agent in self.video_agents
                        else video["callback_url"])
        video["completed_at"] = int(time.time())
        if video["_outcome"]:
            video["failure_code"] = video["_outcome"]["code"] or DEFAULT_FAIL_CODE
            video["failure_message"] = video["_outcome"]["message"]
            self.refund(video["_cost"])
            self.emit(f"{event}.fail", {"video_id": video["id"], "msg": video["failure_message"],
                                        "failure_code": video["failure_code"], "callback_id": video["callback_id"]},
                      callback_url)
            return
        video["duration"] = video["_seconds"]
        caption = video["_caption"]
        self.finished_video_media(video["id"], video["_text"], video["_seconds"],
                                  "srt" if caption is not None else None, burned=bool(caption and caption.get("style")))
        self.emit(f"{event}.success", {"video_id": video["id"], "url": self.signed(f"video/{video['id']}.mp4", "s3"),
                                       "thumbnail_url": self.signed(f"thumbnail/{video['id']}.jpg", "s3"),
                                       "duration": video["duration"], "callback_id": video["callback_id"],
                                       **({"session_id": agent} if agent else {})}, callback_url)
