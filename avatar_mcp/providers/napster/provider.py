"""Napster Companion API: real-time companions and digital twins, avatar models v1 and v2 (seed 000).

- create_companion -> `POST /public/companions`: v1 (the default) from a picture (`pictureUrl`), v2 from a video of
  the person speaking (`videoUrl`). Napster fetches both itself, so only public https URLs can be given: a local
  file is refused with advice to host it.
- create_digital_twin -> `POST /public/digital-twins` (v2, from the training video). Napster requires gender,
  description and ethnicity, so the checklist asks for them (Capabilities.required_fields) before anything is sent;
  the ethnicity is checked against Napster's own list (`GET /public/companions/ethnicities`). Napster refuses twins with
  `DigitalTwinConsentRequired` until the organisation has recorded the person's consent; that refusal becomes one
  clear error saying how to give consent, and no job is left behind.
- Jobs follow `GET /public/companions/{id}`: pending -> generationCompleted -> readyToUse -> completed. A companion
  is usable from readyToUse, so the job succeeds there. v1 takes about 15 minutes, v2 can take hours.
- Error bodies come in several shapes (wire.parse_error reads them all); 429 carries Retry-After. Records are read
  into wire.py's models and mapped by status.py.
- No idempotency key: a create is never sent twice. One whose answer is lost (a 5xx, a dropped connection) is looked
  for in the organisation's companion list (`reconcile`: same names, description, media, externalClientId, made
  since the job); otherwise it ends `unknown` with advice.
"""
from __future__ import annotations

from typing import Any

from avatar_mcp import operations
from avatar_mcp.config import Settings
from avatar_mcp.errors import (
    AvatarError,
    InvalidInput,
    InvalidRequest,
    NotFound,
    ProviderConnectionError,
    ProviderStatusError,
    ServerError,
)
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import AvatarInfo, CatalogQuery, JobRecord
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.operations import CREATE_DIGITAL_TWIN
from avatar_mcp.providers import _lost as lost
from avatar_mcp.providers._http import VendorHTTP, segment
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext
from avatar_mcp.providers.napster import wire
from avatar_mcp.providers.napster.spec import SPEC, TIMING
from avatar_mcp.providers.napster.status import companion_info, companion_update
from avatar_mcp.providers.napster.wire import (
    CONSENT_CODE,
    GENDERS,
    NOTES,
    PAGE_SIZE,
    TWIN_GENDERS,
    external_client_id,
    parse_error,
    public_https,
)
from avatar_mcp.providers.timing import Timing
from avatar_mcp.providers.wire import decode, decode_all
from avatar_mcp.specs import CompanionSpec, DigitalTwinSpec

STOCK_PATH = "/public/companions/napster-stock"
"""Napster's stock catalog: not in reference D, so an API without it (an unknown id there) is tolerated."""
RECOVER_PAGES = 10
"""How much of the companion list (pages of PAGE_SIZE) is searched for a create whose answer was lost."""
MAX_PAGES = 100
"""A listing is read up to this many pages of new records (a bound against a vendor that never says it is done)."""


