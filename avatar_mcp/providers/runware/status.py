"""Runware's getResponse answers as job updates: one item per generation (`numberResults` variations become
`JobResult.outputs`), each with its cost (includeCost is always set), or an `errors` item naming the task."""

from __future__ import annotations

from avatar_mcp.errors import NotFound
from avatar_mcp.models import Cost, JobError, JobResult, MediaOutput
from avatar_mcp.providers.base import JobUpdate
from avatar_mcp.providers.runware.wire import NOT_FOUND, Envelope, ResultItem

PROVIDER = "runware"


def update(answer: Envelope, task_uuid: str, expected: int, poll_after: float | None) -> JobUpdate:
    """A getResponse answer: an errors item naming the task, or a data item of status `error`, is its failure (with
    Runware's reason), except `taskFailedOrNotFound`, which may also mean "not known (yet)": that is NotFound, for
    the service's rule (a job the vendor keeps not knowing fails) and for reconcile (a task never received is sent
    again)."""
    data = [d for d in answer.data if d.taskUUID in (None, task_uuid)]
    outcomes = [(e.code, e.message) for e in answer.errors if e.taskUUID == task_uuid]
    outcomes += [d.failure() for d in data if d.status == "error"]
    for given_code, given_reason in outcomes:
        code = given_code or "taskFailed"
        reason = given_reason or code
        if code == NOT_FOUND:
            raise NotFound(f"Runware does not know task {task_uuid} (or it failed without a reason): {reason}",
                           provider=PROVIDER, status_code=404, vendor_code=code)
        message = (f"Runware could not make the video: {reason} (code {code}). "
                   + ("Change the script or avatar and try again." if "olicy" in code or "afety" in code
                      else "Nothing more will happen with this job; submit it again to retry."))
        return JobUpdate(status="failed", message=message, error=JobError(code=code, message=message),
                         poll_after=None)
    # Reference C: a success item carries videoURL; one without it has nothing to give the user yet.
    done = [d for d in data if d.status == "success" and d.videoURL]
    total = max(expected, len(data), 1)
    if done and len(done) >= total:
        return JobUpdate(status="succeeded", progress=1.0, result=result_of(done),
                         message=f"Runware finished {len(done)} video{'s' if len(done) > 1 else ''}.")
    message = "HeyGen Avatar V is rendering at Runware." + (f" {len(done)} of {total} ready." if total > 1 else "")
    return JobUpdate(status="processing", progress=len(done) / total, message=message, poll_after=poll_after)


def result_of(done: list[ResultItem]) -> JobResult:
    """The job's result: the first video at the top, further variations in `outputs`, the summed cost."""
    first, *rest = [MediaOutput(video_url=d.videoURL, captions_url=d.captions_url()) for d in done]
    costs = [d.cost for d in done if d.cost is not None]
    cost = Cost(amount=round(sum(costs), 6), unit="USD", basis=f"reported by Runware for {len(costs)} video(s)") \
        if costs else None
    return JobResult(**first.model_dump(), outputs=rest or None, cost=cost)
