"""The read-only side of the HeyGen v1/v2 emulator: catalogue listings and account quota (base of HeyGenV2Fake)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tests.fakes._heygen_catalogue import PUBLIC_GROUPS, SEED_TALKING_PHOTO, VOICES, v2_avatar, v2_voice
from tests.fakes._heygen_common import ApiError, HeyGenFakeBase, bad, public


class V2Listings(HeyGenFakeBase):
    """/v1/talking_photo.list, /v2/avatars, /v2/voices, /v2/avatar_group.list, /v2/avatar_group/{id}/avatars,
    /v2/user/remaining_quota."""

    groups: dict[str, dict[str, Any]]
    photo_avatars: dict[str, dict[str, Any]]
    trainings: dict[str, dict[str, Any]]
    video_avatars: dict[str, dict[str, Any]]

    def _look_view(self, look: dict[str, Any]) -> dict[str, Any]:
        return {**public(look), "image_url": self.media_url(look["_media"])}

    async def talking_photo_list(self, request: Request) -> Response:
        with self.state_lock:
            seed = SEED_TALKING_PHOTO["id"]
            items = [{"id": seed, "image_url": self.media_url(f"photo/{seed}.jpg"), "circle_image": ""}]
            items += [{"id": look["id"], "image_url": self.media_url(look["_media"]), "circle_image": ""}
                      for look in self.photo_avatars.values() if look["status"] == "completed"]
            return self.ok(items, "old")

    def _public_avatar(self, look_id: str, name: str, group: dict[str, Any]) -> dict[str, Any]:
        avatar = v2_avatar(look_id, name, group)
        avatar["preview_image_url"] = self.media_url(avatar["preview_image_url"])
        avatar["preview_video_url"] = self.media_url(avatar["preview_video_url"])
        return avatar

    def _twin_avatar(self, twin: dict[str, Any]) -> dict[str, Any]:
        return {"avatar_id": twin["avatar_id"], "avatar_name": twin["avatar_name"], "gender": "unknown",
                "preview_image_url": twin["preview_image_url"], "preview_video_url": twin["preview_video_url"],
                "premium": False, "type": "digital_twin", "tags": None, "default_voice_id": twin["default_voice_id"]}

    async def list_avatars(self, request: Request) -> Response:
        with self.state_lock:
            avatars = [self._public_avatar(look_id, name, g) for g in PUBLIC_GROUPS for look_id, name in g["looks"]]
            avatars += [self._twin_avatar(t) for t in self.video_avatars.values() if t["status"] == "completed"]
            photos = [{"talking_photo_id": look["id"], "talking_photo_name": look["name"],
                       "preview_image_url": self.media_url(look["_media"])}
                      for look in self.photo_avatars.values() if look["status"] == "completed"]
            return self.ok({"avatars": avatars, "talking_photos": photos}, "new")

    async def list_voices(self, request: Request) -> Response:
        voices = []
        for voice in VOICES:
            item = v2_voice(voice)
            item["preview_audio"] = self.media_url(item["preview_audio"])
            voices.append(item)
        return self.ok({"voices": voices}, "new")

    async def list_groups(self, request: Request) -> Response:
        flag = request.query_params.get("include_public", "false").lower()
        if flag not in ("true", "false", "1", "0"):
            raise bad("include_public", "include_public must be true or false.")
        with self.state_lock:
            items = [{"id": g["id"], "name": g["name"], "created_at": g["created_at"], "num_looks": len(g["looks"]),
                      "preview_image": self.media_url(g["_media"]), "group_type": "PHOTO_AVATAR",
                      "train_status": self.trainings[g["id"]]["status"] if g["id"] in self.trainings else "empty",
                      "default_voice_id": None} for g in self.groups.values()]
            items += [{"id": t["avatar_group_id"], "name": t["avatar_name"], "created_at": t["created_at"],
                       "num_looks": 1, "preview_image": t["preview_image_url"], "group_type": "DIGITAL_TWIN",
                       "train_status": t["status"], "default_voice_id": t["default_voice_id"]}
                      for t in self.video_avatars.values()]
            if flag in ("true", "1"):
                items += [{"id": g["id"], "name": g["name"], "created_at": 1_700_000_000, "num_looks": len(g["looks"]),
                           "preview_image": self.media_url(f"preview/{g['looks'][0][0]}.jpg"),
                           "group_type": "PUBLIC", "train_status": "ready", "default_voice_id": g["default_voice_id"]}
                          for g in PUBLIC_GROUPS]
            return self.ok({"total_count": len(items), "avatar_group_list": items}, "new")

    async def group_avatars(self, request: Request) -> Response:
        group_id = request.path_params["id"]
        with self.state_lock:
            public_group = next((g for g in PUBLIC_GROUPS if g["id"] == group_id), None)
            if public_group is not None:
                items = [self._public_avatar(look_id, name, public_group) for look_id, name in public_group["looks"]]
            elif group_id in self.groups:
                items = [self._look_view(self.photo_avatars[i]) for i in self.groups[group_id]["looks"]]
            else:
                twins = [t for t in self.video_avatars.values() if t["avatar_group_id"] == group_id]
                if not twins:
                    raise ApiError(404, "avatar_not_found", f"Avatar group {group_id} not found.")
                items = [self._twin_avatar(t) for t in twins]
            return self.ok({"avatar_list": items}, "new")

    async def remaining_quota(self, request: Request) -> Response:
        seconds = round(self.credits * 60)
        return self.ok({"remaining_quota": seconds, "used_quota": round(self.used_credits * 60),
                        "details": {"api": seconds}}, "new")
