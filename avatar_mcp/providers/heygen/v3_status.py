"""HeyGen v3 statuses as job updates and catalogue entries (pure functions over the v3 wire answers).

Videos: pending|processing|completed|failed (any other non-terminal word counts as running). Looks and groups:
processing|pending_consent|failed|completed; a look is usable once it is `completed` AND has a preview image with
a size (SK's readiness rule), so until then it is reported as still processing.
"""

from __future__ import annotations

from typing import Literal

from avatar_mcp.models import AvatarInfo, Candidate, JobRecord, JobStatus
from avatar_mcp.providers.base import JobUpdate
from avatar_mcp.providers.heygen import v3_wire as wire
from avatar_mcp.providers.heygen.common import PROVIDER, failed, result_with

KINDS: dict[str, Literal["photo", "digital_twin", "stock"]] = {
    "photo_avatar": "photo", "digital_twin": "digital_twin", "studio_avatar": "stock"}


def consent_message(url: str) -> str:
    return (f"Consent needed before HeyGen trains this digital twin: send this link to the person filmed, who opens "
            f"it and confirms: {url} . Training starts once they have; check_job follows the job meanwhile (it stays "
            f"'processing' until then).")


def look_state(look: wire.Look) -> str:
    """The look's status, with `completed` held back until its preview image and size exist."""
    status = look.status or "completed"
    if status == "completed" and not (look.preview_image_url and (look.image_width or 0) > 0
                                      and (look.image_height or 0) > 0):
        return "processing"
    return status


def look_info(look: wire.Look) -> AvatarInfo:
    kind = KINDS.get(look.avatar_type or "", "stock")
    return AvatarInfo(avatar_id=look.id, name=look.name or look.id, provider=PROVIDER, kind=kind,
                      status=look_state(look), gender=look.gender, preview_image_url=look.preview_image_url,
                      default_voice_id=look.default_voice_id)


def look_update(look: wire.Look, job: JobRecord) -> JobUpdate:
    """A photo, prompt or digital-twin look being made."""
    state = look_state(look)
    consent_url = job.vendor_state.get("consent_url")
    if state == "failed":
        reason = (look.error.message if look.error else None) or "no reason given"
        return failed(f"heygen_{(look.error.code if look.error else None) or 'avatar_failed'}",
                      f"HeyGen could not make the avatar: {reason}.")
    if state == "pending_consent":
        url = str(consent_url) if consent_url else None
        message = consent_message(url) if url else "Waiting for the consent of the person filmed."
        return JobUpdate(status="processing", progress=0.05, message=message,
                         result=result_with([], consent_url=url) if url else None)
    if state != "completed":
        return JobUpdate(status="processing", progress=0.5, message=f"HeyGen: {look.status or 'processing'}.")
    if job.operation == "generate_photo_avatar":
        candidate = Candidate(index=0, image_url=look.preview_image_url, key=look.id)
        return JobUpdate(status="succeeded", progress=1.0, result=result_with(
            [], candidates=[candidate], avatar_id=look.id, avatar_group_id=look.group_id),
            message=f"HeyGen v3 made one photo, already usable as avatar {look.id}: call create_photo_avatar with "
                    f"from_generation={{job_id, index: 0}} to name it, or use the avatar_id directly.")
    return ready(look)


def ready(look: wire.Look) -> JobUpdate:
    return JobUpdate(status="succeeded", progress=1.0, message="The avatar is ready for create_video.",
                     result=result_with([], avatar_id=look.id, avatar_group_id=look.group_id,
                                        preview_image_url=look.preview_image_url,
                                        default_voice_id=look.default_voice_id))


def group_update(group: wire.Group, job: JobRecord) -> JobUpdate:
    """v3 has no training call: a train job follows the group until HeyGen reports it completed."""
    avatar_id = str(job.vendor_state.get("look_id") or group.id)
    if group.status == "completed":
        return JobUpdate(status="succeeded", progress=1.0, message="HeyGen has finished the avatar group.",
                         result=result_with([], avatar_id=avatar_id, avatar_group_id=group.id,
                                            preview_image_url=group.preview_image_url))
    if group.status == "failed":
        reason = (group.error.message if group.error else None) or "no reason given"
        return failed("training_failed", f"HeyGen could not finish the avatar group: {reason}.")
    return JobUpdate(status="processing", progress=0.5, message=f"HeyGen: {group.status or 'processing'}.")


