"""Napster's wire format (seed 000, vendor-apis.md D): error bodies of any shape, statuses, records, media rules.

Nothing here does I/O; napster.py sends what these build and reads answers with them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import classify
from avatar_mcp.models import AvatarInfo, JobError, JobResult
from avatar_mcp.providers._http import VendorErrorInfo
from avatar_mcp.providers.base import JobUpdate

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
