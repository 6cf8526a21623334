"""The one boundary between avatar-mcp and httpx.

Every vendor call goes through `VendorHTTP.request`. It owns:
- timeouts (named constants below, never unset);
- retries: only for requests that are safe to repeat (reads, and creates carrying an idempotency key or a
  client-chosen id), with exponential backoff, jitter and the vendor's Retry-After; a create without one is
  retried only when the vendor provably did not take it (429, or a connection never made);
- error mapping: httpx errors and vendor error bodies become the errors.py tree, raised `from` the cause;
- redaction: no configured secret (any vendor's key, the webhook secrets, the HTTP token: redaction.py) ever
  appears in an error message or a decoded answer, whichever vendor's answer carried it.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from avatar_mcp import outbound
from avatar_mcp.errors import (
    AuthError,
    Conflict,
    InsufficientCredit,
    InvalidRequest,
    NotFound,
    ProviderConnectionError,
    ProviderError,
    ProviderStatusError,
    ProviderTimeout,
    RateLimited,
    ServerError,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.redaction import Redactor

logger = logging.getLogger("avatar_mcp.http")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""Reads and small writes."""
CREATE_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""Create calls: vendors validate media URLs synchronously and can be slow to accept."""
UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
"""File uploads."""

MAX_RETRIES = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 20.0
RETRY_AFTER_CAP_SECONDS = 30.0
"""A Retry-After longer than this is not waited out inside a tool call: the error goes to the caller."""

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class VendorErrorInfo:
    """A vendor's error, read from its response body by the vendor module."""

    status: int
    message: str
    code: str | None = None
    param: str | None = None


ErrorParser = Callable[[httpx.Response], VendorErrorInfo | None]
"""Vendor hook: the error in a response (also one hidden in a 200 envelope), or None for success."""


def segment(value: str) -> str:
    """A value as one URL path segment: every reserved character escaped, `/` included, so an id can never reach
    another path, a query or a fragment (ids are also checked per vendor before they get here)."""
    return quote(value, safe="")


def body_or_none(response: httpx.Response) -> Any:
    """A response's JSON body, or None when it has none (error parsers read whatever a vendor sent)."""
    try:
        return response.json()
    except ValueError:
        return None


def default_error_parser(response: httpx.Response) -> VendorErrorInfo | None:
    if response.is_success:
        return None
    return VendorErrorInfo(status=response.status_code, message=response.reason_phrase or "error")


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds; it may be a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; the vendor's Retry-After wins when it is longer."""
    delay = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


