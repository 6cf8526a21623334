"""Planning a request before anything is spent: which provider, which generation a photo avatar comes from, what
the catalogue offers, which local media are unusable, what is still missing, and what it will cost.

`Planner.plan` is the one place this happens (AvatarService.plan calls it); it needs no MCP client. A tool call
plans once per protocol round (tools/_flow.py's shared resolver hands the same `Plan` to the form and to the
tool body), and `answers.settle` turns the plan plus the user's answers into a complete request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from avatar_mcp import operations
from avatar_mcp.checklist import Catalogue, Needs, Question, apply_answers, defaults_for, missing_fields
from avatar_mcp.errors import AvatarError, InvalidInput
from avatar_mcp.models import CatalogQuery, Cost, JobRecord
from avatar_mcp.operations import CREATE_PHOTO_AVATAR, LIST_VOICES, Operation
from avatar_mcp.planning.media import check_media
from avatar_mcp.principals import LOCAL_PRINCIPAL
from avatar_mcp.providers.spec import Limits

if TYPE_CHECKING:
    from avatar_mcp.providers.base import Provider
    from avatar_mcp.service import AvatarService

MAX_CHOICES = 40
"""Catalogue entries offered as choices in one question (a form shows them as an enum)."""
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
"""The shape of a job id ('job_' and hex digits; older or test ids are letters, digits, '_' and '-')."""


def check_job_id(value: str, field: str) -> str:
    """`value` when it has a job id's shape; else InvalidInput naming `field` (before the store is asked)."""
    if JOB_ID.fullmatch(value):
        return value
    raise InvalidInput(f"{field}: {repr(value)[:80]} is not a job id (job ids look like 'job_1a2b3c4d5e6f7a8b': "
                       f"letters, digits, '_' and '-'). Use a job_id from a create tool or list_jobs.", field=field)


@dataclass
class Plan:
    """A request as planned: everything needed to ask, estimate and submit it."""

    operation: Operation
    provider: Provider
    request: dict[str, Any]
    """The tool's arguments (None meaning absent), before any answer is merged in."""
    questions: list[Question]
    """What is still open (the spending confirmation is not one of them: see `must_confirm`)."""
    cost: Cost | None
    must_confirm: bool
    """Spending must be approved by the user (AVATAR_MCP_CONFIRM_SPEND, and the cost is not known to be zero)."""
    needs: Needs
    limits: Limits
    """The vendor's limits of a video request (its spec's)."""
    generation: JobRecord | None = None
    """The generate_photo_avatar job a photo avatar's candidate comes from."""
    principal: str = LOCAL_PRINCIPAL
    """Who asks: the job, and any confirmation code, belong to them."""


