"""The streamable-HTTP app and its security: DNS-rebinding protection always on, a bearer token off loopback.

`http_app(server, settings, host, port)` refuses to build an app that would be exposed without a token, and
never leaves the Host/Origin allow-lists empty.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from avatar_mcp.config import LOOPBACK_HOSTS, Settings

UNAUTHENTICATED_PREFIXES = ("/webhooks/",)
"""Vendors cannot send our bearer token; their deliveries are verified by signature instead."""


class InsecureBind(Exception):
    """The HTTP transport would be reachable from other machines without a token."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def security_settings(settings: Settings, host: str, port: int) -> TransportSecuritySettings:
    """Host and Origin allow-lists: loopback names by default, plus what AVATAR_MCP_ALLOWED_HOSTS/ORIGINS add."""
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        hosts.append(f"{host}:{port}")
    hosts += [h for h in settings.allowed_hosts if h not in hosts]
    origins += [o for o in settings.allowed_origins if o not in origins]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


class BearerTokenMiddleware:
    """Every request must carry `Authorization: Bearer <token>` (compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str, open_prefixes: Sequence[str] = UNAUTHENTICATED_PREFIXES) -> None:
        self.app = app
        self._token = token.encode()
        self._open = tuple(open_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self._open):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"")
        scheme, _, given = auth.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self._token):
            response = JSONResponse(
                {"error": "unauthorized", "error_description": "Send Authorization: Bearer <AVATAR_MCP_HTTP_TOKEN>."},
                status_code=401, headers={"WWW-Authenticate": 'Bearer realm="avatar-mcp"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def http_app(server: MCPServer[Any], settings: Settings, host: str, port: int) -> ASGIApp:
    """The ASGI app for `avatar-mcp serve --http`."""
    token = settings.http_token.get_secret_value() if settings.http_token else ""
    if not is_loopback(host) and not token:
        raise InsecureBind(
            f"Refusing to serve on {host}: that address is reachable from other machines. Set AVATAR_MCP_HTTP_TOKEN "
            f"to a long random secret (clients send it as 'Authorization: Bearer <token>'), or bind to 127.0.0.1.")
    app: ASGIApp = server.streamable_http_app(transport_security=security_settings(settings, host, port), host=host)
    if token:
        app = BearerTokenMiddleware(app, token)
    return app
