"""Who is calling: the principal a request acts for, and the bearer tokens that name them.

On the HTTP transport every bearer token is a principal (AVATAR_MCP_HTTP_TOKENS maps token -> principal;
AVATAR_MCP_HTTP_TOKEN alone is 'default'), checked by the SDK's own bearer-auth middleware through
`StaticTokens`, so the SDK also binds sessions and sealed request state to it. A deployment with an OAuth token
verifier gets the token's subject (or client id) as the principal the same way. stdio, and a loopback HTTP server
without tokens, has one principal: 'local'. Jobs, avatars made here, confirmation codes and media belong to the
principal that created them (service.py checks it on every read).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server.auth.provider import AccessToken

LOCAL_PRINCIPAL = "local"
"""The one principal of stdio and of an HTTP server without per-tenant tokens."""


def current_principal() -> str:
    """The principal of the request being served (its access token's subject or client), else 'local'."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    if token is None:
        return LOCAL_PRINCIPAL
    return token.subject or token.client_id


def principal_of(ctx: Any) -> str:
    """The principal a tool or resource handler acts for (`ctx` is its Context; the token travels with the
    request, so the context is only named for readability)."""
    del ctx
    return current_principal()


class StaticTokens:
    """The SDK's TokenVerifier over the configured tokens: each is compared in constant time, and names its
    principal as both client id and subject (so the SDK's session and request-state bindings use it too)."""

    def __init__(self, principals: dict[str, str]) -> None:
        self._tokens = [(token.encode(), principal) for token, principal in principals.items()]

    async def verify_token(self, token: str) -> AccessToken | None:
        given = token.strip().encode()
        found = None
        for known, principal in self._tokens:  # every token is compared: the time does not tell which matched
            if hmac.compare_digest(given, known):
                found = principal
        if found is None:
            return None
        from mcp.server.auth.provider import AccessToken

        return AccessToken(token="", client_id=found, subject=found, scopes=[])