class Planner:
    """Plans requests for one service (its providers, catalogue memory, media policy and settings)."""

    def __init__(self, service: AvatarService) -> None:
        self.service = service

    async def plan(self, operation: str, request: Mapping[str, Any], provider: str | None = None, *,
                   principal: str = LOCAL_PRINCIPAL) -> Plan:
        """The plan of a request for `principal`: refusals come first (unknown provider, unusable media, a bad
        generation pick), then the catalogue is read for the questions' choices, then the cost is estimated."""
        op = operations.get(operation)
        request = dict(request)
        generation = await self._generation(request, provider, principal) if op.name == CREATE_PHOTO_AVATAR else None
        chosen = self.service.providers.pick(generation.provider if generation else provider, operation)
        check_media(self.service.media, op, request)
        catalogue = await self._catalogue(chosen, op, request)
        needs = needs_of(chosen, op)
        questions = missing_fields(op, request, catalogue, needs)
        cost = estimate(chosen, op, request, questions)
        return Plan(operation=op, provider=chosen, request=request, questions=questions, cost=cost,
                    must_confirm=self.service.settings.confirm_spend and (cost is None or cost.amount > 0),
                    needs=needs, limits=self.service.providers.limits(chosen.name), generation=generation,
                    principal=principal)

    async def _generation(self, request: dict[str, Any], provider: str | None, principal: str) -> JobRecord | None:
        """The succeeded generation job (of this principal) a candidate is picked from; it decides the provider
        (candidates live where they were generated)."""
        pick = request.get("from_generation")
        if not isinstance(pick, Mapping):
            return None
        job_id = check_job_id(str(pick.get("job_id", "")), "from_generation.job_id")
        job = await self.service.get(job_id, principal=principal)
        candidates = job.result.candidates if job.result else None
        if job.kind != "photo_generation" or job.status != "succeeded" or not candidates:
            raise InvalidInput(f"Job {job.id} is a {job.kind} job in state {job.status}; from_generation needs a "
                               f"succeeded generate_photo_avatar job. Use check_job first.",
                               field="from_generation.job_id")
        if pick.get("index") not in {c.index for c in candidates}:
            raise InvalidInput(f"Job {job.id} has candidates {[c.index for c in candidates]}; pick one of those.",
                               field="from_generation.index")
        if provider is not None and provider != job.provider:
            raise InvalidInput(f"Job {job.id} was generated by {job.provider}; its candidates can only become "
                               f"avatars there. Call again with provider='{job.provider}' (or leave provider out).",
                               field="provider")
        return job

    async def _catalogue(self, provider: Provider, op: Operation, request: Mapping[str, Any]) -> Catalogue:
        """The catalogue choices a question may need; a vendor outage leaves them empty rather than failing."""
        scenes = [part for _, part in op.speaking_parts(request)]
        if not scenes:
            return Catalogue()
        needs_voice = any(not s.get("voice_id") and not s.get("audio") for s in scenes)
        needs_avatar = op.speech == "scenes" and any(not s.get("avatar_id") for s in scenes)
        caps = provider.capabilities
        voices: list[tuple[str, str]] = []
        avatars: list[tuple[str, str]] = []
        avatar_voices: dict[str, str] = {}
        service = self.service
        try:
            if needs_voice and LIST_VOICES in caps.operations:
                query = CatalogQuery(language=request.get("voice_language"), gender=request.get("voice_gender"),
                                     limit=MAX_CHOICES)
                found = await service.catalogue(provider, "voices", query)
                voices = [(v.voice_id, f"{v.name} ({v.language or '?'}, {v.gender or '?'})") for v in found]
                unvoiced = dict.fromkeys(s.get("avatar_id") for s in scenes if not s.get("voice_id"))
                for avatar_id in (a for a in unvoiced if isinstance(a, str) and a):
                    info = await provider.avatar_status(avatar_id)
                    if info is not None and info.default_voice_id:
                        avatar_voices[avatar_id] = info.default_voice_id
            if needs_avatar:
                listed = await service.catalogue(provider, "avatars", CatalogQuery(limit=MAX_CHOICES))
                avatars = [(a.avatar_id, a.name) for a in listed if a.status in (None, "completed", "ready")]
        except AvatarError:
            pass
        advice = caps.voice_advice or f"a voice_id from list_voices (provider '{provider.name}')"
        return Catalogue(voices=voices, avatars=avatars, avatar_voices=avatar_voices,
                         default_voice=caps.default_voice_id, voice_advice=advice)


def needs_of(provider: Provider, op: Operation) -> Needs:
    """What the provider adds to the questions (consent video, image scenes, vendor-specific fields)."""
    caps = provider.capabilities
    return Needs(consent_video=caps.consent_video_required, image_scenes=caps.image_scenes,
                 required=tuple(caps.required_fields.get(op.name, ())))


def estimate(provider: Provider, op: Operation, request: Mapping[str, Any], questions: list[Question]) -> Cost | None:
    """The cost of the request with defaults filled in (the best guess before the user answers)."""
    guessed, _ = apply_answers(request, questions, defaults_for(questions)[0])
    try:
        spec = op.validate(guessed)
    except ValueError:
        return None
    return provider.estimate_cost(op.name, spec)


def cost_sentence(cost: Cost | None) -> str:
    """The cost in one sentence, for the user to approve."""
    if cost is None:
        return "The cost of this could not be estimated; the vendor will charge for it."
    return f"This will cost about {cost.amount:g} {cost.unit} ({cost.basis})."
