"""The checklist flow shared by every tool that spends: ask, default, or answer `needs_input`.

Each such tool declares a parameter `answers: Annotated[ElicitationResult[Any], Resolve(its_resolver)]`. The
resolver (`ask`) runs before the tool body, in both protocol eras: it returns `Ready` when nothing is missing
(or everything was defaulted), an `Elicit` form with only the missing fields when the client can show forms,
or `NeedsInput` when it cannot. The body then calls `settle`, which merges the answers and says what to
submit, or returns the handle to answer with (needs_input / needs_confirmation / declined) when nothing may be
submitted.

Spending confirmation (AVATAR_MCP_CONFIRM_SPEND=true) belongs to the user, never to the model: a client that can
show forms gets the yes/no question in the form (whatever `confirm_spend` says); a client that cannot gets a
`needs_confirmation` answer with a single-use code bound to exactly this request and its cost (a digest), kept
CONFIRMATION_TTL_SECONDS in the data dir (ledger.py, so another server process accepts it too). Only that code,
passed back as `confirm_spend` after the user approved, submits; `confirm_spend: true` alone never does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import AcceptedElicitation
from mcp_types import CallToolResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, create_model

from avatar_mcp.app import service_of
from avatar_mcp.checklist import (
    NO_DEFAULT,
    REFERENCE_VIDEO_TIPS,
    Catalogue,
    Question,
    apply_answers,
    defaults_for,
    missing_fields,
)
from avatar_mcp.errors import AvatarError
from avatar_mcp.models import LOCAL_PRINCIPAL, CatalogQuery, Cost, JobHandle
from avatar_mcp.principals import principal_of
from avatar_mcp.providers.base import LIST_VOICES, Provider
from avatar_mcp.tools._common import tool_errors
from avatar_mcp.tools._media_check import check_media

if TYPE_CHECKING:
    from avatar_mcp.service import AvatarService

OnMissing = Literal["ask", "default"]
Confirmation = bool | str
"""What a tool's `confirm_spend` carries: a confirmation code from a needs_confirmation answer (a bool is ignored)."""
MAX_FORM_CHOICES = 40
CONFIRM = "confirm_spend"
CONFIRMATION_TTL_SECONDS = 600.0
_CONFIRMATIONS = "spend-confirmation"
_MODERN = "2026-07-28"

OPERATION_TITLES = {
    "generate_photo_avatar": "generate an AI photo avatar",
    "create_photo_avatar": "create a photo avatar",
    "create_digital_twin": "create a digital twin",
    "create_companion": "create a companion",
    "create_video": "create a video",
    "create_photo_video": "make a photo talk",
    "create_video_from_prompt": "make a video from a description",
}


@dataclass
class Ready:
    """Nothing to ask: these answers (form name -> value) came from defaults."""

    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class NeedsInput:
    """The client cannot show a form: these questions go back to the assistant."""

    questions: list[Question]


@dataclass
class Plan:
    provider: Provider
    questions: list[Question]
    cost: Cost | None


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


async def _catalogue(service: AvatarService, provider: Provider, operation: str, request: dict[str, Any]) -> Catalogue:
    """The catalogue choices a question may need; a vendor outage leaves them empty rather than failing."""
    if operation not in ("create_video", "create_photo_video"):
        return Catalogue()
    scenes = request.get("scenes") or [] if operation == "create_video" else [request]
    needs_voice = any(not s.get("voice_id") and not s.get("audio") for s in scenes)
    needs_avatar = operation == "create_video" and any(not s.get("avatar_id") for s in scenes)
    caps = provider.capabilities
    voices: list[tuple[str, str]] = []
    avatars: list[tuple[str, str]] = []
    avatar_voices: dict[str, str] = {}
    try:
        if needs_voice and LIST_VOICES in caps.operations:
            query = CatalogQuery(language=request.get("voice_language"), gender=request.get("voice_gender"),
                                 limit=MAX_FORM_CHOICES)
            found = await service.catalogue(provider, "voices", query)
            voices = [(v.voice_id, f"{v.name} ({v.language or '?'}, {v.gender or '?'})") for v in found]
            for s in scenes:
                avatar_id = s.get("avatar_id")
                if avatar_id and not s.get("voice_id"):
                    info = await provider.avatar_status(avatar_id)
                    if info is not None and info.default_voice_id:
                        avatar_voices[avatar_id] = info.default_voice_id
        if needs_avatar:
            listed = await service.catalogue(provider, "avatars", CatalogQuery(limit=MAX_FORM_CHOICES))
            avatars = [(a.avatar_id, a.name) for a in listed
                       if a.status in (None, "completed", "ready")]
    except AvatarError:
        pass
    advice = caps.voice_advice or f"a voice_id from list_voices (provider '{provider.name}')"
    return Catalogue(voices=voices, avatars=avatars, avatar_voices=avatar_voices,
                     default_voice=caps.default_voice_id, voice_advice=advice)


