"""Webhook routes (HTTP transport only): vendors tell us a job changed, and we refresh it at once.

A delivery never sets a job's state by itself: it only triggers one status request to the vendor, so even
a forged delivery could not fake a result. Every route:
- reads at most MAX_BODY_BYTES, streaming: a larger body (declared, or chunked) is answered 413 with
  `Connection: close` as soon as the limit is passed, and the rest is never read;
- checks what it can BEFORE reading the body.

HeyGen signs deliveries to registered endpoints (hex HMAC-SHA256 of the raw body or of '<timestamp>.<body>',
keyed by the endpoint secret; header name and signing input configurable). Before the body is read, the secret
must be configured and the signature and `Heygen-Timestamp` headers present, the timestamp a finite number within
TIMESTAMP_TOLERANCE_SECONDS of now; then the signature is checked, and the delivery is refused (409) if it was
seen before: its `Heygen-Event-Id` and the digest of its body are remembered for REPLAY_MEMORY_SECONDS in the
data dir (ledger.py, shared by every process), since a body-only signature does not cover the timestamp.

How a delivery names its job is each vendor's fact (its spec's `webhook_ids`); a signed HeyGen delivery whose ids
name no job is matched by its `callback_id` (our job id) instead. Runware and Creatify (specs with
`webhooks="unsigned"`) do not sign their deliveries: theirs only name the job (a random vendor id), which is
refreshed if it is one of ours and still open. When the server is token-protected (AVATAR_MCP_HTTP_TOKEN or
AVATAR_MCP_HTTP_TOKENS, one of which a public bind requires), their route carries a secret path segment
(`route_key`, derived from the tokens) that is checked before the body is read; the plain route then answers 404.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from avatar_mcp.config import Settings
from avatar_mcp.errors import JobNotFound
from avatar_mcp.ledger import Ledger, OneTimeFacts, ThreadedLedger

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from avatar_mcp.models import JobRecord
    from avatar_mcp.providers.spec import WebhookIds
    from avatar_mcp.service import AvatarService

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "heygen-timestamp"
EVENT_ID_HEADER = "heygen-event-id"
TIMESTAMP_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1_000_000
REPLAY_MEMORY_SECONDS = 7 * 24 * 3600
"""How long a HeyGen delivery is remembered. Its timestamp bounds replays only when the signature covers it."""
UNSIGNED_MAX_IDS = 10
"""One unsigned delivery refreshes at most this many jobs."""
_VENDOR_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def heygen_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_heygen_headers(settings: Settings, headers: dict[str, str], now: float | None = None) -> str | None:
    """What can be checked before the body is read: None when it may be read, else the reason it may not."""
    if settings.heygen_webhook_secret is None:
        return "no HEYGEN_WEBHOOK_SECRET is configured, so deliveries cannot be verified"
    if not headers.get(settings.heygen_webhook_signature_header.lower(), ""):
        return f"missing {settings.heygen_webhook_signature_header} header"
    stamp = headers.get(TIMESTAMP_HEADER)
    if stamp is None:
        return f"missing {TIMESTAMP_HEADER} header"
    try:
        when = float(stamp)
    except ValueError:
        return "malformed timestamp"
    if not math.isfinite(when):
        return "malformed timestamp"
    if abs((time.time() if now is None else now) - when) > TIMESTAMP_TOLERANCE_SECONDS:
        return "stale timestamp"
    return None


def verify_heygen(settings: Settings, headers: dict[str, str], body: bytes, now: float | None = None) -> str | None:
    """None when the delivery is authentic, else the reason it is not.

    The signing input is UNCERTAIN in HeyGen's docs (heygen-v3.md 6): HEYGEN_WEBHOOK_SIGNING_INPUT picks the raw
    body, '<timestamp>.<body>', or auto (either; both need the secret). A finite, fresh timestamp is required
    either way.
    """
    problem = check_heygen_headers(settings, headers, now)
    if problem is not None:
        return problem
    assert settings.heygen_webhook_secret is not None
    given = headers[settings.heygen_webhook_signature_header.lower()]
    stamp = headers[TIMESTAMP_HEADER]
    mode = settings.heygen_webhook_signing_input
    signed: list[bytes] = [body] if mode in ("auto", "body") else []
    if mode in ("auto", "timestamp.body"):
        signed.append(f"{stamp}.".encode() + body)
    secret = settings.heygen_webhook_secret.get_secret_value()
    expected = [heygen_signature(secret, message) for message in signed]
    candidates = [part.split("=", 1)[-1].strip() for part in given.split(",")]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        return "bad signature"
    return None


def delivery_ids(headers: dict[str, str], body: bytes) -> list[str]:
    """What identifies a delivery for replay detection: its event id when given, and its body's digest."""
    ids = [f"sha256:{hashlib.sha256(body).hexdigest()}"]
    event = headers.get(EVENT_ID_HEADER, "").strip()
    if event:
        ids.append(f"event:{event[:200]}")
    return ids


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The body if it is at most `limit` bytes, else None as soon as that is known (the rest is not read)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def too_large() -> Response:
    # Connection: close makes the server drop the connection instead of reading (and discarding) the rest.
    return JSONResponse({"error": "payload too large"}, status_code=413, headers={"Connection": "close"})


