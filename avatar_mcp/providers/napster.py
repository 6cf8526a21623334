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
- Errors are ProblemDetails (`title`, `detail`, `errors`, `code`); 429 carries Retry-After. No idempotency key:
  creates are never repeated on a lost answer.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from avatar_mcp.config import Settings
from avatar_mcp.errors import AvatarError, InvalidInput, MediaRejected, ProviderStatusError
from avatar_mcp.media import MediaPolicy, classify
from avatar_mcp.models import AvatarInfo, CatalogQuery, CompanionSpec, DigitalTwinSpec, JobError, JobRecord, JobResult
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers import NAPSTER
from avatar_mcp.providers._http import CREATE_TIMEOUT, VendorErrorInfo, VendorHTTP
from avatar_mcp.providers.base import (
    CREATE_DIGITAL_TWIN,
    BaseProvider,
    Capabilities,
    JobUpdate,
    Submission,
    SubmitContext,
)

if TYPE_CHECKING:
    import httpx

CONSENT_CODE = "DigitalTwinConsentRequired"
EXPECTED_SECONDS = {"v1": 900.0, "v2": 3600.0}
"""Seed 000: v1 takes about 15 minutes; v2 "up to several hours" (the schedule adapts after the first poll)."""
STAGES = {"pending": (0.1, "Napster is generating the avatar."),
          "generationCompleted": (0.6, "Generation finished; Napster is getting the companion ready.")}
USABLE = frozenset({"readyToUse", "completed"})
FAILED = frozenset({"failed", "error", "rejected", "generationFailed", "canceled", "cancelled"})
GENDERS = {"male": "male", "m": "male", "man": "male", "female": "female", "f": "female", "woman": "female",
           "nonbinary": "nonBinary", "non-binary": "nonBinary", "non_binary": "nonBinary", "nb": "nonBinary"}
"""Loose spellings a catalogue query may use, as Napster's gender filter values."""
TWIN_GENDERS: dict[str, str] = {"female": "female", "male": "male", "nonBinary": "nonBinary"}
"""The unified twin genders (models.TwinGender) as Napster's codes (the same words)."""
PAGE_SIZE = 100
NOTES = ("Real-time companions (v1 from a picture, about 15 minutes; v2 from a video of the person speaking, can take "
         "hours) and v2 digital twins (first and last name, gender, description and one of Napster's ethnicities; the "
         "person's consent must be recorded at Napster first). Media must be public https URLs: Napster fetches them "
         "itself.")


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    """Napster's error body, whatever its shape (reference D: undocumented): `detail`, `message` (a string or a list),
    `title` or `error` as the reason; `errors` as a dict of field -> messages or a list of {field|property, message};
    the domain `code` kept (DigitalTwinConsentRequired). No reason is dropped."""
    if response.is_success:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return VendorErrorInfo(status=response.status_code, message=response.reason_phrase or "error")
    problems = _field_problems(body.get("errors"))
    said = body.get("message")
    listed = [str(m) for m in said if m] if isinstance(said, list) else []
    head = next((str(v) for v in (body.get("detail"), said if isinstance(said, str) else None, body.get("title"),
                                  body.get("error")) if isinstance(v, str) and v.strip()), None)
    parts = [f"{field}: {text}" if field else text for field, text in problems] or listed
    message = "; ".join([p for p in (head, "; ".join(parts)) if p]) or response.reason_phrase or "error"
    code = body.get("code") or (body.get("title") if body.get("title") == CONSENT_CODE else None)
    param = next((field for field, _ in problems if field), None)
    return VendorErrorInfo(status=response.status_code, message=message, code=str(code) if code else None,
                           param=param)


def _field_problems(errors: Any) -> list[tuple[str | None, str]]:
    """(field, message) pairs from `errors` as a dict of field -> message(s) or a list of items or strings."""
    found: list[tuple[str | None, str]] = []
    if isinstance(errors, dict):
        for field, texts in errors.items():
            for text in texts if isinstance(texts, list) else [texts]:
                found.append((str(field), str(text)))
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                field = item.get("field") or item.get("property") or item.get("name")
                text = item.get("message") or item.get("messages") or item.get("error") or item.get("detail")
                texts = text if isinstance(text, list) else [text]
                found += [(str(field) if field else None, str(t)) for t in texts if t]
            elif item:
                found.append((None, str(item)))
    return found


def public_https(source: str, field: str) -> str:
    """Napster downloads the file itself: only a public https URL will do."""
    if classify(source) != "url":
        raise MediaRejected(
            f"Napster fetches the {field} itself from a public https URL, so a local file or asset key like "
            f"{source!r} cannot be sent. Upload it somewhere public that serves https (your website, a public "
            f"storage bucket, a file host), then call again with that URL as {field}.", source=source)
    url = source.strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or "." not in host or _private(host):
        raise MediaRejected(f"The {field} URL {url!r} is not a public https URL that Napster could fetch. Host the "
                            f"file at a public https address and call again.", source=url)
    return url


def _private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    return not address.is_global


def external_client_id(name: str) -> str:
    """The twin's externalClientId, derived from the name so consent recorded for it matches a later retry."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip().lower()).strip("-")
    return slug[:32].rstrip("-") or "twin"


def companion_update(record: dict[str, Any]) -> JobUpdate:
    """Napster's status as a job update; usable (readyToUse or completed) means done."""
    status = str(record.get("status") or "pending")
    if status in USABLE:
        info = companion_info(record)
        return JobUpdate(status="succeeded", progress=1.0, result=JobResult(
            avatar_id=info.avatar_id, preview_image_url=info.preview_image_url),
            message=f"The {info.kind.replace('_', ' ')} is ready to use (Napster status {status}).")
    if status in FAILED:
        message = f"Napster could not create the avatar (status {status}). Check the reference media and try again."
        return JobUpdate(status="failed", message=message, error=JobError(code=status, message=message))
    progress, message = STAGES.get(status, (None, f"Napster status: {status}."))
    return JobUpdate(status="queued" if status == "pending" else "processing", progress=progress, message=message)


