"""Napster's companion records as job updates and catalogue entries: pending -> generationCompleted -> readyToUse ->
completed; a companion is usable from readyToUse, so the job succeeds there."""

from __future__ import annotations

from avatar_mcp.models import AvatarInfo, JobError, JobResult
from avatar_mcp.providers.base import JobUpdate
from avatar_mcp.providers.napster.wire import Companion

STAGES = {"pending": (0.1, "Napster is generating the avatar."),
          "generationCompleted": (0.6, "Generation finished; Napster is getting the companion ready.")}
USABLE = frozenset({"readyToUse", "completed"})
FAILED = frozenset({"failed", "error", "rejected", "generationFailed", "canceled", "cancelled"})


def companion_update(record: Companion) -> JobUpdate:
    """Napster's status as a job update; usable (readyToUse or completed) means done."""
    status = record.status or "pending"
    if status in USABLE:
        info = companion_info(record)
        return JobUpdate(status="succeeded", progress=1.0, result=JobResult(
            avatar_id=info.avatar_id, preview_image_url=info.preview_image_url),
            message=f"The {info.kind.replace('_', ' ')} is ready to use (Napster status {status}).")
    if status in FAILED:
        message = f"Napster could not create the avatar (status {status}). Check the reference media and try again."
        return JobUpdate(status="failed", message=message, error=JobError(code=status, message=message))
    progress, message = STAGES.get(status, (None, f"Napster status: {status}."))
    return JobUpdate(status="queued" if status == "pending" else "processing", progress=progress, message=message)


def companion_info(record: Companion) -> AvatarInfo:
    name = " ".join(n for n in (record.firstName, record.lastName) if n) or record.id
    return AvatarInfo(avatar_id=record.id, name=name, provider="napster",
                      kind="digital_twin" if record.type == "digitalTwin" else "companion",
                      status="ready" if record.status in USABLE else record.status, gender=record.gender,
                      preview_image_url=record.avatarUrl)
