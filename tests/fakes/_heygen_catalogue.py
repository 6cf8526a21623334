"""The public catalogue both HeyGen emulators start with: stock avatars (with their groups/looks) and voices.

Ids are stable strings so tests can name them. Preview URLs are media paths the fake serves (`_media/<path>`).
"""

from __future__ import annotations

from typing import Any

VOICES: list[dict[str, Any]] = [
    {"voice_id": "1bd001e7e50f421d891986aad5158bc8", "name": "Sara - Friendly", "gender": "female",
     "language": "English", "locale": "en-US", "emotion_support": True, "support_pause": True,
     "engines": ["elevenlabs", "starfish"]},
    {"voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "name": "Paul - Broadcaster", "gender": "male",
     "language": "English", "locale": "en-GB", "emotion_support": True, "support_pause": True,
     "engines": ["elevenlabs", "starfish"]},
    {"voice_id": "3a9f5d7e8b1c4d2e9f0a1b2c3d4e5f60", "name": "Lucia", "gender": "female",
     "language": "Spanish", "locale": "es-ES", "emotion_support": False, "support_pause": True,
     "engines": ["fish"]},
    {"voice_id": "4b0a6e8f9c2d4e3f8a1b2c3d4e5f6a71", "name": "Hans", "gender": "male",
     "language": "German", "locale": "de-DE", "emotion_support": False, "support_pause": False,
     "engines": ["starfish"]},
    {"voice_id": "5c1b7f9a0d3e4f5a9b2c3d4e5f6a7b82", "name": "Aiko", "gender": "female",
     "language": "Japanese", "locale": "ja-JP", "emotion_support": False, "support_pause": True,
     "engines": ["starfish"]},
    {"voice_id": "6d2c8a0b1e4f4a6b8c3d4e5f6a7b8c93", "name": "Marcus - Serious", "gender": "male",
     "language": "English", "locale": "en-US", "emotion_support": True, "support_pause": True,
     "engines": ["elevenlabs"]},
]
VOICE_IDS = {v["voice_id"] for v in VOICES}

# Public (stock) avatars: one group per character, looks = avatar ids usable in videos.
PUBLIC_GROUPS: list[dict[str, Any]] = [
    {"id": "Angela_public", "name": "Angela", "gender": "female", "default_voice_id": VOICES[0]["voice_id"],
     "looks": [("Angela-inTshirt-20220820", "Angela in T-shirt"), ("Angela-inblackskirt-20220820",
                                                                     "Angela in Black Skirt")]},
    {"id": "Josh_public", "name": "Josh", "gender": "male", "default_voice_id": VOICES[1]["voice_id"],
     "looks": [("josh_lite3_20230714", "Josh HeyGen CEO"), ("josh_lite_20230714", "Josh Lite")]},
    {"id": "Daisy_public", "name": "Daisy", "gender": "female", "default_voice_id": VOICES[0]["voice_id"],
     "looks": [("Daisy-inskirt-20220818", "Daisy in Skirt")]},
    {"id": "Tyler_public", "name": "Tyler", "gender": "male", "default_voice_id": VOICES[5]["voice_id"],
     "looks": [("Tyler-incasualsuit-20220721", "Tyler in Casual Suit")]},
]
PUBLIC_AVATAR_IDS = {look_id for g in PUBLIC_GROUPS for look_id, _ in g["looks"]}
AVATAR_TO_GROUP = {look_id: g for g in PUBLIC_GROUPS for look_id, _ in g["looks"]}

# A talking photo every account sees in /v1/talking_photo.list (HeyGen ships example photos).
SEED_TALKING_PHOTO = {"id": "ef0ed70f72c6497793e5e36e434d2aea", "name": "Example Photo"}


def v2_avatar(look_id: str, name: str, group: dict[str, Any]) -> dict[str, Any]:
    return {"avatar_id": look_id, "avatar_name": name, "gender": group["gender"],
            "preview_image_url": f"preview/{look_id}.jpg", "preview_video_url": f"preview/{look_id}.mp4",
            "premium": False, "type": None, "tags": None, "default_voice_id": group["default_voice_id"]}


def v2_voice(voice: dict[str, Any]) -> dict[str, Any]:
    return {"voice_id": voice["voice_id"], "language": voice["language"], "gender": voice["gender"],
            "name": voice["name"], "preview_audio": f"voice/{voice['voice_id']}.mp3",
            "support_pause": voice["support_pause"], "emotion_support": voice["emotion_support"],
            "support_interactive_avatar": False}


def v3_voice(voice: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    out = {"voice_id": voice["voice_id"], "name": voice["name"], "gender": voice["gender"],
           "language": voice["language"], "type": voice.get("type", "public"),
           "support_pause": voice["support_pause"], "support_locale": True,
           "preview_audio_url": f"voice/{voice['voice_id']}.mp3"}
    if detail:
        out.pop("type")
        out.pop("support_locale")
        out.update({"support_interactive_avatar": False, "created_at": None, "status": "complete",
                    "failure_message": None})
    return out


def v3_public_looks() -> list[dict[str, Any]]:
    looks = []
    for group in PUBLIC_GROUPS:
        for look_id, name in group["looks"]:
            looks.append({"id": look_id, "name": name, "avatar_type": "studio_avatar", "group_id": group["id"],
                          "gender": group["gender"], "default_voice_id": group["default_voice_id"],
                          "preview_image_url": f"preview/{look_id}.jpg", "preview_video_url": f"preview/{look_id}.mp4",
                          "image_width": 1920, "image_height": 1080, "preferred_orientation": "landscape",
                          "supported_api_engines": ["avatar_iv", "avatar_iii"], "tags": ["public"],
                          "_public": True})
    return looks


def v3_public_groups() -> list[dict[str, Any]]:
    return [{"id": g["id"], "name": g["name"], "looks_count": len(g["looks"]), "created_at": 1_700_000_000,
             "gender": g["gender"], "default_voice_id": g["default_voice_id"],
             "preview_image_url": f"preview/{g['looks'][0][0]}.jpg",
             "preview_video_url": f"preview/{g['looks'][0][0]}.mp4", "consent_status": None, "_public": True}
            for g in PUBLIC_GROUPS]
