"""What a spending tool says when nothing was submitted (declined, needs_input, needs_confirmation), and the
message above its form: words for the assistant and the user, from a plan (planning/plan.py)."""

from __future__ import annotations

from avatar_mcp.checklist import NO_DEFAULT, Question
from avatar_mcp.models import JobHandle
from avatar_mcp.planning import Plan, cost_sentence
from avatar_mcp.planning.answers import CONFIRMATION_TTL_SECONDS
from avatar_mcp.tools._common import field_words

CONFIRM = "confirm_spend"


def form_message(plan: Plan, pending: list[Question]) -> str:
    """The text shown above a form."""
    op = plan.operation
    text = (f"To {op.title} with {plan.provider.title}, please fill in what is missing. Suggested values are "
            f"filled in.")
    if plan.cost is not None:
        text += f" Estimated cost: {plan.cost.amount:g} {plan.cost.unit} ({plan.cost.basis})."
    tips = op.tips(plan.request, pending) if op.tips else None
    return f"{text} {tips}" if tips else text


def declined_form(action: str) -> JobHandle:
    """Nothing submitted because the user declined or cancelled the form."""
    verb = "declined" if action == "decline" else "cancelled"
    return JobHandle(status="declined", message=f"Nothing was submitted: the user {verb} the form. Ask what they "
                                                f"would like to change, then call again.")


def declined_cost(plan: Plan) -> JobHandle:
    """Nothing submitted because the user did not approve the cost in the form."""
    return JobHandle(status="declined", estimated_cost=plan.cost,
                     message="Nothing was submitted: the user did not confirm the cost.")


def needs_input(plan: Plan, questions: list[Question], on_missing: str) -> JobHandle:
    """Nothing submitted: the questions to ask. on_missing='default' is suggested only where it would help."""
    names = ", ".join(field_words(q.path) for q in questions)
    op = plan.operation
    message = f"Nothing was submitted. To {op.title}, ask the user for: {names}. Then call again with those arguments."
    unanswerable = [field_words(q.path) for q in questions if q.default is NO_DEFAULT and q.form_name != CONFIRM]
    if on_missing == "ask" and len(unanswerable) < len(questions):
        message += " (Or on_missing='default' to accept the suggested defaults.)"
    if unanswerable:
        message += (f" {', '.join(unanswerable)} {'has' if len(unanswerable) == 1 else 'have'} no default: each "
                    f"question says what to answer.")
    tips = op.tips(None, questions) if op.tips else None
    if tips:
        message += " " + tips
    return JobHandle(status="needs_input", provider=plan.provider.name, missing=[q.as_missing() for q in questions],
                     estimated_cost=plan.cost, message=message)


def needs_confirmation(plan: Plan, code: str, *, stale: bool) -> JobHandle:
    """Nothing submitted until the user approves the cost: the single-use code to call again with."""
    note = " The confirm_spend given was not a live code for exactly this request and cost." if stale else ""
    return JobHandle(
        status="needs_confirmation", provider=plan.provider.name, estimated_cost=plan.cost, confirmation_code=code,
        message=f"Nothing was submitted: this server asks the user to approve every paid submission. "
                f"{cost_sentence(plan.cost)} Show the user this cost and ask whether to go ahead. Only if they "
                f"agree, call {plan.operation.name} again with exactly the same arguments and confirm_spend='{code}' "
                f"(it works once, for this request only, for {CONFIRMATION_TTL_SECONDS / 60:.0f} minutes).{note}")
