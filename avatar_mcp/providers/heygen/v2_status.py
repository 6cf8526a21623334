"""HeyGen v1/v2 statuses as job updates and catalogue entries (pure functions over the v2 wire answers).

Status words (reference A, seed 002): videos waiting|pending|processing|completed|failed; AI photos
pending|processing|success|failed; photo avatars pending|completed|failed; training pending|training|ready|failed;
digital twins in_progress|completed|failed. Finished URLs are signed and expire after 7 days: the service
downloads them at once.
"""

from __future__ import annotations

from avatar_mcp.models import AvatarInfo, Candidate, JobRecord, JobStatus
from avatar_mcp.providers.base import JobUpdate
from avatar_mcp.providers.heygen import v2_wire as wire
from avatar_mcp.providers.heygen.common import PROVIDER, failed, result_with

VIDEO_PROGRESS: dict[str, tuple[JobStatus, float]] = {
    "waiting": ("queued", 0.05), "pending": ("queued", 0.1), "processing": ("processing", 0.5)}


def video(answer: wire.VideoStatus, job: JobRecord) -> JobUpdate:
    warnings = [str(w) for w in job.vendor_state.get("warnings") or []]
    if answer.status == "completed" and answer.video_url:
        captioned = bool(job.vendor_state.get("caption")) and answer.video_url_caption
        result = result_with(warnings, video_url=answer.video_url_caption if captioned else answer.video_url,
                             thumbnail_url=answer.thumbnail_url, captions_url=answer.caption_url,
                             duration_seconds=answer.duration)
        return JobUpdate(status="succeeded", progress=1.0, message="HeyGen finished the video.", result=result)
    if answer.status == "failed":
        error = answer.error
        code = str(error.code) if error is not None and error.code is not None else "render_failed"
        reason = (error.message or error.detail) if error is not None else None
        return failed(f"heygen_{code}", f"HeyGen could not render the video: {reason or 'no reason given'}. Nothing "
                                        f"is charged for a failed render; fix the request and submit it again.")
    state, progress = VIDEO_PROGRESS.get(answer.status, ("processing", 0.5))
    return JobUpdate(status=state, progress=progress, message=f"HeyGen: {answer.status}.")


def generation(answer: wire.Generation) -> JobUpdate:
    if answer.status == "success":
        urls, keys = answer.image_url_list or [], answer.image_key_list or []
        candidates = [Candidate(index=i, image_url=url, key=keys[i] if i < len(keys) else None)
                      for i, url in enumerate(urls)]
        return JobUpdate(status="succeeded", progress=1.0, result=result_with([], candidates=candidates),
                         message=f"{len(candidates)} photos to choose from: call create_photo_avatar with "
                                 f"from_generation={{job_id, index}}.")
    if answer.status == "failed":
        return failed("generation_failed", f"HeyGen could not generate the photos: {answer.msg or 'no reason given'}."
                                           f" Change the appearance text and try again.")
    return JobUpdate(status="processing" if answer.status == "processing" else "queued",
                     progress=0.5 if answer.status == "processing" else 0.1, message=f"HeyGen: {answer.status}.")


def photo_avatar(answer: wire.PhotoAvatar) -> JobUpdate:
    if answer.status == "completed":
        return JobUpdate(status="succeeded", progress=1.0, message="The photo avatar is ready for create_video.",
                         result=result_with([], avatar_id=answer.id, avatar_group_id=answer.group_id or answer.id,
                                            preview_image_url=answer.image_url))
    if answer.status == "failed":
        return failed("photo_avatar_failed", "HeyGen could not make a photo avatar from this photo. Use a sharp, "
                                             "well-lit, front-facing photo of one person (at least 512x512).")
    return JobUpdate(status="processing", progress=0.5, message=f"HeyGen: {answer.status or 'processing'}.")


def training(group_id: str, answer: wire.TrainStatus) -> JobUpdate:
    if answer.status == "ready":
        return JobUpdate(status="succeeded", progress=1.0, message="Training finished.",
                         result=result_with([], avatar_id=group_id, avatar_group_id=group_id))
    if answer.status == "failed":
        return failed("training_failed", f"HeyGen could not train the group: {answer.error_msg or 'no reason given'}.")
    return JobUpdate(status="processing" if answer.status == "training" else "queued",
                     progress=0.5 if answer.status == "training" else 0.1, message=f"HeyGen: {answer.status}.")


def twin(answer: wire.Twin) -> JobUpdate:
    if answer.status == "completed":
        return JobUpdate(status="succeeded", progress=1.0, message="The digital twin is ready for create_video.",
                         result=result_with([], avatar_id=answer.avatar_id, avatar_group_id=answer.avatar_group_id,
                                            preview_image_url=answer.preview_image_url,
                                            default_voice_id=answer.default_voice_id))
    if answer.status == "failed":
        return failed("digital_twin_failed", f"HeyGen could not create the digital twin: "
                                             f"{answer.error_message or 'no reason given'}. See "
                                             f"avatar://guides/reference-video for footage tips.")
    return JobUpdate(status="processing", progress=0.3, message=f"HeyGen: {answer.status} (this takes hours).")


def stock_avatar(avatar: wire.StockAvatar) -> AvatarInfo:
    return AvatarInfo(avatar_id=avatar.avatar_id, name=avatar.avatar_name or avatar.avatar_id, provider=PROVIDER,
                      kind="digital_twin" if avatar.type == "digital_twin" else "stock", status="completed",
                      gender=avatar.gender, preview_image_url=avatar.preview_image_url,
                      default_voice_id=avatar.default_voice_id)


def photo_info(answer: wire.PhotoAvatar) -> AvatarInfo:
    return AvatarInfo(avatar_id=answer.id, name=answer.name or answer.id, provider=PROVIDER, kind="photo",
                      status=answer.status or "completed", preview_image_url=answer.image_url)


def twin_info(answer: wire.Twin) -> AvatarInfo:
    return AvatarInfo(avatar_id=answer.avatar_id, name=answer.avatar_name or answer.avatar_id, provider=PROVIDER,
                      kind="digital_twin", status=answer.status, preview_image_url=answer.preview_image_url,
                      default_voice_id=answer.default_voice_id)
