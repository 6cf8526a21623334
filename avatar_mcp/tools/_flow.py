"""The MCP side of every tool that spends: resolvers that ask, and the body that submits (planning is the service's:
planning/).

`Flow(operation, request)` gives a spending tool two resolvers, in both protocol eras:
- `flow.plan` reads the tool's arguments by name, builds the request (the tool's own `request` function) and asks
  the service for its plan (AvatarService.plan): once per protocol round, shared by everything below (the SDK
  memoises a resolver within a call);
- `flow.ask` (depends on `flow.plan`) answers `Ready` when nothing is missing (or everything was defaulted), an
  `Elicit` form with only the missing fields when the client can show forms, or `NeedsInput` when it cannot.
The tool body receives both and calls `run`, which settles the answers (planning/answers.py) and submits, or
answers the handle saying why nothing was submitted (tools/_answers.py).

Spending confirmation (AVATAR_MCP_CONFIRM_SPEND=true) belongs to the user, never to the model: a client that can
show forms gets the yes/no question in the form (whatever `confirm_spend` says); a client that cannot gets a
`needs_confirmation` answer with a single-use code bound to exactly this request and its cost. Only that code,
passed back as `confirm_spend` after the user approved, submits; `confirm_spend: true` alone never does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.resolve import AcceptedElicitation
from mcp_types import CallToolResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, create_model

from avatar_mcp.app import service_of
from avatar_mcp.checklist import NO_DEFAULT, Question
from avatar_mcp.guard import FORM_MODEL, refuse_control_characters
from avatar_mcp.planning import Plan, Settled, StillMissing, confirm, cost_sentence, defaults, settle
from avatar_mcp.principals import principal_of
from avatar_mcp.tools import _answers
from avatar_mcp.tools._common import job_result, tool_errors

if TYPE_CHECKING:
    from avatar_mcp.models import JobRecord

OnMissing = Literal["ask", "default"]
Confirmation = bool | str
"""What a tool's `confirm_spend` carries: a confirmation code from a needs_confirmation answer (a bool is ignored)."""
MAX_FORM_CHOICES = 40
CONFIRM = _answers.CONFIRM
_MODERN = "2026-07-28"


@dataclass
class Call:
    """One tool call as its resolvers and body see it: the plan, and how the caller wants gaps treated."""

    plan: Plan
    on_missing: OnMissing = "ask"
    confirmed: Confirmation = False


@dataclass
class Ready:
    """Nothing to ask: these answers (form name -> value) came from defaults."""

    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class NeedsInput:
    """The client cannot show a form: these questions go back to the assistant."""

    questions: list[Question]


class Flow:
    """The two resolvers of one spending tool (see the module docstring).

    `request` is the tool's function from its arguments (by name) to the request dict; the tool itself must also
    take `provider` and `confirm_spend`, and `on_missing` unless `on_missing=False` (the tool always asks).
    """

    def __init__(self, operation: str, request: Callable[..., dict[str, Any]], *, on_missing: bool = True) -> None:
        self.operation = operation
        fields = list(inspect.signature(request).parameters)
        extra = ["provider", "confirm_spend", *(["on_missing"] if on_missing else [])]

        async def plan(**arguments: Any) -> Call:
            ctx = arguments.pop("ctx")
            provider, confirmed = arguments.pop("provider"), arguments.pop("confirm_spend")
            how: OnMissing = arguments.pop("on_missing", "ask")
            with tool_errors():
                service = await service_of(ctx)
                planned = await service.plan(operation, request(**arguments), provider, principal=principal_of(ctx))
            return Call(planned, how, confirmed)

        async def ask(ctx: Context[Any, Any], call: Call) -> Ready | NeedsInput | Elicit[BaseModel]:
            return _ask(ctx, call)

        self.plan = _resolver(plan, f"Flow[{operation}].plan", {"ctx": Context[Any, Any],
                                                                   **dict.fromkeys([*extra, *fields], Any)}, Call)
        self.ask = _resolver(ask, f"Flow[{operation}].ask",
                             {"ctx": Context[Any, Any], "call": Annotated[Call, Resolve(self.plan)]}, Any)


def _resolver(fn: Callable[..., Any], name: str, params: dict[str, Any], returns: Any) -> Callable[..., Any]:
    """`fn` with the signature the SDK reads to fill a resolver: these keyword parameters, these annotations."""
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=a) for p, a in params.items()])
    fn.__annotations__ = {**params, "return": returns}
    fn.__qualname__ = name
    return fn


