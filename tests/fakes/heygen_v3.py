"""A faithful local emulator of HeyGen's live v3 API (reference/heygen-v3.md).

`{data}` envelopes, lists `{data, has_more, next_token}`, errors `{error: {code, message, param?}}`, X-Request-Id,
Idempotency-Key replay (header `Idempotent-Replayed: true`) and 409 request_in_progress, cursor pagination,
AssetInput (url | asset_id | base64) everywhere a file is taken. Poll kinds: video, look (photo/prompt avatars),
digital_twin. Assets live in `_heygen_v3_base.py`, videos and agents in `_heygen_v3_videos.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes._harness import sample_jpeg, sample_mp4
from tests.fakes._heygen_catalogue import VOICES, v3_public_groups, v3_public_looks, v3_voice
from tests.fakes._heygen_common import ApiError, bad, is_loopback, is_url, mp3_silence, new_id, public, words
from tests.fakes._heygen_v3_agents import V3Agents
from tests.fakes._heygen_v3_schema import AVATAR_CREATE, CONSENT, LOOK_PATCH, WEBHOOK_ENDPOINT, WEBHOOK_PATCH
from tests.fakes._heygen_validate import only, opt_enum, opt_num, opt_str, req_enum, req_str

V3_EVENTS = [f"{name}.{outcome}" for name in (
    "avatar_video", "avatar_video_gif", "avatar_video_caption", "video_translate", "video_agent", "instant_avatar",
    "photo_avatar_generation", "photo_avatar_train", "photo_avatar_add_motion", "proofread_creation", "live_avatar",
    "hyperframes_video", "ai_clipping") for outcome in ("success", "fail")] + [
    "video_translate.preflight.validation_failed", "video_translate.preflight.download_failed",
    "personalized_video", "batch.finished"]
PRIVATE_VOICE = {"voice_id": "private_clone_voice_01", "name": "My Cloned Voice", "gender": "female",
                 "language": "English", "locale": "en-US", "emotion_support": False, "support_pause": True,
                 "engines": ["starfish"], "type": "private"}
AVATAR_TYPES = ["studio_avatar", "digital_twin", "photo_avatar"]


class HeyGenV3Fake(V3Agents):
    """HeyGen v3 emulator. Options: `prompt_max_chars` (prompt avatars, 1000), `signing_input` ("body" or
    "timestamp.body"), `max_asset_bytes`, `processing_delay`, `fetch_urls`, `max_concurrent_jobs`,
    `statuses_page_size` (items per page of GET /v3/videos/statuses), `agent_think_polls` (session reads a Video
    Agent spends "thinking", without a video_id, before it starts the video and is charged for it; 0 answers the
    create with the video already started), plus the `HeyGenFakeBase` ones. Digital-twin looks wait for consent
    (`approve_consent(group_id)` or the consent URL)."""

    STAGES: ClassVar[dict[str, tuple[str, tuple[str, ...], str, str]]] = {
        "video": ("pending", ("processing",), "completed", "failed"),
        "look": ("processing", ("processing",), "completed", "failed"),
        "digital_twin": ("processing", ("processing",), "completed", "failed"),
    }

    def __init__(self, api_key: str = "test-heygen-key", *, prompt_max_chars: int = 1000,
                 signature_header: str = "Heygen-Signature", timestamp_header: str | None = "Heygen-Timestamp",
                 signing_input: str = "body", **options: Any) -> None:
        self.prompt_max_chars = prompt_max_chars
        self.signing_input = signing_input
        self.groups: dict[str, dict[str, Any]] = {}
        self.looks: dict[str, dict[str, Any]] = {}
        self.public_groups = {g["id"]: g for g in v3_public_groups()}
        self.public_looks = {look["id"]: look for look in v3_public_looks()}
        self.voices: dict[str, dict[str, Any]] = {v["voice_id"]: {**v, "type": "public"} for v in VOICES}
        self.voices[str(PRIVATE_VOICE["voice_id"])] = dict(PRIVATE_VOICE)
        super().__init__(api_key, signature_header=signature_header, timestamp_header=timestamp_header, **options)
        for look_id in self.public_looks:
            self.put_media(f"preview/{look_id}.jpg", sample_jpeg(), "image/jpeg")
            self.put_media(f"preview/{look_id}.mp4", sample_mp4(), "video/mp4")
        for voice_id in self.voices:
            self.put_media(f"voice/{voice_id}.mp3", mp3_silence(1), "audio/mpeg")

    def jobs(self) -> list[dict[str, Any]]:
        return [*self.looks.values(), *self.videos.values()]

    def signature_for(self, secret: str, body: bytes, timestamp: str) -> str:
        message = f"{timestamp}.".encode() + body if self.signing_input == "timestamp.body" else body
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

    def routes(self) -> list[BaseRoute]:
        a = self.api
        return [
            *self.asset_routes(),
            a("/v3/avatars/looks", self.list_looks, ["GET"], "v3"),
            a("/v3/avatars/looks/{look_id}", self.get_look, ["GET"], "v3"),
            a("/v3/avatars/looks/{look_id}", self.patch_look, ["PATCH"], "v3"),
            a("/v3/avatars/looks/{look_id}", self.delete_look, ["DELETE"], "v3"),
            a("/v3/avatars", self.create_avatar, ["POST"], "v3"),
            a("/v3/avatars", self.list_groups, ["GET"], "v3"),
            a("/v3/avatars/{group_id}/consent", self.consent, ["POST"], "v3"),
            a("/v3/avatars/{group_id}", self.get_group, ["GET"], "v3"),
            a("/v3/avatars/{group_id}", self.delete_group, ["DELETE"], "v3"),
            Route("/_consent/{group_id}", self.consent_page, methods=["GET", "POST"]),
            *self.video_routes(),
            *self.agent_routes(),
            a("/v3/voices", self.list_voices, ["GET"], "v3"),
            a("/v3/voices/speech", self.speech, ["POST"], "v3"),
            a("/v3/voices/{voice_id}", self.get_voice, ["GET"], "v3"),
            a("/v3/webhooks/endpoints", self.create_endpoint, ["POST"], "v3"),
            a("/v3/webhooks/endpoints", self.list_endpoints, ["GET"], "v3"),
            a("/v3/webhooks/endpoints/{endpoint_id}", self.patch_endpoint, ["PATCH"], "v3"),
            a("/v3/webhooks/endpoints/{endpoint_id}", self.delete_endpoint, ["DELETE"], "v3"),
            a("/v3/webhooks/endpoints/{endpoint_id}/rotate-secret", self.rotate_secret, ["POST"], "v3"),
            a("/v3/webhooks/event-types", self.event_types, ["GET"], "v3"),
            a("/v3/webhooks/events", self.list_events, ["GET"], "v3"),
            a("/v3/users/me", self.me, ["GET"], "v3"),
            a("/v3/user/me", self.me, ["GET"], "v3"),
            a("/v3/{rest:path}", self.unknown_route, ["GET", "POST", "PUT", "PATCH", "DELETE"], "v3"),
        ]

    async def unknown_route(self, request: Request) -> Response:
        raise ApiError(404, "not_found", f"No route {request.method} {request.url.path}.")

    # ------------------------------------------------------------ avatars: views and status
    def _url(self, value: str | None) -> str | None:
        return self.media_url(value) if value and not value.startswith("http") else value

    def look_view(self, look: dict[str, Any]) -> dict[str, Any]:
        view = public(look)
        view["preview_image_url"] = self._url(view["preview_image_url"])
        view["preview_video_url"] = self._url(view["preview_video_url"])
        return view

    def group_view(self, group: dict[str, Any]) -> dict[str, Any]:
        if group.get("_public"):
            return {**public(group), "preview_image_url": self._url(group["preview_image_url"]),
                    "preview_video_url": self._url(group["preview_video_url"])}
        looks = [look for look in self.looks.values() if look["group_id"] == group["id"]]
        statuses = {look["status"] for look in looks}
        if group["consent_status"] == "pending":
            group["status"] = "pending_consent"
        elif looks and statuses == {"completed"}:
            group["status"] = "completed"
        elif "failed" in statuses and "completed" not in statuses:
            group["status"] = "failed"
        else:
            group["status"] = "processing"
        done = next((look for look in looks if look["status"] == "completed"), None)
        group.update(looks_count=len(looks), preview_image_url=done and done["preview_image_url"],
                     preview_video_url=done and done["preview_video_url"],
                     default_voice_id=done and done["default_voice_id"])
        return public(group)

    def _group(self, group_id: str, *, private: bool = False) -> dict[str, Any]:
        group = self.groups.get(group_id) or self.public_groups.get(group_id)
        if group is None:
            raise self.not_found("avatar", group_id, "group_id")
        if private and group.get("_public"):
            raise ApiError(403, "resource_access_denied", f"Avatar group {group_id} is a public avatar.")
        return group

    def approve_consent(self, group_id: str) -> None:
        """Test helper: the subject gave consent; the group's looks start processing."""
        with self.state_lock:
            group = self.groups[group_id]
            group["consent_status"] = "approved"
            for look in self.looks.values():
                if look["group_id"] == group_id and look.get("_held"):
                    look.update(status="processing", _held=False)

    def on_finished(self, rec: dict[str, Any]) -> None:
        if rec["_kind"] == "video":
            self.finish_video(rec)
            return
        ok, twin = rec["_outcome"] is None, rec["_kind"] == "digital_twin"
        if ok:
            source = rec.pop("_source", None) or {}
            width, height = (int(source["width"]), int(source["height"])) if source.get("width") else (
                (1920, 1080) if twin else (1024, 1024))
            data = source["data"] if source.get("kind") == "image" and source.get("data") else sample_jpeg()
            rec["preview_image_url"] = self.put_media(f"look/{rec['id']}.jpg", data, "image/jpeg")
            if twin:
                rec["preview_video_url"] = self.put_media(f"look/{rec['id']}.mp4", sample_mp4(), "video/mp4")
                rec["default_voice_id"] = VOICES[0]["voice_id"]
            rec.update(image_width=width, image_height=height, preferred_orientation="landscape"
                       if width > height else "portrait" if height > width else "square")
        else:
            rec["error"] = {"code": rec["_outcome"]["code"] or "avatar_processing_failed",
                            "message": rec["_outcome"]["message"]}
        if twin or rec.get("_origin") == "prompt":
            event = "instant_avatar" if twin else "photo_avatar_generation"
            self.emit(f"{event}.{'success' if ok else 'fail'}", {"avatar_id": rec["id"], "group_id": rec["group_id"]})

    # ------------------------------------------------------------ avatars: routes
    async def create_avatar(self, request: Request) -> Response:
        body = await self.read_json(request)
        kind = req_enum(body, "type", ["photo", "prompt", "digital_twin"])
        only(body, AVATAR_CREATE[kind])
        name = req_str(body, "name", max_len=255)
        group_id = opt_str(body, "avatar_group_id")
        source = None
        if kind == "photo":
            source = await self.resolve(body.get("file"), "file", ("image",))
            if source["width"] is not None and min(source["width"], source["height"]) < self.min_photo_side:
                raise bad("file", f"Photo resolution {source['width']}x{source['height']} is too low; minimum is "
                                  f"{self.min_photo_side}x{self.min_photo_side}.")
        elif kind == "prompt":
            req_str(body, "prompt", max_len=self.prompt_max_chars)
            refs = body.get("reference_images") or []
            if not isinstance(refs, list) or len(refs) > 3:
                raise bad("reference_images", "reference_images must be a list of at most 3 AssetInputs.")
            for i, ref in enumerate(refs):
                await self.resolve(ref, f"reference_images[{i}]", ("image",))
            if opt_str(body, "avatar_id"):
                self.find_look(body["avatar_id"], "avatar_id")
        else:
            source = await self.resolve(body.get("file"), "file", ("video",))
        twin = kind == "digital_twin"
        with self.state_lock:
            group = self._group(group_id, private=True) if group_id else None
            if kind == "prompt":
                self.charge(1)
            if group is None:
                group = {"id": new_id(), "name": name, "looks_count": 0, "created_at": int(time.time()),
                         "gender": None, "default_voice_id": None, "preview_image_url": None,
                         "preview_video_url": None, "consent_status": "pending" if twin else None,
                         "status": "processing", "error": None}
                self.groups[group["id"]] = group
            look = self.new_job("digital_twin" if twin else "look", id=new_id(), name=name,
                                avatar_type="digital_twin" if twin else "photo_avatar", group_id=group["id"],
                                gender=None, default_voice_id=None, preview_image_url=None, preview_video_url=None,
                                image_width=None, image_height=None, preferred_orientation=None, error=None,
                                supported_api_engines=["avatar_iv", "avatar_v", "avatar_iii"], tags=[],
                                _source=source, _origin=kind)
            if twin and group["consent_status"] == "pending":
                look.update(status="pending_consent", _held=True)
            self.looks[look["id"]] = look
            return self.data({"avatar_item": self.look_view(look), "avatar_group": self.group_view(group)})

    def _ownership(self, request: Request) -> str | None:
        return opt_enum(dict(request.query_params), "ownership", ["public", "private"])

    async def list_groups(self, request: Request) -> Response:
        ownership = self._ownership(request)
        with self.state_lock:
            groups = [*reversed(self.groups.values())] if ownership != "public" else []
            groups += list(self.public_groups.values()) if ownership != "private" else []
            return self.page(request, [self.group_view(g) for g in groups])

    async def get_group(self, request: Request) -> Response:
        with self.state_lock:
            group = self._group(request.path_params["group_id"])
            for look in list(self.looks.values()):
                if look["group_id"] == group["id"]:
                    self.advance(look)
            return self.data(self.group_view(group))

    async def delete_group(self, request: Request) -> Response:
        with self.state_lock:
            group = self._group(request.path_params["group_id"], private=True)
            for look_id in [i for i, look in self.looks.items() if look["group_id"] == group["id"]]:
                del self.looks[look_id]
            del self.groups[group["id"]]
            return self.data({"id": group["id"]})

    async def consent(self, request: Request) -> Response:
        body = await self.read_json(request) if (await request.body()).strip() else {}
        only(body, CONSENT)
        reroute = opt_str(body, "reroute_url")
        if reroute is not None and not is_url(reroute):
            raise bad("reroute_url", "reroute_url must be an http(s) URL.")
        opt_str(body, "consent_text", max_len=5000)
        video = body.get("consent_video")
        if video is not None and (reroute or body.get("consent_text")):
            raise bad("consent_video", "consent_video cannot be combined with reroute_url or consent_text.")
        if video is not None:
            await self.resolve(video, "consent_video", ("video",))
        with self.state_lock:
            group = self._group(request.path_params["group_id"], private=True)
            if group["consent_status"] is None:
                raise bad("group_id", f"Avatar group {group['id']} does not require consent.")
            if video is not None:
                self.approve_consent(group["id"])
                return self.data({"avatar_group": self.group_view(group)})
            url = f"{self.base_url}/_consent/{group['id']}?token={secrets.token_hex(8)}"
            return self.data({"avatar_group": self.group_view(group), "url": url})

    async def consent_page(self, request: Request) -> Response:
        """The page the subject opens; POSTing it (the "I consent" button) approves the group."""
        group_id = request.path_params["group_id"]
        if group_id not in self.groups:
            return HTMLResponse("<p>Unknown consent request</p>", 404)
        if request.method == "POST":
            self.approve_consent(group_id)
            return HTMLResponse("<p>Thank you, consent recorded.</p>")
        return HTMLResponse(f'<form method="post"><button>I consent to avatar {group_id}</button></form>')

    def _look(self, look_id: str, *, private: bool = False) -> dict[str, Any]:
        look = self.looks.get(look_id) or self.public_looks.get(look_id)
        if look is None:
            raise self.not_found("avatar", look_id, "look_id")
        if private and look.get("_public"):
            raise ApiError(403, "resource_access_denied", f"Look {look_id} is a public avatar.")
        return look

    async def list_looks(self, request: Request) -> Response:
        query = dict(request.query_params)
        ownership = self._ownership(request)
        avatar_type = opt_enum(query, "avatar_type", AVATAR_TYPES)
        group_id = query.get("group_id")
        with self.state_lock:
            looks = [*reversed(self.looks.values())] if ownership != "public" else []
            looks += list(self.public_looks.values()) if ownership != "private" else []
            looks = [look for look in looks if (avatar_type is None or look["avatar_type"] == avatar_type)
                     and (group_id is None or look["group_id"] == group_id)]
            return self.page(request, [self.look_view(look) for look in looks])

    async def get_look(self, request: Request) -> Response:
        with self.state_lock:
            look = self._look(request.path_params["look_id"])
            self.advance(look)
            return self.data(self.look_view(look))

    async def patch_look(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, LOOK_PATCH)
        name = req_str(body, "name", max_len=255)
        with self.state_lock:
            look = self._look(request.path_params["look_id"], private=True)
            look["name"] = name
            return self.data(self.look_view(look))

    async def delete_look(self, request: Request) -> Response:
        with self.state_lock:
            look = self.looks.pop(self._look(request.path_params["look_id"], private=True)["id"])
            if not any(other["group_id"] == look["group_id"] for other in self.looks.values()):
                self.groups.pop(look["group_id"], None)
            return self.data({"id": look["id"]})

    # ------------------------------------------------------------ voices
    async def list_voices(self, request: Request) -> Response:
        query = dict(request.query_params)
        kind = opt_enum(query, "type", ["public", "private"], default="public")
        engine = opt_enum(query, "engine", ["elevenlabs", "fish", "starfish"])
        language, gender = query.get("language"), query.get("gender")
        items = [self._voice_view(v) for v in self.voices.values() if v["type"] == kind
                 and (engine is None or engine in v["engines"])
                 and (language is None or language.lower() in (v["language"].lower(), v["locale"].lower()))
                 and (gender is None or gender.lower() == v["gender"])]
        return self.page(request, items, hi=100, default=20)

    def _voice_view(self, voice: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
        view = v3_voice(voice, detail=detail)
        view["preview_audio_url"] = self.media_url(view["preview_audio_url"])
        return view

    async def get_voice(self, request: Request) -> Response:
        return self.data(self._voice_view(self.find_voice(request.path_params["voice_id"], "voice_id"), detail=True))

    async def speech(self, request: Request) -> Response:
        body = await self.read_json(request)
        text = req_str(body, "text", max_len=5000)
        voice = self.find_voice(req_str(body, "voice_id"), "voice_id")
        if "starfish" not in voice["engines"]:
            raise ApiError(400, "voice_not_usable", f"Voice {voice['voice_id']} does not support text-to-speech "
                                                    "(pick one listed with engine=starfish).", param="voice_id")
        opt_enum(body, "input_type", ["text", "ssml"])
        speed = opt_num(body, "speed", lo=0.5, hi=2, default=1.0) or 1.0
        opt_str(body, "language")
        opt_str(body, "locale")
        step = round(0.4 / speed, 3)
        stamps: list[dict[str, Any]] = [{"word": w, "start": round(i * step, 3), "end": round((i + 1) * step, 3)}
                                        for i, w in enumerate(words(text))]
        duration = max(1.0, float(stamps[-1]["end"]) if stamps else 1.0)
        request_id = new_id()
        self.put_media(f"speech/{request_id}.mp3", mp3_silence(duration), "audio/mpeg")
        return self.data({"audio_url": self.signed(f"speech/{request_id}.mp3", "s3"), "duration": duration,
                          "request_id": request_id, "word_timestamps": stamps})

    # ------------------------------------------------------------ webhooks and account
    def _events_field(self, body: dict[str, Any]) -> list[str] | None:
        events = body.get("events")
        if events is not None and (not isinstance(events, list) or any(e not in V3_EVENTS for e in events)):
            raise bad("events", "events must be null (all events) or a list of known event types.")
        return events

    def _endpoint_url(self, body: dict[str, Any]) -> str:
        url = req_str(body, "url")
        if not is_url(url) or (url.startswith("http://") and not is_loopback(url)):
            raise bad("url", "url must be an https URL.")
        return url

    def _endpoint(self, endpoint_id: str) -> dict[str, Any]:
        endpoint = self.webhook_endpoints.get(endpoint_id)
        if endpoint is None:
            raise self.not_found("webhook endpoint", endpoint_id, "endpoint_id")
        return endpoint

    @staticmethod
    def _endpoint_view(endpoint: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in endpoint.items() if k != "secret"}

    async def create_endpoint(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, WEBHOOK_ENDPOINT)
        url, events = self._endpoint_url(body), self._events_field(body)
        with self.state_lock:
            endpoint: dict[str, Any] = {"endpoint_id": new_id(), "url": url, "events": events, "status": "enabled",
                        "entity_id": opt_str(body, "entity_id"),
                        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "secret": f"whsec_{secrets.token_urlsafe(24)}"}
            self.webhook_endpoints[endpoint["endpoint_id"]] = endpoint
            return self.data(dict(endpoint))

    async def list_endpoints(self, request: Request) -> Response:
        with self.state_lock:
            items = [self._endpoint_view(e) for e in self.webhook_endpoints.values()]
        return self.page(request, items, hi=100, default=10)

    async def patch_endpoint(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, WEBHOOK_PATCH)
        with self.state_lock:
            endpoint = self._endpoint(request.path_params["endpoint_id"])
            if "url" in body:
                endpoint["url"] = self._endpoint_url(body)
            if "events" in body:
                endpoint["events"] = self._events_field(body)
            return self.data(self._endpoint_view(endpoint))

    async def delete_endpoint(self, request: Request) -> Response:
        with self.state_lock:
            endpoint = self._endpoint(request.path_params["endpoint_id"])
            del self.webhook_endpoints[endpoint["endpoint_id"]]
            return self.data({"endpoint_id": endpoint["endpoint_id"]})

    async def rotate_secret(self, request: Request) -> Response:
        with self.state_lock:
            endpoint = self._endpoint(request.path_params["endpoint_id"])
            endpoint["secret"] = f"whsec_{secrets.token_urlsafe(24)}"
            return self.data({"endpoint_id": endpoint["endpoint_id"], "secret": endpoint["secret"]})

    async def event_types(self, request: Request) -> Response:
        return self.data([{"event_type": e, "description": e.replace("_", " ").replace(".", ": ")}
                          for e in V3_EVENTS])

    async def list_events(self, request: Request) -> Response:
        kind, entity = request.query_params.get("event_type"), request.query_params.get("entity_id")
        items = [e for e in reversed(self.events) if (kind is None or e["event_type"] == kind)
                 and (entity is None or entity in e["event_data"].values())]
        return self.page(request, items, hi=100, default=10)

    async def me(self, request: Request) -> Response:
        credits = round(self.credits, 2)
        return self.data({
            "username": "fake-user", "email": "fake-user@example.com", "first_name": "Fake", "last_name": "User",
            "billing_type": "wallet", "remaining_credits": credits,
            "wallet": {"remaining_balance": credits, "currency": "credits"}, "subscription": None,
            "usage_based": None})
