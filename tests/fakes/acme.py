"""Acme Avatars: the emulator of a fictitious sixth vendor (its API is documented here, nowhere else).

- `Authorization: Bearer <key>`; a wrong key is 401 `{"error": {"code": "unauthorized", "message"}}`.
- `POST /v1/videos {avatar, script, voice?}` with an `Idempotency-Key` header (required): 201 `{id, status: "queued"}`;
  the same key again answers the same video (200) and makes nothing. Avatars look like `av_<letters/digits>`;
  an unknown field, a missing avatar or script, or a script over 2000 characters is 422 with `error.param`.
- `GET /v1/videos/{id}`: `{id, status: queued|rendering|done|failed, progress, url?, error?}`; a video is done on its
  `polls_to_complete`-th GET, and each GET of a done video signs its `url` afresh (`?sig=<n>`); unknown ids are 404.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes._harness import FakeVendor, sample_mp4

AVATAR = re.compile(r"^av_[a-z0-9]{1,40}$")


def _error(status: int, code: str, message: str, param: str | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message, "param": param}}, status_code=status)


class AcmeFake(FakeVendor):
    def __init__(self, api_key: str = "test-acme-key", *, polls_to_complete: int = 2) -> None:
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.videos: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [Route("/v1/videos", self._create, methods=["POST"]),
                Route("/v1/videos/{video_id}", self._get, methods=["GET"])]

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "unauthorized", "The API key is missing or wrong.")
        key = request.headers.get("idempotency-key")
        if not key:
            return _error(422, "invalid", "Idempotency-Key is required.", "Idempotency-Key")
        if key in self.by_key:
            return JSONResponse(self._public(self.videos[self.by_key[key]]))
        body = await request.json()
        unknown = set(body) - {"avatar", "script", "voice"} if isinstance(body, dict) else {"body"}
        if unknown:
            return _error(422, "invalid", f"Unknown field {sorted(unknown)[0]}.", sorted(unknown)[0])
        if not isinstance(body.get("avatar"), str) or not AVATAR.match(body["avatar"]):
            return _error(422, "invalid", "avatar must look like av_<letters and digits>.", "avatar")
        if not isinstance(body.get("script"), str) or not 1 <= len(body["script"]) <= 2000:
            return _error(422, "invalid", "script takes 1-2000 characters.", "script")
        video_id = "vid_" + secrets.token_hex(6)
        self.videos[video_id] = {"id": video_id, "status": "queued", "polls": 0, "signed": 0}
        self.by_key[key] = video_id
        return JSONResponse(self._public(self.videos[video_id]), status_code=201)

    async def _get(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "unauthorized", "The API key is missing or wrong.")
        video = self.videos.get(request.path_params["video_id"])
        if video is None:
            return _error(404, "not_found", "No such video.")
        video["polls"] += 1
        if video["status"] != "failed":
            video["status"] = "done" if video["polls"] >= self.polls_to_complete else "rendering"
        if video["status"] == "done":
            video["signed"] += 1
            name = f"acme/{video['id']}.mp4"
            self.add_media(name, sample_mp4(), "video/mp4")
            video["url"] = f"{self.media_url(name)}?sig={video['signed']}"
        return JSONResponse(self._public(video))

    def _public(self, video: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in video.items() if k not in ("polls", "signed")}
        shown["progress"] = min(1.0, video["polls"] / max(1, self.polls_to_complete))
        return shown
