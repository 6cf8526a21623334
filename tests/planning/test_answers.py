"""Settling a plan with the user's answers (planning/answers.py), without MCP: answers over defaults, what is still
missing, the vendor's limits, and spend confirmation codes bound to exactly one request and cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avatar_mcp.checklist import Catalogue, Needs, missing_fields
from avatar_mcp.errors import InvalidInput
from avatar_mcp.ledger import Ledger, ThreadedLedger
from avatar_mcp.models import Cost
from avatar_mcp.operations import CREATE_VIDEO, get
from avatar_mcp.planning import Plan, Settled, StillMissing, confirm, settle
from avatar_mcp.providers.spec import Limits
from avatar_mcp.specs import VideoSpec
from tests.fakes.countdown import CountdownProvider

VOICES = Catalogue(voices=[("cd-ann", "Ann"), ("cd-bob", "Bob")])
DEFAULT_LIMITS = Limits()


def plan(tmp_path: Path, request: dict[str, Any], limits: Limits = DEFAULT_LIMITS, principal: str = "local") -> Plan:
    op = get(CREATE_VIDEO)
    return Plan(operation=op, provider=CountdownProvider(tmp_path / "countdown"), request=request,
                questions=missing_fields(op, request, VOICES), cost=Cost(amount=1.0, basis="test"), must_confirm=True,
                needs=Needs(), limits=limits, principal=principal)


def test_the_users_answers_win_over_defaults_and_each_is_reported_as_what_it_was(tmp_path: Path) -> None:
    planned = plan(tmp_path, {"scenes": [{"avatar_id": "cd-avatar", "script": "Hi."}]})
    settled = settle(planned, {"voice_id": "cd-ann", "orientation": "landscape"}, {"voice_id": "cd-bob"})
    assert isinstance(settled, Settled) and isinstance(settled.spec, VideoSpec)
    assert settled.spec.scenes[0].voice_id == "cd-bob" and settled.spec.orientation == "landscape"
    assert settled.answered == {"scenes.0.voice_id": "cd-bob"}
    assert settled.defaults_applied == {"orientation": "landscape"}
    assert "voice_id" not in planned.request["scenes"][0]  # the plan's request is left as it was


def test_a_question_without_an_answer_or_a_default_is_still_missing(tmp_path: Path) -> None:
    planned = plan(tmp_path, {"orientation": "square", "scenes": [{"script": "Hi.", "voice_id": "cd-ann"}]})
    still = settle(planned, {}, {})
    assert isinstance(still, StillMissing) and [q.path for q in still.questions] == ["scenes.0.avatar_id"]


def test_a_request_over_the_vendors_limits_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    scene = {"avatar_id": "cd-avatar", "script": "Hi.", "voice_id": "cd-ann"}
    planned = plan(tmp_path, {"orientation": "square", "scenes": [scene, scene]}, Limits(max_scenes=1))
    with pytest.raises(InvalidInput, match=r"^Nothing was submitted\. countdown takes at most 1 scene"):
        settle(planned, {}, {})


@pytest.mark.anyio
async def test_a_confirmation_code_submits_once_and_only_the_request_it_was_issued_for(tmp_path: Path) -> None:
    scene = {"avatar_id": "cd-avatar", "script": "Hi.", "voice_id": "cd-ann"}
    one = settle(plan(tmp_path, {"orientation": "square", "scenes": [scene]}), {}, {})
    other = settle(plan(tmp_path, {"orientation": "portrait", "scenes": [scene]}), {}, {})
    tenant = settle(plan(tmp_path, {"orientation": "square", "scenes": [scene]}, principal="acme-corp"), {}, {})
    assert isinstance(one, Settled) and isinstance(other, Settled) and isinstance(tenant, Settled)
    ledger = ThreadedLedger(Ledger(tmp_path))
    code = await confirm(ledger, one, None)
    assert code is not None
    assert await confirm(ledger, other, code) is not None  # bound to the first request: a new code instead
    assert await confirm(ledger, tenant, code) is not None  # and to the principal it was issued to
    assert await confirm(ledger, one, code) is None  # redeemed
    assert await confirm(ledger, one, code) is not None  # used up
