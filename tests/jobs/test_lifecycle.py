"""The lifecycle table: every state is reachable, final states stay final, and the store enforces the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatar_mcp.jobs import lifecycle
from avatar_mcp.jobs.sqlite import SqliteJobStore
from avatar_mcp.jobs.store import Lease, StaleWrite, new_job_id
from avatar_mcp.models import OPEN_STATUSES, JobRecord, JobStatus
from tests.jobs.store_contract import TTL

pytestmark = pytest.mark.anyio
STATES: tuple[str, ...] = JobStatus.__args__  # type: ignore[attr-defined]


def test_every_state_is_open_or_final_and_reachable_from_creation() -> None:
    assert set(STATES) == lifecycle.OPEN | lifecycle.TERMINAL and not lifecycle.OPEN & lifecycle.TERMINAL
    assert lifecycle.OPEN == OPEN_STATUSES
    reached, frontier = {"submitting"}, ["submitting"]
    while frontier:
        state = frontier.pop()
        for target in STATES:
            if target not in reached and lifecycle.allowed(state, target):
                reached.add(target)
                frontier.append(target)
    assert reached == set(STATES)


def test_final_states_stay_final_except_a_fresh_download_of_a_success() -> None:
    for state in lifecycle.TERMINAL:
        leaving = {t for t in STATES if lifecycle.allowed(state, t)}
        assert leaving == ({"succeeded"} if state == "succeeded" else set()), state


def test_success_comes_only_with_a_result_in_place_and_user_cancels_only_what_is_safe_to_stop() -> None:
    assert lifecycle.sources_of("succeeded") == {"submitting", "queued", "processing", "finishing", "succeeded"}
    assert lifecycle.sources_of("finishing") == {"submitting", "queued", "processing"}
    assert {"queued", "processing"} == lifecycle.CANCELABLE
    assert lifecycle.sources_of("canceled") >= lifecycle.CANCELABLE
    with pytest.raises(ValueError):
        lifecycle.sources_of("needs_input")


async def test_the_store_refuses_a_transition_the_table_does_not_have(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.sqlite3")
    try:
        job = await store.create(JobRecord(id=new_job_id(), kind="video", provider="local", operation="create_video",
                                           status="queued"), owner="me:1:x", ttl=TTL)
        with pytest.raises(StaleWrite):
            await store.update(job.id, lease=Lease.of(job), expect=lifecycle.sources_of("unknown"), status="unknown")
        assert (await store.get(job.id)).status == "queued"
    finally:
        await store.close()


def test_the_documented_table_is_the_code_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md").read_text()
    rows = {line.split("|")[1].strip(): line.split("|")[2:5] for line in doc.splitlines()
            if line.startswith("| ") and line.count("|") == 6}
    for transition in lifecycle.TRANSITIONS:
        sources, targets, _ = (cell.strip() for cell in rows[transition.name])
        assert set(sources.replace("-", "").replace(",", " ").split()) == transition.sources, transition.name
        assert set(targets.replace(",", " ").split()) == transition.targets, transition.name
