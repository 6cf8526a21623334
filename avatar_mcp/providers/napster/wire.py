"""Napster's wire format (seed 000, vendor-apis.md D): error bodies of any shape, request and answer models, media
rules.

Nothing here does I/O; provider.py sends what these build, status.py reads the answers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import classify, require_https
from avatar_mcp.providers._http import VendorErrorInfo, body_or_none
from avatar_mcp.providers.wire import Answer, VendorId, Wire

if TYPE_CHECKING:
    import httpx

CONSENT_CODE = "DigitalTwinConsentRequired"
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
    body = body_or_none(response)
    if not isinstance(body, dict):
        return VendorErrorInfo(status=response.status_code, message=response.reason_phrase or "error")
    problems = _field_problems(body.get("errors"))
    said = body.get("message")
    listed = [str(m) for m in said if m] if isinstance(said, list) else []
    head = next((str(v) for v in (body.get("detail"), said if isinstance(said, str) else None, body.get("title"),
                                  body.get("error")) if isinstance(v, str) and v.strip()), None)
    parts = [f"{field}: {text}" if field else text for field, text in problems] or listed
    message = "; ".join([p for p in (head, "; ".join(parts)) if p]) or response.reason_phrase or "error"
    code = body.get("code")
    if code != CONSENT_CODE and _names_consent(body):
        code = CONSENT_CODE  # reference D names the refusal, not the field it travels in
    param = next((field for field, _ in problems if field), None)
    return VendorErrorInfo(status=response.status_code, message=message, code=str(code) if code else None,
                           param=param)


def _names_consent(body: dict[str, Any]) -> bool:
    """Whether an error body names DigitalTwinConsentRequired in any of its top-level texts (code, errorCode, type,
    title, error, message, detail, name) or items of a `message` list."""
    texts: list[Any] = [body.get(k) for k in ("code", "errorCode", "type", "title", "error", "message", "detail",
                                               "name")]
    if isinstance(body.get("message"), list):
        texts += body["message"]
    return any(isinstance(t, str) and CONSENT_CODE in t for t in texts)


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
    try:
        return require_https(source, what=f"{field} URL", vendor="Napster")
    except MediaRejected as exc:
        raise MediaRejected(f"The {field} URL {source.strip()!r} is not a public https URL that Napster could fetch. "
                            f"Host the file at a public https address and call again.", source=source) from exc


def external_client_id(name: str) -> str:
    """The twin's externalClientId, derived from the name so consent recorded for it matches a later retry."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip().lower()).strip("-")
    return slug[:32].rstrip("-") or "twin"


class CompanionRequest(Wire):
    """POST /public/companions: v1 from a picture, v2 from a video of the person speaking."""

    description: str
    version: Literal["v1", "v2"]
    pictureUrl: str | None = None
    videoUrl: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    gender: str | None = None
    ethnicity: str | None = None


class TwinRequest(Wire):
    """POST /public/digital-twins (v2, from the training video)."""

    firstName: str
    lastName: str
    description: str
    gender: str
    ethnicity: str
    externalClientId: str
    videoUrl: str
    version: Literal["v2"] = "v2"


class Companion(Answer):
    """A companion or twin record, as a create, a status request or a listing answers it."""

    id: VendorId
    status: str | None = None
    type: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    gender: str | None = None
    avatarUrl: str | None = None


class Page(Answer):
    """One page of a listing; items stay raw (a lost create is matched on whatever fields they show)."""

    items: list[Any] = Field(default_factory=list)
    totalCount: int | None = None
    totalPages: int | None = None
    pageSize: int | None = None

    def records(self) -> list[dict[str, Any]]:
        return [i for i in self.items if isinstance(i, dict)]

    def last(self, pages_read: int, size: int, *, read: int | None = None) -> bool:
        """Whether `pages_read` pages (`read` records, when counted) cover the listing: by totalCount, else
        totalPages, else a short page."""
        if self.pageSize:
            size = self.pageSize
        if self.totalCount is not None:
            return (read if read is not None else pages_read * size) >= self.totalCount
        if self.totalPages is not None:
            return pages_read >= self.totalPages
        return len(self.items) < size
