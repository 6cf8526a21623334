"""One-off HeyGen account tasks for the command line: register the webhook endpoint, read the remaining credits.

`avatar-mcp heygen-webhook` registers `<AVATAR_MCP_PUBLIC_URL>/webhooks/heygen` (v2 /v1/webhook/endpoint.add, v3
/v3/webhooks/endpoints) and prints the signing secret once, to be set as HEYGEN_WEBHOOK_SECRET; `avatar-mcp doctor
--online` adds the remaining credits. Neither prints the API key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from avatar_mcp import __version__
from avatar_mcp.config import Settings
from avatar_mcp.errors import AvatarError
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.heygen.provider import HeyGenProvider, from_settings

WEBHOOK_PATH = "/webhooks/heygen"


@asynccontextmanager
async def _provider(settings: Settings) -> AsyncIterator[HeyGenProvider]:
    http = SharedHTTP(user_agent=f"avatar-mcp/{__version__}")
    media = MediaPolicy(settings.effective_media_roots(), max_bytes=settings.max_media_bytes)
    try:
        yield from_settings(settings, http, media)
    finally:
        await http.aclose()


def webhook_url(settings: Settings) -> str | None:
    return f"{settings.public_url.rstrip('/')}{WEBHOOK_PATH}" if settings.public_url else None


async def register_webhook(settings: Settings) -> tuple[int, str]:
    """(exit code, text to print) for `avatar-mcp heygen-webhook`."""
    url = webhook_url(settings)
    if settings.heygen_api_key is None:
        return 2, "Set HEYGEN_API_KEY first."
    if url is None:
        return 2, ("Set AVATAR_MCP_PUBLIC_URL to the https address HeyGen can reach this server at (serve it with "
                   "`avatar-mcp serve --http`), then run this again.")
    try:
        async with _provider(settings) as provider:
            endpoint_id, secret = await provider.register_webhook(url)
    except AvatarError as exc:
        return 1, f"HeyGen refused the registration: {exc}"
    if secret is None:
        return 0, (f"{url} is already registered with HeyGen (endpoint {endpoint_id}). Its signing secret was shown "
                   f"when it was created; to get a new one, delete the endpoint in HeyGen's dashboard and run this "
                   f"again.")
    return 0, (f"Registered {url} with HeyGen {settings.heygen_api_version} (endpoint {endpoint_id}).\n"
               f"Set this in the server's environment and restart it (it is shown only now):\n"
               f"  HEYGEN_WEBHOOK_SECRET={secret}")


async def credits_line(settings: Settings) -> str:
    """One line for `avatar-mcp doctor --online`."""
    try:
        async with _provider(settings) as provider:
            remaining = await provider.remaining_credits()
    except AvatarError as exc:
        return f"  HeyGen remaining credits: unavailable ({exc})"
    return f"  HeyGen remaining credits: {remaining.amount:g} ({remaining.basis})"