def can_elicit(ctx: Context[Any, Any]) -> bool:
    """Whether a form can be shown to the user in this request (never guess: asking otherwise is an error)."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, _MODERN):
        return True
    return bool(ctx.session.can_send_request)


def _ask(ctx: Context[Any, Any], call: Call) -> Ready | NeedsInput | Elicit[BaseModel]:
    plan = call.plan
    answers: dict[str, Any] = {}
    pending = list(plan.questions)
    if call.on_missing == "default":
        answers, pending = defaults(plan)
    forms = can_elicit(ctx)
    if plan.must_confirm and forms:
        pending.append(Question(CONFIRM, CONFIRM, f"{cost_sentence(plan.cost)} Submit it?", None, kind=bool))
    if not pending:
        return Ready(answers)
    if forms:
        return Elicit(_answers.form_message(plan, pending), form_model(pending))
    return NeedsInput(pending)


def form_model(questions: list[Question]) -> type[BaseModel]:
    """A flat form with one field per question: enums as choices, defaults pre-filled."""
    fields: dict[str, Any] = {}
    for q in questions:
        description = q.question
        if q.labels and q.allowed:
            shown = "; ".join(f"{v} = {q.labels.get(v, v)}" for v in q.allowed[:MAX_FORM_CHOICES])
            description = f"{q.question} ({shown})"
        kind: Any = Literal[q.allowed[:MAX_FORM_CHOICES]] if q.allowed else q.kind
        # A yes/no (the spending confirmation) starts at "no"; a field without a suggestion is required.
        default = False if q.kind is bool else (... if q.default is NO_DEFAULT else q.default)
        fields[q.form_name] = (kind, Field(default=default, title=q.form_name.replace("_", " ").capitalize(),
                                           description=description))
    return cast(type[BaseModel], create_model(FORM_MODEL, **fields))


async def _settled(ctx: Context[Any, Any], call: Call, outcome: Any) -> Settled | CallToolResult:
    """The complete request, or the answer saying why nothing may be submitted."""
    plan = call.plan
    if not isinstance(outcome, AcceptedElicitation):
        return job_result(_answers.declined_form(outcome.action))
    data = outcome.data
    if isinstance(data, NeedsInput):
        return job_result(_answers.needs_input(plan, data.questions, call.on_missing))
    defaulted = defaults(plan)[0] if call.on_missing == "default" else {}
    answered: dict[str, Any] = {}
    if isinstance(data, BaseModel):
        answered = data.model_dump()
        refuse_control_characters(plan.operation.name, answered, where="the form's answer for ")
    elif isinstance(data, Ready):
        defaulted = data.answers
    said_yes = bool(answered.pop(CONFIRM, False)) if CONFIRM in answered else None
    if said_yes is False:
        return job_result(_answers.declined_cost(plan))
    with tool_errors():
        settled = settle(plan, defaulted, answered)
    if isinstance(settled, StillMissing):
        return job_result(_answers.needs_input(plan, settled.questions, call.on_missing))
    if plan.must_confirm and not said_yes:
        service = await service_of(ctx)
        given = call.confirmed.strip() if isinstance(call.confirmed, str) else None
        code = await confirm(service.ledger, settled, given)
        if code is not None:
            return job_result(_answers.needs_confirmation(plan, code, stale=isinstance(call.confirmed, str) or
                                                          call.confirmed is True))
    return settled


async def run(ctx: Context[Any, Any], call: Call, outcome: Any, wait_seconds: float) -> CallToolResult:
    """A spending tool's body: settle the answers, submit, and answer with the job handle (or why nothing was
    submitted)."""
    from avatar_mcp.tools.jobs import report

    settled = await _settled(ctx, call, outcome)
    if isinstance(settled, CallToolResult):
        return settled
    plan = settled.plan
    service = await service_of(ctx)
    with tool_errors():

        async def submitting(fraction: float, message: str) -> None:
            await ctx.report_progress(round(fraction * 100, 1), 100, message)

        job = await service.submit(plan.operation.name, settled.spec, plan.provider, generation=plan.generation,
                                   principal=plan.principal, report=submitting,
                                   checklist={"defaults_applied": settled.defaults_applied,
                                              "answered": settled.answered})
        if wait_seconds > 0 and job.is_open:

            async def progress(record: JobRecord) -> None:
                await report(ctx, record)

            job = await service.wait(job.id, wait_seconds, progress, principal=plan.principal)
        handle = service.handle(job)
        handle.defaults_applied = settled.defaults_applied or None
        handle.estimated_cost = plan.cost
        return job_result(handle, job)
