"""The streamable-HTTP app and its security: DNS-rebinding protection always on, a bearer token off loopback.

`http_app(server, settings, host, port)` refuses to build an app that would be exposed without a token, and
never leaves the Host/Origin allow-lists empty.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from avatar_mcp.config import LOOPBACK_HOSTS, Settings

MIN_TOKEN_CHARS = 16
"""Off loopback, a bearer token shorter than this is refused: it could be guessed, and redaction.py would not find
the shortest ones in text."""


class InsecureBind(Exception):
    """The HTTP transport would be reachable from other machines without a token, or with a guessable one."""


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


def http_app(server: MCPServer[Any], settings: Settings, host: str, port: int) -> ASGIApp:
    """The ASGI app for `avatar-mcp serve --http`. Bearer tokens are checked by the SDK's auth middleware (the server
    was built with them: server.http_security), on /mcp only: webhook routes verify signatures instead."""
    tokens = settings.token_principals()
    if not is_loopback(host) and not tokens:
        raise InsecureBind(
            f"Refusing to serve on {host}: that address is reachable from other machines. Set AVATAR_MCP_HTTP_TOKEN "
            f"to a long random secret (clients send it as 'Authorization: Bearer <token>'), or AVATAR_MCP_HTTP_TOKENS "
            f"to token=principal pairs (one per tenant), or bind to 127.0.0.1.")
    short = sorted({principal for token, principal in tokens.items() if len(token) < MIN_TOKEN_CHARS})
    if not is_loopback(host) and short:
        raise InsecureBind(
            f"Refusing to serve on {host}: the bearer token of {', '.join(short)} is shorter than {MIN_TOKEN_CHARS} "
            f"characters, so it could be guessed. Every token must have at least {MIN_TOKEN_CHARS} characters "
            f"(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`).")
    return server.streamable_http_app(transport_security=security_settings(settings, host, port), host=host)