class VendorHTTP:
    """One vendor's view of the shared httpx client: base URL, auth headers, error parsing."""

    def __init__(
        self,
        http: SharedHTTP,
        *,
        provider: str,
        base_url: str,
        auth_headers: Mapping[str, str],
        error_parser: ErrorParser = default_error_parser,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], Any] = anyio.sleep,
    ) -> None:
        self._http = http
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._auth = dict(auth_headers)
        self._parse_error = error_parser
        # The credential inside an auth header ("Bearer <key>") as well as the whole value: a vendor echoing the key
        # in an error must not leak it, whether or not its module listed the key among `secrets`.
        credentials = [word for value in self._auth.values() for word in value.split()[-1:]]
        self.redact = Redactor([*secrets, *self._auth.values(), *credentials, *http.secrets])
        self._sleep = sleep

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def _same_origin(self, url: str) -> bool:
        own, other = httpx.URL(self.base_url), httpx.URL(url)
        return (own.scheme, own.host, own.port) == (other.scheme, other.host, other.port)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - an httpx timeout, per request
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send one request, retrying only where repeating it cannot do harm. Returns a successful response."""
        safe_to_repeat = method.upper() in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE") if idempotent is None \
            else idempotent
        all_headers = {**(self._auth if authenticate else {}), **(headers or {})}
        url = self.url(path)
        elsewhere = not self._same_origin(url)
        if authenticate and elsewhere:
            # An absolute URL from a vendor's answer (a next-page link, say) must never carry the key elsewhere.
            raise ProviderError(f"{self.provider} pointed to another site ({httpx.URL(url).host}); the request was "
                                f"not sent, so the API key stayed private.", provider=self.provider)
        if elsewhere and (json is not None or params or files or data):
            raise ValueError("a request to another site (a presigned upload URL) sends raw content only")
        label = f"{method.upper()} {httpx.URL(url).path}"
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                if elsewhere:
                    # Another site a vendor's answer named (a presigned upload URL): the download rules for
                    # addresses hold (https, public, connected where checked), so an answer cannot point the
                    # server at the metadata service or the intranet.
                    response = await outbound.send(self._http, method, url, content=content, headers=all_headers,
                                                   timeout=timeout)
                else:
                    response = await self._http.client.request(
                        method, url, json=json, params=params, content=content, files=files, data=data,
                        headers=all_headers, timeout=timeout,
                    )
            except outbound.OutboundRefused:
                raise ProviderError(
                    f"{self.provider} named {httpx.URL(url).host} as the place to send a file, which is not an https "
                    f"address on the public internet, so nothing was sent there. This is usually temporary: try "
                    f"again.", provider=self.provider) from None
            except httpx.HTTPError as exc:
                # A connection that was never made cannot have reached the vendor.
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                logger.warning("%s failed after %.0f ms: %s", label, (time.monotonic() - started) * 1000,
                               type(exc).__name__)
                if attempt < MAX_RETRIES and (safe_to_repeat or not sent):
                    await self._sleep(backoff_delay(attempt))
                    attempt += 1
                    continue
                raise self._connection_error(exc, label, sent) from exc
            elapsed_ms = (time.monotonic() - started) * 1000
            info = self._parse_error(response)
            if info is None:
                logger.debug("%s -> %s (%.0f ms)", label, response.status_code, elapsed_ms)
                return response
            logger.info("%s -> %s %s (%.0f ms)", label, info.status, info.code or "", elapsed_ms)
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            # A 429 means the vendor refused the request, so even a create may be sent again.
            can_retry = info.status == 429 or (safe_to_repeat and info.status in _RETRY_STATUSES)
            too_long = retry_after is not None and retry_after > RETRY_AFTER_CAP_SECONDS
            if can_retry and attempt < MAX_RETRIES and not too_long:
                await self._sleep(backoff_delay(attempt, retry_after))
                attempt += 1
                continue
            raise self.status_error(info, retry_after)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` and decode the JSON body (redacted of every secret); a body that is not JSON is a ServerError."""
        response = await self.request(method, path, **kwargs)
        try:
            return self.redact.tree(response.json())
        except ValueError as exc:
            raise ServerError(
                f"{self.provider} answered {method.upper()} {httpx.URL(self.url(path)).path} with a body that is "
                f"not valid JSON. This is usually temporary: check the job again in a minute.",
                provider=self.provider, status_code=response.status_code,
            ) from exc

    def status_error(self, info: VendorErrorInfo, retry_after: float | None = None) -> ProviderStatusError:
        """The errors.py exception for a vendor error."""
        vendor_message = self.redact(info.message)[:500].rstrip().rstrip(".")  # the sentence ends below
        prefix = f"{self.provider} said: {vendor_message}" + (f" (code {info.code})" if info.code else "")
        common: dict[str, Any] = {"provider": self.provider, "vendor_code": info.code}
        status = info.status
        if status == 429:
            wait = f"retry in {retry_after:.0f} s" if retry_after is not None else "wait a minute and retry"
            return RateLimited(f"{prefix}. Rate limited: {wait}.", retry_after=retry_after, status_code=status,
                               **common)
        if status in (401, 403):
            return AuthError(f"{prefix}. The API key was refused: check the key in the server's environment "
                             f"(and the plan's permissions), then restart the server.", status_code=status, **common)
        if status == 402:
            return InsufficientCredit(f"{prefix}. The {self.provider} account has too few credits for this: "
                                      f"top up, or use a cheaper option (shorter script, another provider).",
                                      status_code=status, **common)
        if status == 404:
            return NotFound(f"{prefix}. Check the id (list_avatars / list_voices / list_jobs show valid ones).",
                            status_code=status, **common)
        if status == 409:
            return Conflict(f"{prefix}. The same request is still being processed; check again shortly.",
                            status_code=status, **common)
        if 400 <= status < 500:
            field = f" Field: {info.param}." if info.param else ""
            return InvalidRequest(f"{prefix}.{field} Fix the request and call again.", status_code=status,
                                  param=info.param, **common)
        return ServerError(f"{prefix}. {self.provider} had a server error; this is usually temporary.",
                           status_code=status, **common)

    def _connection_error(self, exc: httpx.HTTPError, label: str, sent: bool) -> ProviderConnectionError:
        kind = type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeout(f"{self.provider} did not answer {label} in time ({kind}).",
                                   provider=self.provider, request_sent=sent)
        return ProviderConnectionError(f"Could not reach {self.provider} for {label} ({kind}). Check the network "
                                       f"and the base URL setting.", provider=self.provider, request_sent=sent)
