"""Webhook routes (HTTP transport only): vendors tell us a job changed, and we refresh it at once.

A delivery never sets a job's state by itself: it only triggers one status request to the vendor, so even
a forged delivery could not fake a result. HeyGen signs deliveries to registered endpoints: the signature
(hex HMAC-SHA256 of the raw body or of '<timestamp>.<body>', keyed by the endpoint secret; header name and
signing input configurable) is checked, and unsigned or badly signed deliveries are rejected before anything
happens. Runware and Creatify do not sign their deliveries: theirs only name the job (a random vendor id), which
is refreshed if it is one of ours and still open.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from avatar_mcp.config import Settings

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "heygen-timestamp"
TIMESTAMP_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1_000_000
UNSIGNED_MAX_IDS = 10
"""One unsigned delivery refreshes at most this many jobs."""
_VENDOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def heygen_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_heygen(settings: Settings, headers: dict[str, str], body: bytes, now: float | None = None) -> str | None:
    """None when the delivery is authentic, else the reason it is not.

    The signing input is UNCERTAIN in HeyGen's docs (heygen-v3.md 6): HEYGEN_WEBHOOK_SIGNING_INPUT picks the raw
    body, '<timestamp>.<body>', or auto (either; both need the secret).
    """
    if settings.heygen_webhook_secret is None:
        return "no HEYGEN_WEBHOOK_SECRET is configured, so deliveries cannot be verified"
    given = headers.get(settings.heygen_webhook_signature_header.lower(), "")
    if not given:
        return f"missing {settings.heygen_webhook_signature_header} header"
    stamp = headers.get(TIMESTAMP_HEADER)
    if stamp is not None:
        try:
            age = abs((now or time.time()) - float(stamp))
        except ValueError:
            return "malformed timestamp"
        if age > TIMESTAMP_TOLERANCE_SECONDS:
            return "stale timestamp"
    mode = settings.heygen_webhook_signing_input
    signed: list[bytes] = [body] if mode in ("auto", "body") else []
    if mode in ("auto", "timestamp.body") and stamp is not None:
        signed.append(f"{stamp}.".encode() + body)
    if not signed:
        return f"missing {TIMESTAMP_HEADER} header"
    secret = settings.heygen_webhook_secret.get_secret_value()
    expected = [heygen_signature(secret, message) for message in signed]
    candidates = [part.split("=", 1)[-1].strip() for part in given.split(",")]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        return "bad signature"
    return None


def heygen_vendor_id(payload: Any) -> str | None:
    data = payload.get("event_data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    for key in ("video_id", "avatar_id", "generation_id", "group_id", "id"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def register_webhooks(server: MCPServer[Any], settings: Settings,
                      service: Callable[[], Awaitable[AvatarService | None]]) -> None:
    @server.custom_route("/webhooks/heygen", methods=["POST"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def heygen(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        problem = verify_heygen(settings, headers, body)
        if problem is not None:
            logger.warning("rejected a HeyGen webhook delivery: %s", problem)
            return JSONResponse({"error": problem}, status_code=401)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        vendor_id = heygen_vendor_id(payload)
        current = await service()
        if vendor_id is None or current is None:
            return JSONResponse({"ok": True, "matched": False})
        job = await current.on_vendor_event("heygen", vendor_id)
        logger.info("HeyGen %s for %s -> %s", payload.get("event_type"), vendor_id, job.id if job else "no job")
        return JSONResponse({"ok": True, "matched": job is not None})

    for vendor, extract in UNSIGNED_VENDORS.items():
        _register_unsigned(server, vendor, extract, service)


def runware_vendor_ids(payload: Any) -> list[str]:
    """Runware posts `{"data": [item]}` per finished result, `{"errors": [item]}` on failure; items name the task."""
    if not isinstance(payload, dict):
        return []
    items = [i for key in ("data", "errors") if isinstance(payload.get(key), list) for i in payload[key]]
    return [i["taskUUID"] for i in items if isinstance(i, dict) and isinstance(i.get("taskUUID"), str)]


def creatify_vendor_ids(payload: Any) -> list[str]:
    """Creatify posts `{id, status, failed_reason, output}` for personas and lipsyncs alike."""
    value = payload.get("id") if isinstance(payload, dict) else None
    return [value] if isinstance(value, str) else []


UNSIGNED_VENDORS: dict[str, Callable[[Any], list[str]]] = {"runware": runware_vendor_ids,
                                                            "creatify": creatify_vendor_ids}


def _register_unsigned(server: MCPServer[Any], vendor: str, extract: Callable[[Any], list[str]],
                       service: Callable[[], Awaitable[AvatarService | None]]) -> None:
    """A route for a vendor that does not sign: the delivery is only a hint to ask the vendor now."""

    @server.custom_route(f"/webhooks/{vendor}", methods=["POST"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def deliver(request: Request) -> Response:
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        ids = list(dict.fromkeys(v for v in extract(payload) if _VENDOR_ID.match(v)))[:UNSIGNED_MAX_IDS]
        current = await service()
        if current is None:
            return JSONResponse({"ok": True, "matched": 0})
        matched = 0
        for vendor_id in ids:
            matched += await current.on_vendor_event(vendor, vendor_id) is not None
        logger.info("%s webhook for %d id(s): %d matched", vendor, len(ids), matched)
        return JSONResponse({"ok": True, "matched": matched})