def refused(status: int, error: str) -> Response:
    """A refusal sent before the whole body was read: the connection is closed, so no more of it is read."""
    return JSONResponse({"error": error}, status_code=status, headers={"Connection": "close"})


def route_key(settings: Settings, vendor: str) -> str | None:
    """The secret path segment of an unsigned vendor's route, or None when the server has no token.

    Keyed by AVATAR_MCP_HTTP_TOKEN when set (so its key stays what it was), else by every AVATAR_MCP_HTTP_TOKENS
    token: either one allows a public bind, so either one must close the plain route. Changing the tokens changes
    the key; open jobs whose vendor then delivers to the old route are still polled."""
    if settings.http_token is not None and settings.http_token.get_secret_value():
        secret = settings.http_token.get_secret_value().encode()
    else:
        try:
            tokens = sorted(settings.token_principals())
        except ValueError:  # malformed pairs: the server refuses to start on them anyway
            tokens = []
        if not tokens:
            return None
        secret = "\n".join(tokens).encode()
    return hmac.new(secret, f"avatar-mcp webhook route {vendor}".encode(), hashlib.sha256).hexdigest()[:32]


def unsigned_vendors() -> dict[str, WebhookIds]:
    """The vendors whose deliveries are unsigned (only a hint to poll now), with how each names its jobs."""
    from avatar_mcp.providers import specs

    return {s.name: s.webhook_ids for s in specs() if s.webhooks == "unsigned" and s.webhook_ids is not None}


def callback_path(settings: Settings, vendor: str) -> str:
    """Where `vendor` should deliver: /webhooks/<vendor>, plus the route key on a token-protected server."""
    key = route_key(settings, vendor) if vendor in unsigned_vendors() else None
    return f"/webhooks/{vendor}/{key}" if key else f"/webhooks/{vendor}"


def register_webhooks(server: MCPServer[Any], settings: Settings,
                      service: Callable[[], Awaitable[AvatarService | None]]) -> None:
    from avatar_mcp.providers.heygen.spec import webhook_ids as heygen_ids

    fallback = ThreadedLedger(Ledger(settings.data_dir))

    async def ledger() -> OneTimeFacts:
        """The service's ledger (PostgreSQL's when jobs live there, so every replica sees each delivery)."""
        current = await service()
        return current.ledger if current is not None else fallback

    @server.custom_route("/webhooks/heygen", methods=["POST"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def heygen(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        problem = check_heygen_headers(settings, headers)
        if problem is not None:
            logger.warning("rejected a HeyGen webhook delivery before reading it: %s", problem)
            return refused(401, problem)
        body = await read_limited(request)
        if body is None:
            return too_large()
        problem = verify_heygen(settings, headers, body)
        if problem is not None:
            logger.warning("rejected a HeyGen webhook delivery: %s", problem)
            return JSONResponse({"error": problem}, status_code=401)
        fresh = await (await ledger()).remember("heygen-webhook", delivery_ids(headers, body), REPLAY_MEMORY_SECONDS)
        if not fresh:
            logger.warning("rejected a replayed HeyGen webhook delivery")
            return JSONResponse({"error": "already delivered"}, status_code=409)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        vendor_id = next(iter(heygen_ids(payload)), None)
        current = await service()
        if current is None:
            return JSONResponse({"ok": True, "matched": False})
        job = await current.on_vendor_event("heygen", vendor_id) if vendor_id is not None else None
        if job is None:
            job = await _heygen_by_callback_id(current, payload)
        logger.info("HeyGen %s for %s -> %s", payload.get("event_type"), vendor_id, job.id if job else "no job")
        return JSONResponse({"ok": True, "matched": job is not None})

    for vendor, extract in unsigned_vendors().items():
        _register_unsigned(server, settings, vendor, extract, service)


async def _heygen_by_callback_id(current: AvatarService, payload: Any) -> JobRecord | None:
    """The job a signed HeyGen delivery names by its `callback_id` (our job id, sent with every v3 create), when
    its vendor ids name no job: a prompt video's job follows its agent session until a poll names the video, and
    `video_agent.success` names only the video."""
    data = payload.get("event_data") if isinstance(payload, dict) else None
    callback_id = data.get("callback_id") if isinstance(data, dict) else None
    if not isinstance(callback_id, str) or not _VENDOR_ID.match(callback_id):
        return None
    try:
        job = await current.store.get(callback_id)
    except JobNotFound:
        return None
    if job.provider != "heygen" or not job.vendor_id:
        return None
    return await current.on_vendor_event("heygen", job.vendor_id)


def _register_unsigned(server: MCPServer[Any], settings: Settings, vendor: str, extract: WebhookIds,
                       service: Callable[[], Awaitable[AvatarService | None]]) -> None:
    """A route for a vendor that does not sign: the delivery is only a hint to ask the vendor now."""
    key = route_key(settings, vendor)

    async def deliver(request: Request) -> Response:
        given = request.path_params.get("key")
        if key is not None and (given is None or not hmac.compare_digest(str(given), key)):
            return refused(404, "not found")
        if key is None and given is not None:
            return refused(404, "not found")
        body = await read_limited(request)
        if body is None:
            return too_large()
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

    for path in (f"/webhooks/{vendor}", f"/webhooks/{vendor}/{{key}}"):
        server.custom_route(path, methods=["POST"], include_in_schema=False)(deliver)
