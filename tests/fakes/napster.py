"""Napster Companion API emulator: companions (avatar models v1/v2, seed 000), digital twins, listing, rate limits.

Behaviour where the references are silent (clients must tolerate it; several points are constructor options):
- Error bodies are not documented (reference D: read `message` as a string or a list, `title`/`detail`, and `errors`
  as a list of `{field|property, message}` or a dict of field -> messages), so `error_style` picks one shape for every
  error: "problem" (default) is ASP.NET Core ProblemDetails (`application/problem+json`): validation -> 400 `{type,
  title: "One or more validation errors occurred.", status: 400, errors: {"<camelCaseField>": ["message"]},
  traceId}`, other errors `title`, `status`, `detail`; "message" is `{statusCode, message, code, errors: [{field,
  message}]}` (validation: `message: "Validation failed"`, `code: "ValidationError"`); "message_list" is `{statusCode,
  error, message: ["<field> <message>", ...], errors: [{property, message}]}`. Domain errors carry `code` in every
  style (e.g. `"code": "DigitalTwinConsentRequired"`, HTTP `consent_error_status`, default 403); reference D only
  says a twin "fails with DigitalTwinConsentRequired", so `consent_coded=False` names it without a `code`: as the
  title (problem), the `error` (message_list) or the start of the `message` (message). 401 (missing/wrong
  X-Api-Key), 404 and 429 use the same shape.
- v1 (default) requires `pictureUrl`, v2 requires `videoUrl` (`require_picture_for_v1=False` lets v1 go without one:
  Napster's own guides say the avatar can then be generated from the description). Media URLs must be absolute https
  URLs (http, relative or malformed -> validation error); the fake never fetches them.
- Creates take only the properties reference D lists (COMPANION_FIELDS, TWIN_FIELDS): another one is a validation
  error naming it.
- Digital twins: all of firstName, lastName, description, gender, ethnicity, externalClientId required;
  externalClientId must match `^[A-Za-z0-9_-]{1,32}$`; v1 needs pictureUrl + voiceUrl, v2 needs videoUrl or pictureUrl
  and, without videoUrl, voiceUrl. Validation runs before the consent check. Consent: `grant_consent(id)` per
  externalClientId, or `grant_consent()` for the whole organisation (what the dashboard toggle does).
- `ethnicity` must be one of `fake.ethnicities` (also served as a JSON array of strings by
  `GET /public/companions/ethnicities`); `tags` is an object of string values. Creation answers 201 with the companion.
- Ids are UUIDs. Companion status walks pending -> generationCompleted -> readyToUse -> completed, reaching completed
  on the `polls_to_complete`-th `GET /public/companions/{id}`; `fail_companion` ends it in `failed` (a name the docs
  do not give). `GET /public/companions` lists this organisation's custom companions and twins;
  `GET /public/companions/napster-stock` the catalog. Both take `statuses` (repeated or comma-separated), `gender`,
  `ethnicity`, `search` (case-insensitive, names and description), `pageIndex` (from 0 by default), `pageSize` (10,
  1..100), and answer `{items, totalCount, pageIndex, pageSize}`; `total_pages=True` adds `totalPages` (reference D:
  do not rely on it being there). Reference D does not say where pageIndex starts: `first_page=1` numbers pages from
  1, and then pageIndex 0 is refused as out of range (`page_zero="refuse"`) or read as the first page ("first").
  `catalog_routes=False` serves neither the stock catalog nor the ethnicity list (reference D names neither route):
  those paths then reach `GET /public/companions/{id}` and answer 404.
- `rate_limit=(n, per_seconds)`: a token bucket per route ("METHOD /path/template"), checked before auth, limited to
  `rate_limited_routes` when given; an empty bucket -> 429 ProblemDetails with `Retry-After` (whole seconds).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._harness import FakeVendor, sample_jpeg, sample_mp4

FLOW = ("pending", "generationCompleted", "readyToUse", "completed")
GENDERS = ("male", "female", "nonBinary")
DEFAULT_ETHNICITIES = ("Asian", "Black", "Caucasian", "Hispanic", "MiddleEastern", "NativeAmerican", "PacificIslander",
                       "SouthAsian", "Mixed", "Other")
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
COMPANION_FIELDS = frozenset({"description", "firstName", "lastName", "pictureUrl", "videoUrl", "version", "gender",
                              "ethnicity", "tags"})
TWIN_FIELDS = frozenset({"firstName", "lastName", "description", "gender", "ethnicity", "externalClientId",
                         "pictureUrl", "videoUrl", "voiceUrl", "version", "tags"})
"""The properties reference D lists for each create; anything else is a validation error."""
STOCK = (("Ava", "Lee", "female", "Asian"), ("Noah", "Brooks", "male", "Black"), ("Sam", "Rivera", "nonBinary",
                                                                                   "Hispanic"))
Handler = Callable[[Request], Awaitable[Response]]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


ErrorStyle = Literal["problem", "message", "message_list"]


def _problem(status: int, title: str, detail: str | None = None, *, style: ErrorStyle = "problem",
             errors: dict[str, list[str]] | None = None, code: str | None = None) -> JSONResponse:
    """An error body in one of the shapes reference D says to expect (see the module docstring)."""
    trace = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"
    if style == "problem":
        body: dict[str, Any] = {"type": f"https://httpstatuses.io/{status}", "title": title, "status": status}
        body.update({k: v for k, v in (("errors", errors), ("code", code), ("detail", detail)) if v is not None})
        body["traceId"] = trace
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    pairs = [(field, text) for field, texts in (errors or {}).items() for text in texts]
    if style == "message":
        body = {"statusCode": status, "message": "Validation failed" if errors else detail or title,
                "code": code or ("ValidationError" if errors else None),
                "errors": [{"field": field, "message": text} for field, text in pairs]}
    else:
        body = {"statusCode": status, "error": title, "code": code,
                "message": [f"{field} {text}" for field, text in pairs] or [detail or title],
                "errors": [{"property": field, "message": text} for field, text in pairs]}
    return JSONResponse({k: v for k, v in body.items() if v is not None}, status_code=status)


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class NapsterFake(FakeVendor):
    """Napster's Companion API (companions, digital twins), served over real HTTP."""

    def __init__(self, api_key: str = "test-napster-key", *, polls_to_complete: int = 3,
                 rate_limit: tuple[int, float] | None = None, rate_limited_routes: Collection[str] | None = None,
                 require_picture_for_v1: bool = True, consent_error_status: int = 403,
                 ethnicities: Collection[str] = DEFAULT_ETHNICITIES, error_style: ErrorStyle = "problem",
                 total_pages: bool = False, catalog_routes: bool = True, consent_coded: bool = True,
                 first_page: int = 0, page_zero: Literal["refuse", "first"] = "refuse") -> None:
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.rate_limit = rate_limit
        self.rate_limited_routes = set(rate_limited_routes) if rate_limited_routes is not None else None
        self.require_picture_for_v1 = require_picture_for_v1
        self.consent_error_status = consent_error_status
        self.ethnicities = list(ethnicities)
        self.error_style: ErrorStyle = error_style
        self.total_pages = total_pages
        self.catalog_routes = catalog_routes
        self.first_page = first_page
        self.page_zero = page_zero
        self.consent_coded = consent_coded
        self.companions: dict[str, dict[str, Any]] = {}
        self.stock: dict[str, dict[str, Any]] = {}
        self.consents: set[str] = set()
        self.org_consent = False
        self.polls: dict[str, int] = {}
        self._failures: dict[str, str] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._state = threading.RLock()
        super().__init__()
        self.add_media("napster/avatar.jpg", sample_jpeg(), "image/jpeg")
        self.add_media("napster/avatar.mp4", sample_mp4(), "video/mp4")
        for first, last, gender, ethnicity in STOCK:
            record = self._record({"firstName": first, "lastName": last, "gender": gender, "ethnicity": ethnicity,
                                   "description": f"{first}, a friendly catalog persona."}, "stock")
            record.update(status="completed", avatarUrl="/_media/napster/avatar.jpg",
                          previewVideoUrl="/_media/napster/avatar.mp4")
            self.stock[record["id"]] = record

    def routes(self) -> list[BaseRoute]:
        catalog: list[tuple[str, str, Handler]] = [
            ("GET", "/public/companions/ethnicities", self._list_ethnicities),
            ("GET", "/public/companions/napster-stock", self._list_stock)] if self.catalog_routes else []
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/public/companions", self._create_companion),
            ("GET", "/public/companions", self._list_custom),
            *catalog,
            ("GET", "/public/companions/{id}", self._get_companion),
            ("POST", "/public/digital-twins", self._create_twin),
        ]
        return [Route(path, self._guard(f"{method} {path}", handler), methods=[method])
                for method, path, handler in table]

    # -- helpers for tests
    def grant_consent(self, external_client_id: str | None = None) -> None:
        """Consent for one externalClientId, or (no argument) digital twins enabled for the whole organisation."""
        if external_client_id is None:
            self.org_consent = True
        else:
            self.consents.add(external_client_id)

    def seed(self, count: int) -> list[str]:
        """`count` ready custom companions of this organisation, as if made earlier; their ids in order."""
        ids = []
        with self._state:
            for n in range(count):
                record = self._record({"firstName": f"Companion{n:03d}", "lastName": "Seeded", "gender": "female",
                                       "description": f"Seeded companion {n}."}, "custom")
                record.update(status="completed", avatarUrl="/_media/napster/avatar.jpg")
                self.companions[record["id"]] = record
                ids.append(record["id"])
        return ids

    def fail_companion(self, companion_id: str, status: str = "failed") -> None:
        """The companion's next poll ends its generation in `status`."""
        self._failures[companion_id] = status

    def complete(self, companion_id: str) -> None:
        with self._state:
            self.polls[companion_id] = max(self.polls.get(companion_id, 0), self.polls_to_complete)
            self._advance(companion_id)

    # -- plumbing
    def _error(self, status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
        return _problem(status, title, detail, style=self.error_style, **extra)

    def _validation(self, errors: dict[str, list[str]]) -> JSONResponse:
        return self._error(400, "One or more validation errors occurred.", errors=errors)

    def _guard(self, route: str, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            limited = self._throttle(route)
            if limited is not None:
                return limited
            if request.headers.get("x-api-key") != self.api_key:
                return self._error(401, "Unauthorized", "A valid X-Api-Key header is required.")
            return await handler(request)

        return endpoint

    def _throttle(self, route: str) -> Response | None:
        if self.rate_limit is None or (self.rate_limited_routes is not None and route not in self.rate_limited_routes):
            return None
        capacity, per = self.rate_limit
        rate, now = capacity / per, time.monotonic()
        with self._state:
            bucket = self._buckets.setdefault(route, _Bucket(float(capacity), now))
            bucket.tokens = min(float(capacity), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            wait = max(1, math.ceil((1 - bucket.tokens) / rate))
        response = self._error(429, "Too Many Requests", f"Rate limit exceeded. Retry in {wait} seconds.")
        response.headers["Retry-After"] = str(wait)
        return response

    def _render(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: self.base_url + v if isinstance(v, str) and v.startswith("/_media/") else v
                for k, v in record.items()}

    async def _json_body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            return self._validation({"$": [f"The JSON value could not be converted: {exc}"]})
        if not isinstance(body, dict):
            return self._validation({"$": ["The request body must be a JSON object."]})
        return body

    def _record(self, body: dict[str, Any], kind: str) -> dict[str, Any]:
        now = _now()
        keys = ("firstName", "lastName", "description", "gender", "ethnicity", "pictureUrl", "videoUrl", "voiceUrl",
                "externalClientId")
        return {"id": str(uuid.uuid4()), **{k: body.get(k) for k in keys}, "version": body.get("version") or "v1",
                "tags": body.get("tags") or {}, "type": kind, "status": "pending", "avatarUrl": None,
                "previewVideoUrl": None, "createdAt": now, "updatedAt": now}

    # -- validation
    def _check(self, body: dict[str, Any], required: tuple[str, ...]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}

        def bad(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for field in required:
            if not (isinstance(body.get(field), str) and body[field].strip()):
                bad(field, f"The {field} field is required.")
        for field in ("firstName", "lastName", "description", "externalClientId"):
            if body.get(field) is not None and not isinstance(body[field], str):
                bad(field, f"The {field} field must be a string.")
        if body.get("version") is not None and body["version"] not in ("v1", "v2"):
            bad("version", "The version field must be 'v1' or 'v2'.")
        if body.get("gender") is not None and body["gender"] not in GENDERS:
            bad("gender", f"The gender field must be one of {', '.join(GENDERS)}.")
        if body.get("ethnicity") not in (None, "") and body["ethnicity"] not in self.ethnicities:
            bad("ethnicity", "Unsupported ethnicity; see GET /public/companions/ethnicities.")
        tags = body.get("tags")
        if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
            bad("tags", "The tags field must be an object of string values.")
        for field in ("pictureUrl", "videoUrl", "voiceUrl"):
            value = body.get(field)
            if value in (None, ""):
                continue
            if not (isinstance(value, str) and re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", value)):
                bad(field, f"The {field} field must be a publicly reachable absolute https URL.")
        return errors

    @staticmethod
    def _unknown(body: dict[str, Any], allowed: frozenset[str], errors: dict[str, list[str]]) -> None:
        for field in sorted(set(body) - allowed):
            errors.setdefault(field, []).append(f"The {field} field is not a property of this request.")

    def _need_media(self, body: dict[str, Any], errors: dict[str, list[str]], *, twin: bool) -> None:
        version = body.get("version") or "v1"
        if version == "v2" and not body.get("videoUrl") and not (twin and body.get("pictureUrl")):
            errors.setdefault("videoUrl", []).append("The videoUrl field is required for version v2.")
        if version == "v1" and not body.get("pictureUrl") and (twin or self.require_picture_for_v1):
            errors.setdefault("pictureUrl", []).append("The pictureUrl field is required for version v1.")
        if twin and not body.get("voiceUrl") and (version == "v1" or not body.get("videoUrl")):
            errors.setdefault("voiceUrl", []).append("The voiceUrl field is required unless a v2 videoUrl is given.")

    # -- routes
    async def _create_companion(self, request: Request) -> Response:
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        errors = self._check(body, ("description",))
        self._unknown(body, COMPANION_FIELDS, errors)
        self._need_media(body, errors, twin=False)
        if errors:
            return self._validation(errors)
        with self._state:
            record = self._record(body, "custom")
            self.companions[record["id"]] = record
        return JSONResponse(self._render(record), status_code=201)

    async def _create_twin(self, request: Request) -> Response:
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        errors = self._check(body, ("firstName", "lastName", "description", "gender", "ethnicity", "externalClientId"))
        self._unknown(body, TWIN_FIELDS, errors)
        external_id = body.get("externalClientId")
        if isinstance(external_id, str) and external_id and not EXTERNAL_ID.match(external_id):
            errors.setdefault("externalClientId", []).append("The externalClientId must match ^[A-Za-z0-9_-]{1,32}$.")
        self._need_media(body, errors, twin=True)
        if errors:
            return self._validation(errors)
        if not (self.org_consent or external_id in self.consents):
            detail = "Consent is required before creating a digital twin of a real person."
            if not self.consent_coded:
                return self._error(self.consent_error_status, "DigitalTwinConsentRequired",
                                   f"DigitalTwinConsentRequired: {detail}")
            return self._error(self.consent_error_status, "DigitalTwinConsentRequired", detail,
                               code="DigitalTwinConsentRequired")
        with self._state:
            record = self._record(body, "digitalTwin")
            self.companions[record["id"]] = record
        return JSONResponse(self._render(record), status_code=201)

    async def _get_companion(self, request: Request) -> Response:
        companion_id = request.path_params["id"]
        with self._state:
            if companion_id in self.stock:
                return JSONResponse(self._render(self.stock[companion_id]))
            if companion_id not in self.companions:
                return self._error(404, "Not Found", f"Companion {companion_id} was not found.")
            self.polls[companion_id] = self.polls.get(companion_id, 0) + 1
            self._advance(companion_id)
            return JSONResponse(self._render(self.companions[companion_id]))

    def _advance(self, companion_id: str) -> None:
        record = self.companions[companion_id]
        if record["status"] not in FLOW or record["status"] == "completed":
            return
        if companion_id in self._failures:
            record.update(status=self._failures.pop(companion_id), updatedAt=_now())
            return
        last = len(FLOW) - 1
        stage = min(last, self.polls[companion_id] * last // max(1, self.polls_to_complete))
        if FLOW[stage] != record["status"]:
            record.update(status=FLOW[stage], updatedAt=_now())
        if stage >= 1:
            record.update(avatarUrl="/_media/napster/avatar.jpg", previewVideoUrl="/_media/napster/avatar.mp4")

    async def _list_custom(self, request: Request) -> Response:
        return self._list(request, list(self.companions.values()))

    async def _list_stock(self, request: Request) -> Response:
        return self._list(request, list(self.stock.values()))

    async def _list_ethnicities(self, request: Request) -> Response:
        return JSONResponse(self.ethnicities)

    def _list(self, request: Request, items: list[dict[str, Any]]) -> Response:
        query = request.query_params
        statuses = [s for value in query.getlist("statuses") for s in value.split(",") if s]
        errors: dict[str, list[str]] = {}
        unknown = [s for s in statuses if s not in (*FLOW, "failed")]
        if unknown:
            errors["statuses"] = [f"The value '{unknown[0]}' is not valid."]
        numbers: dict[str, int] = {}
        base = self.first_page
        if base and query.get("pageIndex") == "0" and self.page_zero == "first":
            query = query.__class__({**dict(query), "pageIndex": str(base)})
        for name, default, low, high in (("pageIndex", base, base, None), ("pageSize", 10, 1, 100)):
            raw = query.get(name)
            try:
                numbers[name] = int(raw) if raw not in (None, "") else default
            except ValueError:
                errors[name] = [f"The value '{raw}' is not valid."]
                continue
            if numbers[name] < low or (high is not None and numbers[name] > high):
                errors[name] = [f"The field {name} must be between {low} and {high or 'any'}."]
        if errors:
            return self._validation(errors)
        search = (query.get("search") or "").lower()
        picked = [item for item in items
                  if (not statuses or item["status"] in statuses)
                  and (not query.get("gender") or item["gender"] == query.get("gender"))
                  and (not query.get("ethnicity") or item["ethnicity"] == query.get("ethnicity"))
                  and (not search or search in " ".join(str(item.get(k) or "") for k in
                                                        ("firstName", "lastName", "description")).lower())]
        index, size = numbers["pageIndex"], numbers["pageSize"]
        start = (index - base) * size
        page: dict[str, Any] = {"items": [self._render(i) for i in picked[start:start + size]],
                                "totalCount": len(picked), "pageIndex": index, "pageSize": size}
        if self.total_pages:
            page["totalPages"] = math.ceil(len(picked) / size)
        return JSONResponse(page)
