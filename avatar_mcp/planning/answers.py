"""From a plan and the user's answers to a complete request, or to why nothing may be submitted yet.

`settle` merges answers (a form's, or the questions' defaults) into the planned request, says which fields were
defaulted and which the user gave, asks again for anything still missing, validates the request into its spec and
checks the vendor's limits. `confirm` is the spending confirmation for clients that cannot show forms: a single-use
code bound to exactly this request, its cost and the principal asking (a digest), kept CONFIRMATION_TTL_SECONDS
beside the jobs (the service's ledger: the data dir's, or PostgreSQL's, so another server process accepts it too).
Only that code, given back by the same principal after the user approved, submits; nothing the model could say by
itself does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from avatar_mcp.checklist import Catalogue, Question, apply_answers, defaults_for, missing_fields
from avatar_mcp.errors import InvalidInput
from avatar_mcp.ledger import OneTimeFacts
from avatar_mcp.models import Cost
from avatar_mcp.planning.plan import Plan
from avatar_mcp.principals import LOCAL_PRINCIPAL

if TYPE_CHECKING:
    pass

CONFIRMATION_TTL_SECONDS = 600.0
_CONFIRMATIONS = "spend-confirmation"


@dataclass
class Settled:
    """A complete request, validated and within the vendor's limits: ready to submit."""

    plan: Plan
    request: dict[str, Any]
    spec: BaseModel
    defaults_applied: dict[str, Any]
    """Fields the user did not give, filled from the questions' defaults (path -> value)."""
    answered: dict[str, Any]
    """Fields the user gave in a form (path -> value)."""


@dataclass
class StillMissing:
    """Nothing may be submitted: these questions are still open."""

    questions: list[Question]


def settle(plan: Plan, defaulted: dict[str, Any], answered: dict[str, Any]) -> Settled | StillMissing:
    """Merge answers (form name -> value; the user's win over defaults) into the request and validate it.

    Raises InvalidInput when the complete request breaks the vendor's limits, and pydantic's ValidationError when
    it does not fit its spec."""
    merged, applied = apply_answers(plan.request, plan.questions, {**defaulted, **answered})
    by_user = {path: value for path, value in applied.items()
               if any(q.form_name in answered and path in q.path.split(",") for q in plan.questions)}
    defaults_applied = {path: value for path, value in applied.items() if path not in by_user}
    still = missing_fields(plan.operation, merged, Catalogue(), plan.needs)
    if still:
        return StillMissing(still)
    spec = plan.operation.validate(merged)
    problems = plan.limits.problems(plan.provider.name, merged) if plan.operation.speech == "scenes" else []
    if problems:
        raise InvalidInput("Nothing was submitted. " + " ".join(problems))
    return Settled(plan=plan, request=merged, spec=spec, defaults_applied=defaults_applied, answered=by_user)


def spend_digest(operation: str, provider: str, request: dict[str, Any], cost: Cost | None,
                 principal: str = LOCAL_PRINCIPAL) -> str:
    """What a confirmation code is bound to: exactly this operation, provider, complete request and cost, for the
    principal it was issued to (another tenant's code confirms nothing)."""
    canonical = json.dumps({"operation": operation, "provider": provider, "request": request,
                            "cost": cost.model_dump() if cost else None, "principal": principal},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def confirm(ledger: OneTimeFacts, settled: Settled, given: str | None) -> str | None:
    """None when `given` is a live code for exactly this request, cost and principal (it is now used up); else a
    new code for the user to approve (valid once, CONFIRMATION_TTL_SECONDS)."""
    plan = settled.plan
    digest = spend_digest(plan.operation.name, plan.provider.name, settled.request, plan.cost, plan.principal)
    if given and await ledger.redeem(_CONFIRMATIONS, given, digest):
        return None
    return await ledger.issue(_CONFIRMATIONS, digest, CONFIRMATION_TTL_SECONDS)


def defaults(plan: Plan) -> tuple[dict[str, Any], list[Question]]:
    """The answers the questions' defaults give, and the questions that have none (on_missing='default')."""
    return defaults_for(plan.questions)
