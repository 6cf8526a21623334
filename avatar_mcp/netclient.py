"""The process's httpx clients, opened on first use.

Importing httpx and building its TLS context costs ~50 ms, which every chat would pay at start-up even when
only the local studio is used; so a client is created the first time a vendor call or a download needs it.
Neither carries credentials: vendor modules add their own headers per request (providers/_http.py).

`client` serves vendor API calls. `download_client` serves downloads only (outbound.py): it never follows
redirects by itself and never reuses a connection, because each download connects to an address it has just
checked, and a pooled connection would carry one name's certificate check over to another name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from avatar_mcp.outbound import OutboundPolicy

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0


class SharedHTTP:
    """The httpx clients, the outbound policy every download follows, and the secrets every vendor redacts."""

    def __init__(self, *, user_agent: str, outbound: OutboundPolicy | None = None,
                 secrets: Iterable[str] = ()) -> None:
        self.user_agent = user_agent
        self.outbound = outbound or OutboundPolicy()
        self.secrets = tuple(secrets)
        """Every configured secret (Settings.secrets()): a vendor's answer is redacted of all of them."""
        self._client: httpx.AsyncClient | None = None
        self._downloads: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(DEFAULT_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
                headers={"User-Agent": self.user_agent})
        return self._client

    @property
    def download_client(self) -> httpx.AsyncClient:
        if self._downloads is None:
            import httpx

            policy = self.outbound
            self._downloads = httpx.AsyncClient(
                timeout=httpx.Timeout(policy.rate_window, connect=policy.connect_timeout),
                limits=httpx.Limits(max_keepalive_connections=0), follow_redirects=False,
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "identity"})
        return self._downloads

    async def aclose(self) -> None:
        for client in (self._client, self._downloads):
            if client is not None:
                await client.aclose()
        self._client = self._downloads = None
