"""A faithful local emulator of HeyGen's v1/v2 API (api.heygen.com + upload.heygen.com on one server).

Seeds 001 (video generate) and 002 (photo avatars) plus reference/vendor-apis.md section A. Two envelopes:
legacy `{code: 100, data, message}` / `{code: <int>, message}` on /v1/asset, /v1/video_status.get,
/v1/talking_photo.list, /v1/webhook/*, v1 deletes; new `{error: null, data}` / `{error: {code, message}, data: null}`
(or `{error: "<message>", data: null}` on routes matching `string_errors`) elsewhere.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from tests.fakes._harness import sample_jpeg, sample_mp4
from tests.fakes._heygen_catalogue import (
    PUBLIC_GROUPS,
    SEED_TALKING_PHOTO,
    VOICES,
)
from tests.fakes._heygen_common import (
    ApiError,
    Envelope,
    bad,
    image_size,
    is_loopback,
    is_url,
    mp3_silence,
    new_id,
    public,
    sniff,
)
from tests.fakes._heygen_v2_lists import V2Listings
from tests.fakes._heygen_v2_schema import GROUP_ADD, GROUP_CREATE, PHOTO_GENERATE, TRAIN, VIDEO_AVATAR, WEBHOOK_ADD
from tests.fakes._heygen_v2_video import plan_av4, plan_generate
from tests.fakes._heygen_validate import only, opt_str, opt_url, req_enum, req_list, req_str

UPLOAD_TYPES = {"image/jpeg": ("image", "jpg"), "image/png": ("image", "png"), "video/mp4": ("video", "mp4"),
                "video/webm": ("video", "webm"), "audio/mpeg": ("audio", "mp3")}
V2_EVENTS = ["avatar_video.success", "avatar_video.fail", "avatar_video_gif.success", "avatar_video_gif.fail",
             "avatar_video_caption.success", "avatar_video_caption.fail", "photo_avatar_generation.success",
             "photo_avatar_generation.fail", "photo_avatar_train.success", "photo_avatar_train.fail",
             "instant_avatar.success", "instant_avatar.fail", "video_translate.success", "video_translate.fail"]
PHOTO_ENUMS = {
    "age": ["Young Adult", "Early Middle Age", "Late Middle Age", "Senior", "Unspecified"],
    "gender": ["Woman", "Man", "Unspecified"],
    "ethnicity": ["White", "Black", "Asian American", "East Asian", "South East Asian", "South Asian",
                  "Middle Eastern", "Pacific", "Hispanic", "Unspecified"],
    "orientation": ["square", "horizontal", "vertical"],
    "pose": ["half_body", "close_up", "full_body"],
    "style": ["Realistic", "Pixar", "Cinematic", "Vintage", "Noir", "Cyberpunk", "Unspecified"],
}
PHOTO_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_FAIL_CODE = 40001
NOT_READY_CODE = 40119


class HeyGenV2Fake(V2Listings):
    """HeyGen v1/v2 emulator. Options beyond `HeyGenFakeBase`: `string_errors` (regex of paths whose new-envelope
    errors are a plain string), `max_upload_bytes` for /v1/asset. Poll kinds: video, photo_avatar,
    photo_generation, training, video_avatar."""

    STAGES: ClassVar[dict[str, tuple[str, tuple[str, ...], str, str]]] = {
        "video": ("waiting", ("pending", "processing"), "completed", "failed"),
        "photo_avatar": ("pending", ("pending",), "completed", "failed"),
        "photo_generation": ("pending", ("processing",), "success", "failed"),
        "training": ("pending", ("pending", "training"), "ready", "failed"),
        "video_avatar": ("in_progress", ("in_progress",), "completed", "failed"),
    }

    def __init__(self, api_key: str = "test-heygen-key", *, string_errors: str | None = None,
                 max_upload_bytes: int = 100 * 1024 * 1024, signature_header: str = "Signature",
                 **options: Any) -> None:
        self.string_errors = re.compile(string_errors) if string_errors else None
        self.max_upload_bytes = max_upload_bytes
        self.assets: dict[str, dict[str, Any]] = {}
        self.image_keys: dict[str, dict[str, Any]] = {}
        """image_key -> {media, width, height, size, asset_id | generation_id}."""
        self.groups: dict[str, dict[str, Any]] = {}
        self.photo_avatars: dict[str, dict[str, Any]] = {}
        self.generations: dict[str, dict[str, Any]] = {}
        self.trainings: dict[str, dict[str, Any]] = {}
        self.video_avatars: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        super().__init__(api_key, signature_header=signature_header, **options)
        for group in PUBLIC_GROUPS:
            for look_id, _ in group["looks"]:
                self.put_media(f"preview/{look_id}.jpg", sample_jpeg(), "image/jpeg")
                self.put_media(f"preview/{look_id}.mp4", sample_mp4(), "video/mp4")
        for voice in VOICES:
            self.put_media(f"voice/{voice['voice_id']}.mp3", mp3_silence(1), "audio/mpeg")
        self.put_media(f"photo/{SEED_TALKING_PHOTO['id']}.jpg", sample_jpeg(), "image/jpeg")

    def jobs(self) -> list[dict[str, Any]]:
        return [*self.photo_avatars.values(), *self.generations.values(), *self.trainings.values(),
                *self.video_avatars.values(), *self.videos.values()]

    def envelope_error(self, error: ApiError, envelope: Envelope, path: str) -> Response:
        if envelope == "new" and self.string_errors and self.string_errors.search(path):
            return JSONResponse({"error": error.message, "data": None}, status_code=error.status,
                                headers=error.headers)
        return super().envelope_error(error, envelope, path)

    def routes(self) -> list[BaseRoute]:
        a = self.api
        return [
            a("/v1/asset", self.upload_asset, ["POST"], "old"),
            a("/v2/photo_avatar/avatar_group/create", self.create_group, ["POST"], "new"),
            a("/v2/photo_avatar/avatar_group/add", self.add_to_group, ["POST"], "new"),
            a("/v2/photo_avatar/train", self.train, ["POST"], "new"),
            a("/v2/photo_avatar/train/status/{group_id}", self.train_status, ["GET"], "new"),
            a("/v2/photo_avatar/photo/generate", self.generate_photo, ["POST"], "new"),
            a("/v2/photo_avatar/generation/{generation_id}", self.generation_status, ["GET"], "new"),
            a("/v2/photo_avatar/{id}", self.get_photo_avatar, ["GET"], "new"),
            a("/v2/photo_avatar/{id}", self.delete_photo_avatar, ["DELETE"], "new"),
            a("/v2/photo_avatar_group/{id}", self.delete_group, ["DELETE"], "new"),
            a("/v2/video/generate", self.generate_video, ["POST"], "new"),
            a("/v2/video/av4/generate", self.generate_av4, ["POST"], "new"),
            a("/v1/video_status.get", self.video_status, ["GET"], "old"),
            a("/v1/video.delete", self.delete_video, ["DELETE", "POST"], "old"),
            a("/v1/talking_photo.list", self.talking_photo_list, ["GET"], "old"),
            a("/v2/avatars", self.list_avatars, ["GET"], "new"),
            a("/v2/voices", self.list_voices, ["GET"], "new"),
            a("/v2/avatar_group.list", self.list_groups, ["GET"], "new"),
            a("/v2/avatar_group/{id}/avatars", self.group_avatars, ["GET"], "new"),
            a("/v2/user/remaining_quota", self.remaining_quota, ["GET"], "new"),
            a("/v2/video_avatar", self.create_video_avatar, ["POST"], "new"),
            a("/v2/video_avatar/{id}", self.get_video_avatar, ["GET"], "new"),
            a("/v2/video_avatar/{id}", self.delete_video_avatar, ["DELETE"], "new"),
            a("/v1/webhook/endpoint.add", self.add_endpoint, ["POST"], "old"),
            a("/v1/webhook/endpoint.list", self.list_endpoints, ["GET"], "old"),
            a("/v1/webhook/endpoint.delete", self.delete_endpoint, ["DELETE"], "old"),
        ]

    # ------------------------------------------------------------ assets
    async def upload_asset(self, request: Request) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in UPLOAD_TYPES:
            raise bad("Content-Type", f"Unsupported Content-Type {ctype or '(none)'}; use one of "
                                      f"{', '.join(UPLOAD_TYPES)}.")
        data = await request.body()
        if not data:
            raise bad("body", "Empty file.")
        if len(data) > self.max_upload_bytes:
            raise ApiError(413, "payload_too_large", f"File too large ({len(data)} bytes).")
        actual = sniff(data)
        if actual != ctype:
            raise bad("Content-Type", f"Content-Type {ctype} does not match the file content ({actual or 'unknown'}).")
        file_type, ext = UPLOAD_TYPES[ctype]
        asset_id = new_id()
        media = f"asset/{asset_id}/original.{ext}"
        url = self.put_media(media, data, ctype)
        image_key = f"image/{asset_id}/original.{ext}" if file_type == "image" else None
        with self.state_lock:
            record = {"id": asset_id, "name": asset_id, "file_type": file_type, "folder_id": "", "meta": None,
                      "created_ts": int(time.time()), "url": url, "image_key": image_key,
                      "_content_type": ctype, "_size": len(data)}
            self.assets[asset_id] = record
            if image_key:
                w, h = image_size(data) or (0, 0)
                self.image_keys[image_key] = {"media": media, "width": w, "height": h, "size": len(data),
                                              "asset_id": asset_id}
        return self.ok(public(record), "old")

    # ------------------------------------------------------------ photo avatars
    def _image_key(self, key: str, param: str) -> dict[str, Any]:
        info = self.image_keys.get(key)
        if info is None:
            raise ApiError(404, "not_found", f"Image key {key} not found.")
        if info["size"] > PHOTO_MAX_BYTES:
            raise bad(param, f"Photo too large ({info['size']} bytes); the limit is 10 MB.")
        if min(info["width"], info["height"]) < self.min_photo_side:
            raise bad(param, f"Photo resolution {info['width']}x{info['height']} is too low; minimum is "
                             f"{self.min_photo_side}x{self.min_photo_side}.")
        return info

    def _new_look(self, group_id: str, name: str, info: dict[str, Any], *, look_id: str | None = None,
                  generated: bool = False) -> dict[str, Any]:
        look = self.new_job("photo_avatar", id=look_id or new_id(), name=name, created_at=time.time(),
                            group_id=group_id, is_motion=False, motion_preview_url=None,
                            business_type="generated" if generated else "uploaded", upscaled=False,
                            _media=info["media"])
        self.photo_avatars[look["id"]] = look
        return look

    def _group(self, group_id: str) -> dict[str, Any]:
        group = self.groups.get(group_id)
        if group is None:
            raise ApiError(404, "avatar_not_found", f"Avatar group {group_id} not found.")
        return group

    async def create_group(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, GROUP_CREATE)
        name = req_str(body, "name")
        key = req_str(body, "image_key")
        generation_id = opt_str(body, "generation_id")
        with self.state_lock:
            if generation_id is not None:
                if generation_id not in self.generations:
                    raise ApiError(404, "not_found", f"Generation {generation_id} not found.")
                if self.image_keys.get(key, {}).get("generation_id") != generation_id:
                    raise bad("image_key", f"Image key {key} does not belong to generation {generation_id}.")
            info = self._image_key(key, "image_key")
            group_id = new_id()
            self.groups[group_id] = {"id": group_id, "name": name, "created_at": int(time.time()),
                                     "looks": [group_id], "_media": info["media"]}
            look = self._new_look(group_id, name, info, look_id=group_id, generated=generation_id is not None)
            return self.ok(self._look_view(look), "new")

    async def add_to_group(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, GROUP_ADD)
        group_id = req_str(body, "group_id")
        keys = req_list(body, "image_keys", lo=1, hi=4)
        name = req_str(body, "name")
        with self.state_lock:
            group = self._group(group_id)
            infos = []
            for i, key in enumerate(keys):
                if not isinstance(key, str):
                    raise bad(f"image_keys[{i}]", "image_keys must be strings.")
                infos.append(self._image_key(key, f"image_keys[{i}]"))
            looks = [self._new_look(group_id, name, info) for info in infos]
            group["looks"].extend(look["id"] for look in looks)
            return self.ok({"photo_avatar_list": [self._look_view(look) for look in looks]}, "new")

    async def get_photo_avatar(self, request: Request) -> Response:
        with self.state_lock:
            look = self.photo_avatars.get(request.path_params["id"])
            if look is None:
                raise ApiError(404, "avatar_not_found", f"Photo avatar {request.path_params['id']} not found.")
            self.advance(look)
            return self.ok(self._look_view(look), "new")

    async def delete_photo_avatar(self, request: Request) -> Response:
        with self.state_lock:
            look = self.photo_avatars.pop(request.path_params["id"], None)
            if look is None:
                raise ApiError(404, "avatar_not_found", f"Photo avatar {request.path_params['id']} not found.")
            group = self.groups.get(look["group_id"])
            if group and look["id"] in group["looks"]:
                group["looks"].remove(look["id"])
            return self.ok(None, "new")

    async def delete_group(self, request: Request) -> Response:
        with self.state_lock:
            group = self._group(request.path_params["id"])
            for look_id in group["looks"]:
                self.photo_avatars.pop(look_id, None)
            del self.groups[group["id"]]
            self.trainings.pop(group["id"], None)
            return self.ok(None, "new")

    async def train(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, TRAIN)
        group_id = req_str(body, "group_id")
        with self.state_lock:
            group = self._group(group_id)
            if not any(self.photo_avatars[i]["status"] == "completed" for i in group["looks"]):
                raise bad("group_id", f"Avatar group {group_id} has no completed photo yet; wait for it first.")
            running = self.trainings.get(group_id)
            if running and not self.is_terminal(running):
                raise bad("group_id", f"Avatar group {group_id} is already training.")
            self.charge(4)
            job = self.new_job("training", group_id=group_id, error_msg=None, created_at=int(time.time()),
                               updated_at=int(time.time()), flow_id=new_id())
            self.trainings[group_id] = job
            return self.ok({"flow_id": job["flow_id"]}, "new")

    async def train_status(self, request: Request) -> Response:
        group_id = request.path_params["group_id"]
        with self.state_lock:
            self._group(group_id)
            job = self.trainings.get(group_id)
            if job is None:
                raise ApiError(404, "not_found", f"No training found for avatar group {group_id}.")
            self.advance(job)
            job["updated_at"] = int(time.time())
            return self.ok({k: job[k] for k in ("status", "error_msg", "created_at", "updated_at")}, "new")

    async def generate_photo(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, PHOTO_GENERATE)
        name = req_str(body, "name")
        for key, values in PHOTO_ENUMS.items():
            req_enum(body, key, values)
        req_str(body, "appearance", max_len=1000)
        with self.state_lock:
            self.charge(1)
            job = self.new_job("photo_generation", id=new_id(), name=name, msg=None, image_url_list=None,
                               image_key_list=None, _request=body)
            self.generations[job["id"]] = job
            return self.ok({"generation_id": job["id"]}, "new")

    async def generation_status(self, request: Request) -> Response:
        with self.state_lock:
            job = self.generations.get(request.path_params["generation_id"])
            if job is None:
                raise ApiError(404, "not_found", f"Generation {request.path_params['generation_id']} not found.")
            self.advance(job)
            view = {k: job[k] for k in ("id", "status", "msg", "image_url_list", "image_key_list")}
            if job["status"] == "success":
                view["image_url_list"] = [self.signed(self.image_keys[k]["media"]) for k in job["image_key_list"]]
            return self.ok(view, "new")

    # ------------------------------------------------------------ terminal transitions
    def on_finished(self, rec: dict[str, Any]) -> None:
        kind, ok = rec["_kind"], rec["_outcome"] is None
        outcome = rec["_outcome"] or {}
        if kind == "video":
            self._finish_video(rec)
        elif kind == "photo_generation":
            if ok:
                keys = []
                for n in range(1, 5):
                    key = f"photo_generation/{rec['id']}/image{n}.jpg"
                    self.put_media(key, sample_jpeg(), "image/jpeg")
                    self.image_keys[key] = {"media": key, "width": 1024, "height": 1024, "size": 2048,
                                            "generation_id": rec["id"]}
                    keys.append(key)
                rec["image_key_list"], rec["image_url_list"] = keys, [self.media_url(k) for k in keys]
            else:
                rec["msg"] = outcome["message"]
            self.emit(f"photo_avatar_generation.{'success' if ok else 'fail'}",
                      {"generation_id": rec["id"], "image_key_list": rec["image_key_list"], "msg": rec["msg"]})
        elif kind == "training":
            rec["error_msg"] = None if ok else outcome["message"]
            self.emit(f"photo_avatar_train.{'success' if ok else 'fail'}", {"group_id": rec["group_id"]})
        elif kind == "video_avatar":
            if ok:
                aid = rec["avatar_id"]
                rec["preview_image_url"] = self.put_media(f"preview/{aid}.jpg", sample_jpeg(), "image/jpeg")
                rec["preview_video_url"] = self.put_media(f"preview/{aid}.mp4", sample_mp4(), "video/mp4")
                rec["default_voice_id"] = VOICES[0]["voice_id"]
            else:
                rec["error_message"] = outcome["message"]
            self.emit(f"instant_avatar.{'success' if ok else 'fail'}",
                      {"avatar_id": rec["avatar_id"], "avatar_group_id": rec["avatar_group_id"],
                       "callback_id": rec["callback_id"], "msg": rec["error_message"]}, rec["callback_url"])

    def _finish_video(self, video: dict[str, Any]) -> None:
        if video["_outcome"]:
            code = video["_outcome"]["code"] or DEFAULT_FAIL_CODE
            video["error"] = {"code": code, "message": video["_outcome"]["message"],
                              "detail": video["_outcome"]["message"]}
            self.refund(video["_cost"])
            self.emit("avatar_video.fail", {"video_id": video["id"], "msg": video["_outcome"]["message"],
                                            "callback_id": video["callback_id"]}, video["callback_url"])
            return
        video["duration"] = video["_seconds"]
        captions = "ass" if video["caption"] and video["_text"] else None
        self.finished_video_media(video["id"], video["_text"], video["_seconds"], captions, burned=bool(captions))
        self.emit("avatar_video.success", {
            "video_id": video["id"], "url": self.signed(f"video/{video['id']}.mp4"),
            "gif_download_url": self.signed(f"gif/{video['id']}.gif"),
            "video_share_page_url": f"https://app.heygen.com/share/{video['id']}",
            "folder_id": video["folder_id"], "callback_id": video["callback_id"]}, video["callback_url"])

    # ------------------------------------------------------------ videos
    def _create_video(self, body: dict[str, Any], plan: Any, source: str) -> Response:
        with self.state_lock:
            cost = self.per_minute(plan.rate, plan.seconds)
            self.charge(cost)
            video = self.new_job(
                "video", id=new_id(), title=body.get("title") or body.get("video_title"),
                callback_id=body.get("callback_id"), callback_url=body.get("callback_url"),
                folder_id=body.get("folder_id"), caption=bool(body.get("caption")), dimension=plan.dimension,
                created_at=int(time.time()), duration=None, error=None,
                _seconds=plan.seconds, _cost=cost, _text=plan.text, _source=source, _request=body)
            if plan.doomed and video["_outcome"] is None:
                video["_outcome"] = {"code": NOT_READY_CODE, "message": plan.doomed}
            self.videos[video["id"]] = video
            return self.ok({"video_id": video["id"]}, "new")

    async def generate_video(self, request: Request) -> Response:
        body = await self.read_json(request)
        with self.state_lock:
            plan = plan_generate(self, body)
        return self._create_video(body, plan, "generate")

    async def generate_av4(self, request: Request) -> Response:
        body = await self.read_json(request)
        with self.state_lock:
            plan = plan_av4(self, body)
        return self._create_video(body, plan, "av4")

    def _video(self, request: Request) -> dict[str, Any]:
        video_id = request.query_params.get("video_id")
        if not video_id:
            raise bad("video_id", "video_id is required.")
        video = self.videos.get(video_id)
        if video is None:
            raise ApiError(404, "video_not_found", f"Video {video_id} not found.")
        return video

    async def video_status(self, request: Request) -> Response:
        with self.state_lock:
            video = self._video(request)
            self.advance(video)
            done = video["status"] == "completed"
            vid = video["id"]
            captions = done and video["caption"] and bool(video["_text"])
            return self.ok({
                "id": vid, "status": video["status"], "callback_id": video["callback_id"],
                "created_at": video["created_at"], "duration": video["duration"], "error": video["error"],
                "video_url": self.signed(f"video/{vid}.mp4") if done else None,
                "thumbnail_url": self.signed(f"thumbnail/{vid}.jpg") if done else None,
                "gif_url": self.signed(f"gif/{vid}.gif") if done else None,
                "caption_url": self.signed(f"caption/{vid}.ass") if captions else None,
                "video_url_caption": self.signed(f"video/{vid}_caption.mp4") if captions else None,
            }, "old")

    async def delete_video(self, request: Request) -> Response:
        with self.state_lock:
            video = self._video(request)
            del self.videos[video["id"]]
            return self.ok(None, "old")

    # ------------------------------------------------------------ digital twins (video avatars)
    async def create_video_avatar(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, VIDEO_AVATAR)
        for key in ("training_footage_url", "video_consent_url"):
            if not is_url(req_str(body, key)):
                raise bad(key, f"{key} must be an http(s) URL.")
        name = req_str(body, "avatar_name")
        group_id = opt_str(body, "avatar_group_id")
        callback_url = opt_url(body, "callback_url")
        with self.state_lock:
            if group_id is not None and not any(t["avatar_group_id"] == group_id for t in self.video_avatars.values()):
                raise ApiError(404, "avatar_not_found", f"Avatar group {group_id} not found.")
            twin = self.new_job("video_avatar", avatar_id=new_id(), avatar_group_id=group_id or new_id(),
                                avatar_name=name, created_at=int(time.time()), preview_image_url=None,
                                preview_video_url=None, error_message=None, default_voice_id=None,
                                callback_id=opt_str(body, "callback_id"), callback_url=callback_url)
            self.video_avatars[twin["avatar_id"]] = twin
            return self.ok({"avatar_id": twin["avatar_id"], "avatar_group_id": twin["avatar_group_id"]}, "new")

    def _twin(self, request: Request) -> dict[str, Any]:
        twin = self.video_avatars.get(request.path_params["id"])
        if twin is None:
            raise ApiError(404, "avatar_not_found", f"Video avatar {request.path_params['id']} not found.")
        return twin

    async def get_video_avatar(self, request: Request) -> Response:
        with self.state_lock:
            twin = self._twin(request)
            self.advance(twin)
            return self.ok({k: twin[k] for k in ("avatar_id", "avatar_group_id", "avatar_name", "status",
                                                  "preview_image_url", "preview_video_url", "error_message",
                                                  "default_voice_id")}, "new")

    async def delete_video_avatar(self, request: Request) -> Response:
        with self.state_lock:
            del self.video_avatars[self._twin(request)["avatar_id"]]
            return self.ok(None, "new")

    # ------------------------------------------------------------ webhook endpoints
    async def add_endpoint(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, WEBHOOK_ADD)
        url = req_str(body, "url")
        if not is_url(url) or (url.startswith("http://") and not is_loopback(url)):
            raise bad("url", "url must be an https URL.")
        events = body.get("events")
        if events is not None and (not isinstance(events, list) or not all(e in V2_EVENTS for e in events)):
            raise bad("events", f"events must be a list of: {', '.join(V2_EVENTS)}.")
        with self.state_lock:
            endpoint: dict[str, Any] = {
                "endpoint_id": new_id(), "url": url, "status": "enabled", "events": events or None,
                "secret": f"whsec_{secrets.token_urlsafe(24)}", "created_at": int(time.time())}
            self.webhook_endpoints[endpoint["endpoint_id"]] = endpoint
            return self.ok(dict(endpoint), "old")

    async def list_endpoints(self, request: Request) -> Response:
        with self.state_lock:
            return self.ok([{k: v for k, v in e.items() if k != "secret"} for e in self.webhook_endpoints.values()],
                           "old")

    async def delete_endpoint(self, request: Request) -> Response:
        endpoint_id = request.query_params.get("endpoint_id")
        if not endpoint_id:
            raise bad("endpoint_id", "endpoint_id is required.")
        with self.state_lock:
            if self.webhook_endpoints.pop(endpoint_id, None) is None:
                raise ApiError(404, "not_found", f"Webhook endpoint {endpoint_id} not found.")
            return self.ok(None, "old")