async def make_plan(ctx: Context[Any, Any], operation: str, provider_name: str | None,
                    request: dict[str, Any]) -> Plan:
    """The open questions for this request, and the estimated cost.

    When spending must be confirmed and the client can show forms, the confirmation is one of the questions.
    """
    with tool_errors():
        service = await service_of(ctx)
        provider = service.providers.pick(provider_name, operation)
        check_media(service.media, operation, request)
        catalogue = await _catalogue(service, provider, operation, request)
        facts = _facts(provider, operation, request)
        questions = missing_fields(operation, facts, catalogue)
        cost = _estimate(provider, operation, request, questions)
        if must_confirm(service, cost) and can_elicit(ctx):
            questions.append(Question(CONFIRM, CONFIRM, f"{_cost_sentence(cost)} Submit it?", None, kind=bool))
    return Plan(provider=provider, questions=questions, cost=cost)


def must_confirm(service: AvatarService, cost: Cost | None) -> bool:
    """Whether the user must approve this spend: the setting is on and the cost is not known to be zero."""
    return service.settings.confirm_spend and (cost is None or cost.amount > 0)


def _cost_sentence(cost: Cost | None) -> str:
    if cost is None:
        return "The cost of this could not be estimated; the vendor will charge for it."
    return f"This will cost about {cost.amount:g} {cost.unit} ({cost.basis})."


