"""Creatify's records as job updates and catalogue entries: a persona's process_status through every stage of seed
003, a lipsync's status with Creatify's own progress and the credits it used."""

from __future__ import annotations

from typing import Any

from avatar_mcp.models import AvatarInfo, Cost, JobError, JobResult, Voice
from avatar_mcp.providers.base import JobUpdate
from avatar_mcp.providers.creatify.wire import GENDER_NAMES, PROVIDER, LipsyncRecord, Persona, VoiceRecord

PERSONA_STAGES = {
    "pending": "Waiting for Creatify to start.",
    "processing": "Processing the footage.",
    "voice_creating": "Creating the matching voice.",
    "video_validating": "Validating the video.",
    "crop_and_matte": "Cropping and matting the footage.",
    "reviewing": "In review at Creatify (custom avatars take 1-5 days).",
}
"""process_status values of seed 003 before `done`, in order, with what they mean."""
LIPSYNC_QUEUED = frozenset({"pending", "in_queue"})


def persona_update(record: Persona) -> JobUpdate:
    """A persona's process_status as a job update: done succeeds, failed and rejected fail with the reason."""
    status = record.process_status or "pending"
    reason = record.failed_reason or "no reason given"
    if status == "done":
        info = persona_info(record)
        return JobUpdate(status="succeeded", progress=1.0,
                         message="The custom avatar is ready: use result.avatar_id in create_video.",
                         result=JobResult(avatar_id=info.avatar_id, preview_image_url=info.preview_image_url,
                                          default_voice_id=info.default_voice_id))
    if status == "rejected":
        message = (f"Creatify rejected the custom avatar: {reason}. Fix what the reason says (for example record a "
                   f"new consent video of the same person) and call create_digital_twin again.")
        return JobUpdate(status="failed", message=message, error=JobError(code="rejected", message=message))
    if status == "failed":
        message = f"Creatify could not create the custom avatar: {reason}. Check the footage and try again."
        return JobUpdate(status="failed", message=message, error=JobError(code="failed", message=message))
    stages = list(PERSONA_STAGES)
    if status not in PERSONA_STAGES:
        return JobUpdate(status="processing", message=f"Creatify status: {status}.")
    position = stages.index(status)
    return JobUpdate(status="queued" if position == 0 else "processing", progress=position / len(stages),
                     message=PERSONA_STAGES[status])


def lipsync_update(record: LipsyncRecord) -> JobUpdate:
    """A lipsync's status as a job update, with Creatify's own progress and the credits it used."""
    status = record.status or "pending"
    progress = _fraction(record.progress)
    if status == "done" and not record.output:
        # Reference B: a done lipsync carries `output`; without it there is nothing to give the user yet.
        return JobUpdate(status="processing", progress=progress if progress is not None else 0.99,
                         message="Creatify says the video is done but has not given its URL yet; asking again.")
    if status == "done":
        cost = Cost(amount=record.credits_used, unit="credits", basis="reported by Creatify") \
            if record.credits_used is not None else None
        return JobUpdate(status="succeeded", progress=1.0, message="The video is ready.", result=JobResult(
            video_url=record.output, thumbnail_url=record.video_thumbnail, cost=cost,
            duration_seconds=record.duration))
    if status == "failed":
        message = (f"Creatify could not make the video: {record.failed_reason or 'no reason given'}. Submit it "
                   f"again, or change the script or avatar.")
        return JobUpdate(status="failed", message=message, error=JobError(code="failed", message=message))
    if status in LIPSYNC_QUEUED:
        return JobUpdate(status="queued", progress=progress, message=f"Waiting in Creatify's queue ({status}).")
    return JobUpdate(status="processing", progress=progress, message=f"Creatify is rendering ({status}).")


def _fraction(value: Any) -> float | None:
    """`progress` arrives as a string fraction ("0.33"); tolerate numbers and percentages."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 100 if number > 1 else number


def persona_info(record: Persona) -> AvatarInfo:
    status = record.process_status
    return AvatarInfo(avatar_id=record.id, name=record.creator_name or record.id, provider=PROVIDER, kind="persona",
                      status="ready" if status == "done" else status,
                      gender=GENDER_NAMES.get(str(record.gender), record.gender), preview_image_url=record.preview(),
                      default_voice_id=record.matching_voice_non_null or None)


def voices(records: list[VoiceRecord]) -> list[Voice]:
    """Every accent of every voice: the accent id is the voice id lipsyncs take."""
    found = []
    for voice in records:
        gender = (voice.gender or "").replace("_", "-") or None
        for accent in voice.accents:
            if not accent.id:
                continue
            name = f"{voice.name or 'Voice'} ({accent.accent_name or 'accent'})"
            found.append(Voice(voice_id=accent.id, name=name, provider=PROVIDER, gender=gender,
                               preview_url=accent.preview_url, description=accent.accent_name))
    return found
