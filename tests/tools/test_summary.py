"""The one sentence a text-only client shows above a job handle: it must tell the model what to do next."""

from __future__ import annotations

import pytest

from avatar_mcp.models import JobHandle
from avatar_mcp.tools._common import summary


@pytest.mark.parametrize(("after", "said"), [(0.5, "after 0.5 s"), (0.25, "after 0.2 s"), (30.0, "after 30 s"),
                                             (None, "after 5 s")])
def test_an_open_job_says_when_to_call_check_job_again(after: float | None, said: str) -> None:
    handle = JobHandle(job_id="job_1", kind="video", provider="local", status="queued", poll_after_seconds=after)
    text = summary(handle)
    assert text == f"Job job_1 (video, local) is queued, 0% done. Call check_job {said}."


@pytest.mark.parametrize(("status", "head"), [("succeeded", "has succeeded"), ("failed", "has failed"),
                                              ("canceled", "is canceled"), ("unknown", "is unknown")])
def test_a_finished_job_reads_as_a_sentence(status: str, head: str) -> None:
    handle = JobHandle(job_id="job_1", kind="video", provider="local", status=status, message="Done.")
    assert summary(handle).startswith(f"Job job_1 (video, local) {head}.")