def spend_digest(operation: str, provider: str, request: dict[str, Any], cost: Cost | None,
                 principal: str = LOCAL_PRINCIPAL) -> str:
    """What a confirmation code is bound to: exactly this operation, provider, complete request and cost, for the
    principal it was issued to (another tenant's code confirms nothing)."""
    canonical = json.dumps({"operation": operation, "provider": provider, "request": request,
                            "cost": cost.model_dump() if cost else None, "principal": principal},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _facts(provider: Provider, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request plus what the provider adds to the checklist (consent video, vendor-specific fields)."""
    caps = provider.capabilities
    return {**request, "_consent_required": caps.consent_video_required,
            "_required": caps.required_fields.get(operation, ())}


def _estimate(provider: Provider, operation: str, request: dict[str, Any], questions: list[Question]) -> Cost | None:
    """The cost of the request with defaults filled in (the best guess before the user answers)."""
    guessed, _ = apply_answers(request, questions, defaults_for(questions)[0])
    try:
        spec = spec_for(operation, guessed)
    except ValueError:
        return None
    return provider.estimate_cost(operation, spec)


def spec_for(operation: str, request: dict[str, Any]) -> BaseModel:
    """Validate a complete request into its spec model (raises pydantic's ValidationError, a ValueError)."""
    from avatar_mcp.models import spec_model

    model = spec_model(operation)
    fields = {k: v for k, v in request.items() if k in model.model_fields and v is not None}
    return model.model_validate(fields)


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
    return cast(type[BaseModel], create_model("AvatarRequestForm", **fields))


def elicit_message(operation: str, plan: Plan, pending: list[Question], request: dict[str, Any]) -> str:
    text = (f"To {OPERATION_TITLES.get(operation, operation)} with {plan.provider.title}, please fill in what is "
            f"missing. Suggested values are filled in.")
    if plan.cost is not None:
        text += f" Estimated cost: {plan.cost.amount:g} {plan.cost.unit} ({plan.cost.basis})."
    if operation == "create_companion" and (request.get("version") == "v2" or any(
            q.form_name == "version" for q in pending)):
        text += " " + REFERENCE_VIDEO_TIPS
    return text


async def ask(ctx: Context[Any, Any], operation: str, provider_name: str | None, on_missing: OnMissing,
              confirmed: Confirmation, request: dict[str, Any]) -> Ready | NeedsInput | Elicit[BaseModel]:
    """The resolver body every spending tool uses (`confirmed` is not looked at here: see `settle`)."""
    plan = await make_plan(ctx, operation, provider_name, request)
    answers: dict[str, Any] = {}
    pending = plan.questions
    if on_missing == "default":
        answers, pending = defaults_for([q for q in plan.questions if q.form_name != CONFIRM])
        pending += [q for q in plan.questions if q.form_name == CONFIRM]
    if not pending:
        return Ready(answers)
    if can_elicit(ctx):
        return Elicit(elicit_message(operation, plan, pending, request), form_model(pending))
    return NeedsInput(pending)


@dataclass
class Settled:
    """A complete request, ready to submit."""

    plan: Plan
    request: dict[str, Any]
    defaults_applied: dict[str, Any]
    answered: dict[str, Any]


async def settle(ctx: Context[Any, Any], operation: str, provider_name: str | None, on_missing: OnMissing,
                 confirmed: Confirmation, request: dict[str, Any], outcome: Any) -> Settled | JobHandle:
    """Merge the resolver's outcome into the request, or say why nothing may be submitted."""
    if not isinstance(outcome, AcceptedElicitation):
        verb = "declined" if outcome.action == "decline" else "cancelled"
        return JobHandle(status="declined", message=f"Nothing was submitted: the user {verb} the form. Ask what "
                         f"they would like to change, then call again.")
    plan = await make_plan(ctx, operation, provider_name, request)
    data = outcome.data
    defaulted: dict[str, Any] = {}
    if on_missing == "default":
        defaulted, _ = defaults_for([q for q in plan.questions if q.form_name != CONFIRM])
    answered: dict[str, Any] = {}
    if isinstance(data, NeedsInput):
        return _needs_input(operation, plan, data.questions, on_missing)
    if isinstance(data, BaseModel):
        answered = data.model_dump()
    elif isinstance(data, Ready):
        defaulted = data.answers
    user_said_yes = bool(answered.pop(CONFIRM, False)) if CONFIRM in answered else None
    if user_said_yes is False:
        return JobHandle(status="declined", estimated_cost=plan.cost,
                         message="Nothing was submitted: the user did not confirm the cost.")
    merged, applied = apply_answers(request, plan.questions, {**defaulted, **answered})
    by_user = {p: v for p, v in applied.items()
               if any(q.form_name in answered and p in q.path.split(",") for q in plan.questions)}
    defaults_applied = {p: v for p, v in applied.items() if p not in by_user}
    still = missing_fields(operation, _facts(plan.provider, operation, merged))
    if still:
        return _needs_input(operation, plan, still, on_missing)
    service = await service_of(ctx)
    if must_confirm(service, plan.cost) and not user_said_yes:
        refusal = await _confirmation(service, operation, plan, merged, confirmed, principal_of(ctx))
        if refusal is not None:
            return refusal
    return Settled(plan=plan, request=merged, defaults_applied=defaults_applied, answered=by_user)


async def _confirmation(service: AvatarService, operation: str, plan: Plan, request: dict[str, Any],
                        confirmed: Confirmation, principal: str) -> JobHandle | None:
    """None when `confirmed` is a live code for exactly this request and cost (now used up), else the
    needs_confirmation answer carrying a new code for the user to approve."""
    ledger = service.ledger
    digest = spend_digest(operation, plan.provider.name, request, plan.cost, principal)
    given = confirmed.strip() if isinstance(confirmed, str) else ""
    if given and await ledger.redeem(_CONFIRMATIONS, given, digest):
        return None
    code = await ledger.issue(_CONFIRMATIONS, digest, CONFIRMATION_TTL_SECONDS)
    stale = " The confirm_spend given was not a live code for exactly this request and cost." \
        if isinstance(confirmed, str) or confirmed is True else ""
    return JobHandle(
        status="needs_confirmation", provider=plan.provider.name, estimated_cost=plan.cost, confirmation_code=code,
        message=f"Nothing was submitted: this server asks the user to approve every paid submission. "
                f"{_cost_sentence(plan.cost)} Show the user this cost and ask whether to go ahead. Only if they "
                f"agree, call {operation} again with exactly the same arguments and confirm_spend='{code}' (it works "
                f"once, for this request only, for {CONFIRMATION_TTL_SECONDS / 60:.0f} minutes).{stale}")


def _needs_input(operation: str, plan: Plan, questions: list[Question], on_missing: OnMissing) -> JobHandle:
    """Nothing submitted: the questions to ask. on_missing='default' is suggested only where it would help."""
    names = ", ".join(q.path for q in questions)
    message = (f"Nothing was submitted. To {OPERATION_TITLES.get(operation, operation)}, ask the user for: {names}. "
               f"Then call again with those arguments.")
    unanswerable = [q.path for q in questions if q.default is NO_DEFAULT and q.form_name != CONFIRM]
    if on_missing == "ask" and len(unanswerable) < len(questions):
        message += " (Or on_missing='default' to accept the suggested defaults.)"
    if unanswerable:
        message += (f" {', '.join(unanswerable)} {'has' if len(unanswerable) == 1 else 'have'} no default: each "
                    f"question says what to answer.")
    if operation == "create_companion":
        message += " " + REFERENCE_VIDEO_TIPS
    return JobHandle(status="needs_input", provider=plan.provider.name, missing=[q.as_missing() for q in questions],
                     estimated_cost=plan.cost, message=message)


async def run(ctx: Context[Any, Any], operation: str, provider_name: str | None, on_missing: OnMissing,
              confirmed: Confirmation, request: dict[str, Any], outcome: Any, wait_seconds: float, *,
              generation: Any = None) -> CallToolResult:
    """A spending tool's body: settle the checklist, then submit, or answer why nothing was submitted."""
    from avatar_mcp.tools._common import job_result

    settled = await settle(ctx, operation, provider_name, on_missing, confirmed, request, outcome)
    if isinstance(settled, JobHandle):
        return job_result(settled)
    return await submit(ctx, operation, settled, wait_seconds, generation=generation)


async def submit(ctx: Context[Any, Any], operation: str, settled: Settled, wait_seconds: float, *,
                 generation: Any = None) -> CallToolResult:
    """Validate the settled request, check the vendor's limits, submit, and answer with the job handle."""
    from avatar_mcp.checklist import check_limits
    from avatar_mcp.tools._common import job_result
    from avatar_mcp.tools.jobs import report

    service = await service_of(ctx)
    with tool_errors():
        spec = spec_for(operation, settled.request)
        if operation == "create_video":
            problems = check_limits(settled.plan.provider.name, settled.request)
            if problems:
                raise ToolError("Nothing was submitted. " + " ".join(problems))
        target = settled.request.get("avatar_id") if operation == "train_photo_avatar" else None

        async def submitting(fraction: float, message: str) -> None:
            await ctx.report_progress(round(fraction * 100, 1), 100, message)

        job = await service.submit(operation, spec, settled.plan.provider, generation=generation, target=target,
                                   principal=principal_of(ctx),
                                   checklist={"defaults_applied": settled.defaults_applied,
                                              "answered": settled.answered}, report=submitting)
        if wait_seconds > 0 and job.is_open:

            async def progress(record: Any) -> None:
                await report(ctx, record)

            job = await service.wait(job.id, wait_seconds, progress)
        handle = service.handle(job)
        handle.defaults_applied = settled.defaults_applied or None
        handle.estimated_cost = settled.plan.cost
        return job_result(handle, job)
