"""The allowed properties of HeyGen v1/v2 request bodies as the seeds list them (seed 001: /v2/video/generate with
every scene variant; seed 002 and reference A: photo avatars, Avatar IV, video avatars, webhooks). The emulator
refuses a property a variant does not list (_heygen_validate.only), naming it, with 400 invalid_parameter."""

from __future__ import annotations

GENERATE = {"caption", "title", "callback_id", "video_inputs", "dimension", "folder_id", "callback_url"}
SCENE = {"character", "voice", "background"}
DIMENSION = {"width", "height"}
OFFSET = {"x", "y"}
AVATAR_CHARACTER = {"type", "avatar_id", "scale", "avatar_style", "offset", "matting", "circle_background_color"}
TALKING_PHOTO = {"type", "talking_photo_id", "scale", "talking_photo_style", "offset", "talking_style", "expression",
                 "super_resolution", "matting", "circle_background_color"}
VOICE = {"text": {"type", "voice_id", "input_text", "speed", "pitch", "emotion", "locale", "elevenlabs_settings"},
         "audio": {"type", "audio_url", "audio_asset_id"},
         "silence": {"type", "duration"}}
ELEVENLABS = {"model", "similarity_boost", "stability", "style"}
BACKGROUND = {"color": {"type", "value"},
              "image": {"type", "url", "image_asset_id", "fit"},
              "video": {"type", "url", "video_asset_id", "play_style", "fit"}}
AV4 = {"image_key", "video_title", "script", "voice_id", "audio_url", "audio_asset_id", "video_orientation", "fit",
       "custom_motion_prompt", "enhance_custom_motion_prompt", "callback_id", "callback_url", "folder_id"}
"""Reference A's fields, plus the callback and folder fields every v2 video create takes."""
PHOTO_GENERATE = {"name", "age", "gender", "ethnicity", "orientation", "pose", "style", "appearance", "callback_url",
                  "callback_id"}
GROUP_CREATE = {"name", "image_key", "generation_id"}
GROUP_ADD = {"group_id", "image_keys", "name", "generation_id"}
TRAIN = {"group_id"}
VIDEO_AVATAR = {"training_footage_url", "video_consent_url", "avatar_name", "avatar_group_id", "callback_id",
                "callback_url"}
WEBHOOK_ADD = {"url", "events"}