def companion_info(record: dict[str, Any]) -> AvatarInfo:
    name = " ".join(str(record[k]) for k in ("firstName", "lastName") if record.get(k)) or str(record.get("id"))
    status = record.get("status")
    return AvatarInfo(avatar_id=str(record["id"]), name=name, provider="napster",
                      kind="digital_twin" if record.get("type") == "digitalTwin" else "companion",
                      status="ready" if status in USABLE else status, gender=record.get("gender"),
                      preview_image_url=record.get("avatarUrl"))


class NapsterProvider(BaseProvider):
    name = "napster"
    title = NAPSTER.title
    capabilities = Capabilities(operations=NAPSTER.operations, notes=NOTES,
                                required_fields={CREATE_DIGITAL_TWIN: ("gender", "description", "ethnicity")})

    def __init__(self, http: SharedHTTP, media: MediaPolicy, *, api_key: str, base_url: str,
                 create_timeout: httpx.Timeout = CREATE_TIMEOUT, poll_hint: float | None = None) -> None:
        self._http = VendorHTTP(http, provider=self.name, base_url=base_url, error_parser=parse_error,
                                auth_headers={"X-Api-Key": api_key}, secrets=[api_key])
        self._create_timeout = create_timeout
        self._poll_hint = poll_hint
        """Tests shorten the schedule with this; None lets the adaptive schedule decide."""
        self._ethnicities: list[str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, http: SharedHTTP, media: MediaPolicy, **kwargs: Any) -> NapsterProvider:
        assert settings.napster_api_key is not None
        return cls(http, media, api_key=settings.napster_api_key.get_secret_value(),
                   base_url=settings.napster_base_url, **kwargs)

    # ------------------------------------------------------------------------------------------ create
    async def create_companion(self, spec: CompanionSpec, ctx: SubmitContext) -> Submission:
        body: dict[str, Any] = {"description": spec.description, "version": spec.version}
        if spec.version == "v1":
            if spec.video:
                raise InvalidInput("v1 companions are made from a picture; a video is the v2 input. Pass "
                                   "version='v2' to use the video, or drop it.", field="video")
            if not spec.picture:
                raise InvalidInput("A v1 companion needs a picture: a public https URL of one person looking into "
                                   "the camera, waist up, well lit (16:9 works best).", field="picture")
            body["pictureUrl"] = public_https(spec.picture, "picture")
        else:
            if spec.picture:
                raise InvalidInput("v2 companions are made from a video of the person speaking; drop the picture "
                                   "(or use version='v1' for a picture).", field="picture")
            if not spec.video:
                raise InvalidInput("A v2 companion needs a video: a public https URL of 1-5 minutes of the person "
                                   "speaking naturally, head and shoulders.", field="video")
            body["videoUrl"] = public_https(spec.video, "video")
        names = {"firstName": spec.first_name, "lastName": spec.last_name, "gender": spec.gender}
        body.update({k: v for k, v in names.items() if v})
        if spec.ethnicity:
            body["ethnicity"] = await self._ethnicity(spec.ethnicity)
        if spec.tags:
            body["tags"] = {tag: "true" for tag in spec.tags}
        return await self._create("/public/companions", body, spec.version, ctx)

    async def create_digital_twin(self, spec: DigitalTwinSpec, ctx: SubmitContext) -> Submission:
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
        client_id = external_client_id(spec.name)
        body = {"firstName": first, "lastName": last.strip(), "description": spec.description, "gender": gender,
                "ethnicity": ethnicity, "externalClientId": client_id, "videoUrl": video, "version": "v2"}
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

    async def _create(self, path: str, body: dict[str, Any], version: str, ctx: SubmitContext) -> Submission:
        await ctx.report(0.0, "Sending the request to Napster.")
        record = await self._http.json("POST", path, json=body, idempotent=False, timeout=self._create_timeout)
        update = companion_update(record)
        hours = " v2 can take several hours: the job stays open meanwhile." if version == "v2" else ""
        return Submission(vendor_id=str(record["id"]), status="processing" if update.status == "processing" else
                          "queued", progress=update.progress or 0.0, message=(update.message or "") + hours,
                          expected_seconds=self._poll_hint or EXPECTED_SECONDS[version],
                          poll_after=self._poll_hint)

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
        record = await self._http.json("GET", f"/public/companions/{job.vendor_id}")
        update = companion_update(record)
        if update.status in ("queued", "processing"):
            update.poll_after = self._poll_hint
        return update

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
        for path in ("/public/companions", "/public/companions/napster-stock"):
            index = 0
            while len(found) < query.limit:
                page = await self._http.json("GET", path, params={**params, "pageIndex": index})
                items = page.get("items") if isinstance(page, dict) else None
                found.extend(companion_info(i) for i in items or [] if isinstance(i, dict) and i.get("id"))
                index += 1
                if not items or _last_page(page, index, size, len(items)):
                    break
        return found[:query.limit]


def _last_page(page: dict[str, Any], pages_read: int, size: int, count: int) -> bool:
    """Whether `pages_read` pages cover the listing: by totalCount, else totalPages, else a short page."""
    total, pages, answered = page.get("totalCount"), page.get("totalPages"), page.get("pageSize")
    if isinstance(answered, int) and answered > 0:
        size = answered
    if isinstance(total, int) and not isinstance(total, bool):
        return pages_read * size >= total
    if isinstance(pages, int) and not isinstance(pages, bool):
        return pages_read >= pages
    return count < size
