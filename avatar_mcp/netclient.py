"""The process's one httpx client, opened on first use.

Importing httpx and building its TLS context costs ~50 ms, which every chat would pay at start-up even when
only the local studio is used; so the client is created the first time a vendor call or a download needs it.
It carries no credentials: vendor modules add their own headers per request (providers/_http.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0


class SharedHTTP:
    def __init__(self, *, user_agent: str) -> None:
        self.user_agent = user_agent
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(DEFAULT_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
                headers={"User-Agent": self.user_agent})
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