class NapsterProvider(BaseProvider):
    name = SPEC.name
    title = SPEC.title
    capabilities = Capabilities(operations=SPEC.operations, notes=NOTES, findable_create=True,
                                required_fields={CREATE_DIGITAL_TWIN: ("gender", "description", "ethnicity")})

    def __init__(self, http: SharedHTTP, media: MediaPolicy, *, api_key: str, base_url: str,
                 timing: Timing = TIMING) -> None:
        self._http = VendorHTTP(http, provider=self.name, base_url=base_url, error_parser=parse_error,
                                auth_headers={"X-Api-Key": api_key}, secrets=[api_key])
        self.timing = timing
        self._ethnicities: list[str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy, **kwargs: Any) -> NapsterProvider:
        """The provider for these settings; `timing` (keyword) exists for tests and benchmarks."""
        assert settings.napster_api_key is not None
        return cls(http, media, api_key=settings.napster_api_key.get_secret_value(),
                   base_url=settings.napster_base_url, **kwargs)

    # ------------------------------------------------------------------------------------------ create
    async def create_companion(self, spec: CompanionSpec, ctx: SubmitContext) -> Submission:
        return await self._create("/public/companions", await self._companion_body(spec), spec.version, ctx)

    async def _companion_body(self, spec: CompanionSpec) -> wire.CompanionRequest:
        """POST /public/companions for a spec (checked; the same body for the same spec every time)."""
        picture = video = None
        if spec.version == "v1":
            if spec.video:
                raise InvalidInput("v1 companions are made from a picture; a video is the v2 input. Pass "
                                   "version='v2' to use the video, or drop it.", field="video")
            if not spec.picture:
                raise InvalidInput("A v1 companion needs a picture: a public https URL of one person looking into "
                                   "the camera, waist up, well lit (16:9 works best).", field="picture")
            picture = public_https(spec.picture, "picture")
        else:
            if spec.picture:
                raise InvalidInput("v2 companions are made from a video of the person speaking; drop the picture "
                                   "(or use version='v1' for a picture).", field="picture")
            if not spec.video:
                raise InvalidInput("A v2 companion needs a video: a public https URL of 1-5 minutes of the person "
                                   "speaking naturally, head and shoulders.", field="video")
            video = public_https(spec.video, "video")
        return wire.CompanionRequest(
            description=spec.description, version=spec.version, pictureUrl=picture, videoUrl=video,
            firstName=spec.first_name or None, lastName=spec.last_name or None, gender=spec.gender or None,
            ethnicity=await self._ethnicity(spec.ethnicity) if spec.ethnicity else None)

    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
        body = await self._twin_body(spec)
        client_id = body.externalClientId
        try:
            submission = await self._create("/public/digital-twins", body, "v2", ctx)
        except ProviderStatusError as exc:
            if exc.vendor_code != CONSENT_CODE:
                raise
            # Not a failure of a job: nothing was created or charged, and the user has a step to take first.
            raise InvalidInput(
                f"Napster needs the consent of the person filmed before it makes a digital twin of them, and has none "
                f"for external client id '{client_id}' yet. Nothing was created or charged. Record the consent in the "
                f"Napster Companion dashboard (enable digital twins for your organisation, or give consent for "
                f"external client id '{client_id}'), then call create_digital_twin again with the same name.",
                field="consent") from exc
        submission.message = f"{submission.message} External client id: '{client_id}'."
        return submission

    async def _twin_body(self, spec: DigitalTwinSpec) -> wire.TwinRequest:
        """POST /public/digital-twins for a spec (checked; externalClientId derived from the name)."""
        if spec.version == "v1":
            raise InvalidInput("A v1 Napster twin is made from a picture plus a voice recording, which "
                               "create_digital_twin does not take: leave version out (or 'v2') to make it from the "
                               "training video.", field="version")
        if spec.consent_video:
            raise InvalidInput("Napster takes no consent video: consent is recorded in the Napster dashboard. Drop "
                               "consent_video and call again.", field="consent_video")
        first, _, last = spec.name.strip().partition(" ")
        if not last.strip():
            raise InvalidInput("Napster needs the person's first and last name: call again with name 'First Last'.",
                               field="name")
        # The checklist asks for these before a call gets here; the checks guard direct use of the provider.
        if not spec.description:
            raise InvalidInput("Napster needs a description of the twin (who they are, their role and tone): call "
                               "again with description.", field="description")
        gender = TWIN_GENDERS.get(spec.gender or "")
        if gender is None:
            raise InvalidInput("Napster needs the person's gender: call again with gender 'female', 'male' or "
                               "'nonBinary'.", field="gender")
        if not spec.ethnicity:
            raise InvalidInput("Napster needs the person's ethnicity: call again with ethnicity, as Napster names "
                               "it (for example Asian, Black, Caucasian, Hispanic).", field="ethnicity")
        video = public_https(spec.video, "video")
        ethnicity = await self._ethnicity(spec.ethnicity)
        return wire.TwinRequest(firstName=first, lastName=last.strip(), description=spec.description, gender=gender,
                                ethnicity=ethnicity, externalClientId=external_client_id(spec.name), videoUrl=video)

    async def _create(self, path: str, request: wire.CompanionRequest | wire.TwinRequest, version: str,
                      ctx: SubmitContext) -> Submission:
        await ctx.report(0.0, "Sending the request to Napster.")
        try:
            body = await self._http.json("POST", path, json=request.body(), idempotent=False,
                                         timeout=self.timing.create_timeout())
            record = decode(wire.Companion, body, "the create", provider=self.name, vendor="Napster")
        except ServerError as exc:
            # As undecided as a lost answer: Napster may have made it. The service looks for it (`reconcile`).
            raise ProviderConnectionError(f"{exc} Napster may or may not have made it.", provider=self.name,
                                          request_sent=True) from exc
        update = companion_update(record)
        hours = " v2 can take several hours: the job stays open meanwhile." if version == "v2" else ""
        expected = self.timing.avatar_seconds if version == "v1" else self.timing.twin_seconds
        return Submission(vendor_id=record.id, status="processing" if update.status == "processing" else "queued",
                          progress=update.progress or 0.0, message=(update.message or "") + hours,
                          expected_seconds=self.timing.expected(expected), poll_after=self.timing.poll_after)

    async def _ethnicity(self, wanted: str) -> str:
        """Napster's own spelling of an ethnicity from its list, or a clear error naming the choices."""
        if self._ethnicities is None:
            try:
                found = await self._http.json("GET", "/public/companions/ethnicities")
            except AvatarError:
                return wanted  # the list is a convenience: without it Napster itself judges the value
            self._ethnicities = [str(e) for e in found] if isinstance(found, list) else []
        match = next((e for e in self._ethnicities if e.lower() == wanted.strip().lower()), None)
        if match is None and self._ethnicities:
            raise InvalidInput(f"Napster does not know the ethnicity {wanted!r}; choose one of "
                               f"{', '.join(self._ethnicities)}.", field="ethnicity")
        return match or wanted

    # ------------------------------------------------------------------------------------------ status
    async def get_job(self, job: JobRecord) -> JobUpdate:
        body = await self._http.json("GET", f"/public/companions/{segment(str(job.vendor_id))}")
        update = companion_update(decode(wire.Companion, body, "the companion's status", provider=self.name,
                                         vendor="Napster"))
        if update.status in ("queued", "processing"):
            update.poll_after = self.timing.poll_after
        return update

    async def reconcile(self, job: JobRecord) -> JobUpdate | None:
        """A create whose answer was lost: the companion or twin made since the job with the values it was sent with
        (names, description, media, externalClientId), found in the organisation's list; None when there is none."""
        spec = operations.get(job.operation).stored(job)
        request: wire.CompanionRequest | wire.TwinRequest
        if isinstance(spec, DigitalTwinSpec):
            request, what = await self._twin_body(spec), "digital twin"
        else:
            assert isinstance(spec, CompanionSpec)
            request, what = await self._companion_body(spec), "companion"
        wanted = request.body()
        records = await self._records("/public/companions", {}, PAGE_SIZE, limit=None, max_pages=RECOVER_PAGES)
        found = lost.candidates(records, wanted, job.created_at, created_key="createdAt")
        if not found:
            return None
        if len(found) > 1:
            return lost.ambiguous("Napster", what, [str(r["id"]) for r in found])
        update = companion_update(wire.Companion.model_validate(found[0]))
        return update.model_copy(update={
            "vendor_id": str(found[0]["id"]), "poll_after": self.timing.poll_after,
            "message": f"Found at Napster after the answer to the submission was lost (nothing was sent twice). "
                       f"{update.message or ''}".strip()})

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        """The organisation's companions and twins, then Napster's stock ones, paged until `pageIndex x pageSize`
        reaches `totalCount` (reference D: `totalPages` may be absent) or a page comes back short or empty."""
        size = min(PAGE_SIZE, query.limit)
        params: dict[str, Any] = {"pageSize": size}
        if query.query:
            params["search"] = query.query
        if query.gender and GENDERS.get(query.gender.lower()):
            params["gender"] = GENDERS[query.gender.lower()]
        found: list[AvatarInfo] = []
        for path in ("/public/companions", STOCK_PATH):
            if len(found) >= query.limit:
                break
            try:
                records = await self._records(path, params, size, limit=query.limit - len(found))
            except (NotFound, InvalidRequest):
                if path != STOCK_PATH:
                    raise
                break  # an API without the stock catalog reads its path as an unknown companion id
            found.extend(companion_info(r) for r in decode_all(wire.Companion, records, "the companions",
                                                               provider=self.name, vendor="Napster"))
        return found[:query.limit]

    async def _records(self, path: str, params: dict[str, Any], size: int, *, limit: int | None,
                       max_pages: int = MAX_PAGES) -> list[dict[str, Any]]:
        """Every record of a listing, once each, in Napster's order. Reference D does not say whether pageIndex
        counts from 0 or 1: a refused page 0 means pages start at 1, and a page bringing only records already read
        (page 0 read as page 1) is skipped; the end is where the records read reach totalCount (else totalPages, else
        a short page), or two pages in a row bring nothing new."""
        found: dict[str, dict[str, Any]] = {}
        index, pages, stale = 0, 0, 0
        while pages < max_pages:
            try:
                page = await self._page(path, {**params, "pageSize": size, "pageIndex": index})
            except InvalidRequest as exc:
                if index != 0 or "pageindex" not in f"{exc.param} {exc}".lower():
                    raise
                index = 1  # pages are numbered from 1 here
                continue
            index += 1
            fresh = [r for r in page.records() if str(r.get("id")) not in found]
            found.update((str(r.get("id")), r) for r in fresh)
            stale = 0 if fresh else stale + 1
            pages += bool(fresh)
            if limit is not None and len(found) >= limit:
                break
            if not page.items or stale >= 2 or page.last(pages, size, read=len(found)):
                break
        return list(found.values())

    async def _page(self, path: str, params: dict[str, Any]) -> wire.Page:
        body = await self._http.json("GET", path, params=params)
        return decode(wire.Page, body, "a page of the companion list", provider=self.name, vendor="Napster")
