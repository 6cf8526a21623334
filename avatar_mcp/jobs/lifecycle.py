"""The job lifecycle in one table: every state, every transition, who may make it, and what it carries.

Each transition is ONE store transaction that records its data together with the new state, so a crash leaves
the job in exactly one of the states below, never between two. Work on a job (submitting, polling, rendering,
downloading) is done only by the process holding the job's lease, and every write of that work is fenced by
the lease (jobs/store.py); `anyone` transitions are user actions that need no lease and end it.

    state        a process that takes over an expired lease in this state ...
    submitting   reconciles: replays the create with the same request key where the vendor allows it, else
                 marks the job `unknown` (never resent blindly: nothing is paid twice)
    queued       vendor job: polls it. Local job: renders it (again, in a fresh attempt folder)
    processing   the same as queued
    finishing    downloads the outputs not yet in place (the vendor's result is already recorded), then succeeds
    succeeded, failed, canceled, unknown: final; nothing resumes

A job becomes `succeeded` in the same transaction that records its result, and only after every output is in
place: a finished vendor job goes through `finishing` (result with URLs recorded, downloads next), a local
render moves its files from its attempt folder into the job's folder first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from avatar_mcp.models import OPEN_STATUSES

TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "canceled", "unknown"})
OPEN: frozenset[str] = OPEN_STATUSES
CANCELABLE: frozenset[str] = frozenset({"queued", "processing"})
"""Not `submitting` (the create may be reaching the vendor: its answer must be recorded) nor `finishing` (the
vendor has finished and charged; only the download is left)."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    by: Literal["creator", "owner", "anyone"]
    carries: str


def _t(name: str, sources: str, targets: str, by: Literal["creator", "owner", "anyone"], carries: str) -> Transition:
    return Transition(name, frozenset(sources.split()), frozenset(targets.split()), by, carries)


TRANSITIONS: tuple[Transition, ...] = (
    _t("create", "", "submitting", "creator",
       "the request as submitted; the row is inserted with the creator's lease, before the vendor is called"),
    _t("accepted", "submitting", "queued processing", "owner",
       "the vendor's id and state, the expected time, the first poll; a vendor job's lease is released"),
    _t("progress", "queued processing", "queued processing", "owner",
       "progress, message, vendor state and the next poll (the lease is released after each poll)"),
    _t("vendor_done", "submitting queued processing", "finishing", "owner",
       "the vendor's result with its URLs; the downloads come next, under the same lease"),
    _t("succeeded", "submitting queued processing finishing", "succeeded", "owner",
       "the result with the local paths of outputs already in place; the lease ends"),
    _t("redownloaded", "succeeded", "succeeded", "owner", "fresh local copies (download_result)"),
    _t("failed", "submitting queued processing finishing", "failed", "owner", "the error; the lease ends"),
    _t("unknown", "submitting", "unknown", "owner",
       "advice: the create may have reached a vendor that cannot be asked, so it is not resent"),
    _t("canceled", "queued processing", "canceled", "anyone", "the reason; any lease ends (its holder stops)"),
)


def sources_of(target: str) -> frozenset[str]:
    """The states a job may be in for a write that leaves it in `target` (the store checks this condition)."""
    found: set[str] = set()
    for transition in TRANSITIONS:
        if target in transition.targets:
            found |= transition.sources
    if not found:
        raise ValueError(f"no transition leads to {target!r}")
    return frozenset(found)


def allowed(source: str, target: str) -> bool:
    return any(source in t.sources and target in t.targets for t in TRANSITIONS)


# ---------------------------------------------------------------------------------------------- crash points

Step = Literal[
    "created",          # the row exists (submitting, leased); the vendor was not called yet
    "vendor_accepted",  # the vendor answered the create; its answer is not recorded yet
    "vendor_done",      # `finishing` is recorded with the vendor's result; nothing downloaded yet
    "downloading",      # a download of an output has started
    "downloaded",       # every output is in place; `succeeded` is not recorded yet
    "rendered",         # a local render finished in its attempt folder; nothing moved into place yet
]
"""The named points between two transactions of the lifecycle. The fault-injection tests stop the process at
each one and show that the job resumes to the right end state."""

_crash_hook: Callable[[str, str], None] | None = None


def reached(step: Step, job_id: str) -> None:
    """Mark a point between two transactions; does nothing unless a fault-injection test installed a hook."""
    if _crash_hook is not None:
        _crash_hook(step, job_id)


def install_crash_hook(hook: Callable[[str, str], None] | None) -> None:
    """For fault-injection tests only: `hook(step, job_id)` runs at every step (it may kill the process)."""
    global _crash_hook
    _crash_hook = hook
