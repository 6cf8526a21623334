"""Submissions through the work queue (AVATAR_MCP_WORK=workers): the replica writes the job, a worker sends it.

The replica inserts the job in `submitting` WITHOUT a lease (epoch 0) and marked `queued` in its request, defers
its first step and waits (briefly) for a worker's answer, relaying its progress. A worker's step claims the job:
a claim that yields epoch 1 on a queued job is the first lease it ever had, so nothing can have been sent yet, and
the worker sends it exactly as an embedded server would (AvatarService._send). Any later claim of a job still in
`submitting` (its worker died mid-create) has epoch 2 or more and is reconciled as usual: replayed with the same
request key where the vendor allows it, else `unknown`, never resent blindly.

A refusal before anything was sent (a photo without a face, a vendor's validation) fails the queued job with the
reason (the replica raises it to its caller, as an embedded server does), rather than deleting it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio

from avatar_mcp import operations
from avatar_mcp.errors import AvatarError
from avatar_mcp.jobs.store import StaleWrite
from avatar_mcp.models import JobRecord

if TYPE_CHECKING:
    from avatar_mcp.providers.base import ProgressFn
    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)

QUEUED = "queued"
"""The request key that marks a job submitted through the queue."""
SUBMIT_WAIT_SECONDS = 120.0
"""How long a replica waits for a worker to send a submission before answering with the `submitting` handle."""
REPORT_SECONDS = 0.5
WAITING = "Waiting for a worker to submit it."


class SubmissionRefused(AvatarError):
    """The worker refused the submission before anything was sent; the job failed with this reason."""

    code = "submission_refused"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def is_first_claim(job: JobRecord) -> bool:
    """A queued job in `submitting` whose lease was never held before this claim: nothing was sent."""
    return job.status == "submitting" and bool(job.request.get(QUEUED)) and job.lease_epoch == 1


async def queue_submission(service: AvatarService, record: JobRecord, report: ProgressFn | None) -> JobRecord:
    """Insert the job unleased, defer its first step, and wait up to SUBMIT_WAIT_SECONDS for a worker to send it;
    returns the job as it then is. Raises SubmissionRefused when the worker refused it before sending."""
    assert service.queue is not None
    job = await service.store.create(record.model_copy(update={"request": {**record.request, QUEUED: True},
                                                               "message": WAITING}))
    await service.queue.schedule(job)
    reported: tuple[float, str | None] | None = None
    with anyio.move_on_after(SUBMIT_WAIT_SECONDS):
        while job.status == "submitting":
            if report is not None and (job.progress, job.message) != reported and job.message != WAITING:
                reported = (job.progress, job.message)
                await report(job.progress, job.message or "Submitting.")
            await service.events.wait(job.id, 0.25)
            if await service.store.version(job.id) != job.version:
                job = await service.store.get(job.id)
    history = await service.store.history(job.id)
    if job.status == "failed" and job.error is not None and [c.source for c in history][-1] == "submitting":
        raise SubmissionRefused(job.error.message, retryable=job.error.retryable)
    return job


async def send_stored(service: AvatarService, job: JobRecord) -> JobRecord:
    """A worker's first claim of a queued submission: rebuild the create from the stored request and send it under
    this lease, relaying upload progress into the job (where the waiting replica reads it)."""
    engine = service.engine
    lease = engine.keeper.hold(job)
    provider = service.providers.for_job(job)
    spec = operations.get(job.operation).stored(job)
    generation = None
    pick = (job.request.get("arguments") or {}).get("from_generation")
    if isinstance(pick, dict) and pick.get("job_id"):
        generation = await service.store.get(str(pick["job_id"]))
    last = -REPORT_SECONDS

    async def relay(fraction: float, message: str) -> None:
        nonlocal last
        now = anyio.current_time()
        if now - last < REPORT_SECONDS:
            return
        last = now
        try:
            await engine.commit(lease, expect=("submitting",), progress=max(0.0, min(1.0, fraction)),
                                message=message)
        except StaleWrite:
            logger.info("job %s: progress of its submission not recorded (the lease is gone)", job.id)

    try:
        return await service._send(job, lease, provider, spec, generation, relay)
    except AvatarError as exc:  # already recorded on the job (failed or reconciled); the replica reports it
        logger.info("queued submission %s refused: %s", job.id, exc)
        return await service.store.get(job.id)