RUNNING: dict[str, tuple[JobStatus, float]] = {"pending": ("queued", 0.1), "waiting": ("queued", 0.05),
                                               "queued": ("queued", 0.1), "processing": ("processing", 0.5)}
"""Running statuses of GET /v3/videos/{id} (pending, processing; `waiting` in the spec's example) and of the
statuses batch (queued, processing)."""


def video_running(status: str, job: JobRecord, code: str | None = None, reason: str | None = None) -> JobUpdate:
    """A video that has not (or not successfully) finished, from GET /v3/videos/{id} or the statuses batch."""
    if status == "failed":
        return failed(f"heygen_{code or 'render_failed'}", f"HeyGen could not render the video: "
                                                           f"{reason or 'no reason given'}. Failed renders are "
                                                           f"refunded; fix the request and submit it again.")
    state, progress = RUNNING.get(status, ("processing", 0.5))
    return JobUpdate(status=state, progress=progress, message=f"HeyGen: {status}.")


def video(answer: wire.Video, job: JobRecord) -> JobUpdate:
    if answer.status != "completed" or not answer.video_url:
        return video_running("processing" if answer.status == "completed" else answer.status, job,
                             answer.failure_code, answer.failure_message)
    captioned = bool(job.vendor_state.get("caption")) and answer.captioned_video_url
    warnings = [str(w) for w in job.vendor_state.get("warnings") or []]
    result = result_with(warnings, video_url=answer.captioned_video_url if captioned else answer.video_url,
                         thumbnail_url=answer.thumbnail_url, captions_url=answer.subtitle_url,
                         duration_seconds=answer.duration)
    return JobUpdate(status="succeeded", progress=1.0, message="HeyGen finished the video.", result=result)


AGENT_RUNNING = {"thinking": "is writing the video", "reviewing": "is reviewing the video",
                 "generating": "is rendering the video"}
AGENT_SHARE = 0.5
"""Share of the progress bar the agent session fills before its video can be followed on its own."""
AGENT_NAMELESS_POLLS = 10
"""Polls a completed session may go without naming its video before the job is given up."""


def agent_update(session: wire.AgentSession, job: JobRecord) -> JobUpdate | None:
    """A Video Agent session in generate mode; None once it names its video (the job then follows the video)."""
    if session.video_id and session.status != "failed":
        return None
    said = [m.content for m in session.messages if m.role == "model" and m.content]
    errors = [m.content for m in session.messages if m.type == "error" and m.content]
    if session.status == "failed":
        reason = errors[-1] if errors else (said[-1] if said else "no reason given")
        return failed("heygen_agent_failed", f"HeyGen's Video Agent could not make the video: {reason}. Nothing is "
                                             f"charged for a failed video; change the prompt and try again.")
    if session.status == "waiting_for_input":
        question = f" It asked: {said[-1]!r}." if said else ""
        return failed("heygen_agent_needs_input", f"HeyGen's Video Agent stopped to ask a question instead of making "
                                                  f"the video.{question} Call create_video_from_prompt again with "
                                                  f"a prompt that answers it (topic, audience, tone, length, avatar).")
    if session.status == "completed":
        if job.poll_count >= AGENT_NAMELESS_POLLS:
            return failed("heygen_agent_no_video", "HeyGen's Video Agent finished without naming a video; look for "
                                                   "it in the HeyGen dashboard.")
        return JobUpdate(status="processing", progress=AGENT_SHARE, message="HeyGen's Video Agent has finished; "
                                                                            "waiting for it to name the video.")
    share = max(0.0, min(100.0, session.progress or 0.0)) / 100 * AGENT_SHARE
    doing = AGENT_RUNNING.get(session.status, f"is at {session.status!r}")
    return JobUpdate(status="processing", progress=max(share, 0.05), message=f"HeyGen's Video Agent {doing}.")


def agent_video(update: JobUpdate, job: JobRecord) -> JobUpdate:
    """A prompt video's render, after its agent session: still running means past the agent's share of the bar."""
    if job.operation != "create_video_from_prompt" or update.status not in ("queued", "processing"):
        return update
    return update.model_copy(update={"status": "processing", "progress": max(
        update.progress or 0.0, job.progress or 0.0, AGENT_SHARE)})
