"""HeyGen: one registry entry (spec.py), two API generations as two providers over one base (provider.py).

`HEYGEN_API_VERSION` picks the provider: `v3` (default, the live API; v3.py) or `v2` (the seeds' legacy API; v2.py).
The LLM-facing tools are the same for both; what differs is said in `capabilities.notes` and in warnings. Wire
models: v2_wire.py, v3_wire.py; status mapping: v2_status.py, v3_status.py; shared pure helpers: common.py.

| operation | v2 | v3 |
|---|---|---|
| uploads | raw bytes to upload.heygen.com/v1/asset | multipart /v3/assets, direct upload above 32 MB |
| generate_photo_avatar | /v2/photo_avatar/photo/generate, ~4 candidates | /v3/avatars type prompt, 1 candidate |
| create_photo_avatar | avatar_group/create (image_key) | /v3/avatars type photo; a generated look is reused |
| train_photo_avatar | /v2/photo_avatar/train + train/status | automatic: the job follows the group |
| create_digital_twin | /v2/video_avatar with a consent video | type digital_twin + consent video or consent page |
| create_video | /v2/video/generate, every seed-001 scene variant | type avatar (1 scene) or studio |
| create_photo_video | /v2/video/av4/generate | type image |
| create_video_from_prompt | refused before any request (needs v3) | /v3/video-agents, then the video it names |
| render options | fit, motion_prompt (photo videos) | engine, resolution, fit, remove_background, expressiveness, ... |
| status | one request per job (video_status.get, photo_avatar, ...) | videos batched (/v3/videos/statuses) |
| list_avatars | /v2/avatars + /v2/avatar_group.list?include_public=true | looks, own then public, paginated |
| list_voices | /v2/voices | /v3/voices (private, then public), paginated |
| delete_avatar | photo_avatar_group, photo_avatar or video_avatar | look, else group |
| credits / webhooks | /v2/user/remaining_quota; /v1/webhook/endpoint.add | /v3/users/me; /v3/webhooks/endpoints |
| lost answer of a create | never resent: the job ends `unknown` | replayed with the job's Idempotency-Key |
"""
