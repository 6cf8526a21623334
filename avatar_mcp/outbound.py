"""The one download path: every file the server fetches from a URL goes through `download` here.

That is the local studio's https inputs, HeyGen v2 photos given as URLs, finished vendor media (jobs/outputs.py)
and download_result's fresh copies; nothing else in the package opens a download. `send` is the same address
policy for the one other kind of URL the server connects to without having configured it: where a vendor's answer
says to send a file (HeyGen's presigned direct-upload URL; providers/_http.py routes every request to another
site through it). Vendor API calls are the other boundary (providers/_http.py, to the base URLs the operator
configured, with credentials). The policy:

- **https on every hop.** The one exception is the origin (scheme, host, port) of a configured vendor base URL
  (HEYGEN_BASE_URL, ...): the operator chose it and the server already talks to it with credentials, so media on
  that same origin is trusted like the API itself (vendor emulators on http://127.0.0.1:<port> keep working).
- **Public addresses only.** The host name is resolved here, EVERY address it resolves to must be public
  (`address_problem`: not loopback, private, link-local, site-local, CGNAT, multicast, reserved, unspecified, nor an
  IPv4-mapped/6to4/NAT64 form of those), and the connection goes to the checked address itself while the Host
  header and TLS SNI (and certificate check) keep the name, so DNS rebinding between check and connect cannot
  happen. Connections are never reused across downloads. Names listed in AVATAR_MCP_OUTBOUND_ALLOW_HOSTS may
  resolve to private addresses (self-hosted media); they still need https.
- **At most MAX_REDIRECTS redirects**, each new hop checked again from the start.
- **Time:** everything (DNS, connects, redirects, body) within DEADLINE_SECONDS, and at least
  MIN_RATE_BYTES_PER_SECOND over every RATE_WINDOW_SECONDS of the body (a stall longer than one window ends it).
- **Size:** at most the caller's `max_bytes` (a larger Content-Length is refused before the body is read).
- **One refusal.** Whatever went wrong, the caller sees the same `MediaRejected` text (`refusal`), which names
  only the host it was given and the rules; what answered (status, error class, content type, addresses) goes to
  the debug log of `avatar_mcp.outbound`, never into a message.
- **The right kind of file.** The type is read from the bytes; a file of another kind than asked for is removed and
  refused the same way.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from avatar_mcp.errors import DiskFull, MediaRejected
from avatar_mcp.media import LocalMedia, MediaKind, kind_of, sniff_mime

if TYPE_CHECKING:
    import httpx

    from avatar_mcp.config import Settings
    from avatar_mcp.netclient import SharedHTTP
    from avatar_mcp.providers.spec import VendorSpec

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
DEADLINE_SECONDS = 300.0
"""Everything one download does, redirects included. A 200 MB video needs ~0.7 MB/s to make it."""
MIN_RATE_BYTES_PER_SECOND = 16 * 1024
RATE_WINDOW_SECONDS = 10.0
"""The rate is measured per window; no byte for a whole window also ends the download."""
CONNECT_TIMEOUT_SECONDS = 10.0

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def address_problem(address: str) -> str | None:
    """Why `address` (an IP literal) is not a public internet address, or None when it is.

    IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, 6to4 2002::/16, NAT64 64:ff9b::/96) are
    judged by the IPv4 address inside. Anything that does not parse is refused.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner: ipaddress.IPv4Address | None = None
        form = ""
        if ip.ipv4_mapped is not None:
            inner, form = ip.ipv4_mapped, "IPv4-mapped"
        elif ip.sixtofour is not None:
            inner, form = ip.sixtofour, "6to4"
        elif ip in _NAT64:
            inner, form = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
        elif ip in _NAT64_LOCAL:
            return "private (local-use NAT64)"
        if inner is not None:
            problem = address_problem(str(inner))
            return f"{problem} ({form})" if problem else None
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:  # deprecated, still routed inside some networks
        return "site-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared address space (CGNAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not globally routable"
    return None


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL, with the scheme's default port filled in; None without a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


@dataclass(frozen=True)
class OutboundPolicy:
    """What a download may do. The defaults are the documented policy; tests shorten the times."""

    allow_hosts: frozenset[str] = frozenset()
    """Host names (lower case) that may resolve to private addresses."""
    trusted_origins: frozenset[tuple[str, str, int]] = frozenset()
    """Origins of configured vendor base URLs: fetched as configured, no address check, http allowed."""
    max_redirects: int = MAX_REDIRECTS
    deadline_seconds: float = DEADLINE_SECONDS
    min_rate: float = MIN_RATE_BYTES_PER_SECOND
    rate_window: float = RATE_WINDOW_SECONDS
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings, vendors: Iterable[VendorSpec] | None = None) -> OutboundPolicy:
        """The policy for these settings: their allow-list, and the base URLs of the vendors (every registered one
        unless given: their specs name the settings) as trusted origins."""
        from avatar_mcp.providers import specs

        urls = [url for vendor in (specs() if vendors is None else vendors) for url in vendor.base_urls(settings)]
        origins = frozenset(o for o in (origin_of(u) for u in urls) if o is not None)
        return cls(allow_hosts=frozenset(h.strip().lower().strip("[]") for h in settings.outbound_allow_hosts),
                   trusted_origins=origins)


def refusal(url: str, max_bytes: int, policy: OutboundPolicy, kinds: Iterable[str] | None = None) -> MediaRejected:
    """The one refusal of a download: the same text whatever went wrong, naming only the host it was given."""
    host = urlsplit(url.strip()).hostname or "that address"
    wanted = tuple(kinds or ())
    what = f"{'an' if wanted and wanted[0][0] in 'aeiou' else 'a'} {' or '.join(wanted)} file" if wanted else "a file"
    return MediaRejected(
        f"Could not download {what} from {host}. A download must be a direct https link to the file itself (on "
        f"every redirect, at most {policy.max_redirects}), served from a public internet address, at most "
        f"{max_bytes / 1e6:.0f} MB, and arrive within {policy.deadline_seconds:.0f} s at no less than "
        f"{policy.min_rate / 1024:.0f} KB/s. Check that the link opens the file without signing in, or put the "
        f"file inside the media roots and pass its path instead.", source=host)


class _Refused(Exception):
    """Internal: why a download stopped (logged, never shown)."""


class _Unreachable(_Refused):
    """Internal: every checked address of the host failed to connect (the last httpx error is the cause)."""


class OutboundRefused(Exception):
    """`send` would not send: the URL breaks the address rules (the reason is logged, never shown)."""


SEND_ANSWER_MAX_BYTES = 64 * 1024
"""What `send` keeps of an answer: storage answers a PUT with a few bytes (or a short error)."""


async def send(http: SharedHTTP, method: str, url: str, *, content: bytes | None = None,
               headers: Mapping[str, str] | None = None,
               timeout: httpx.Timeout | None = None) -> httpx.Response:  # noqa: ASYNC109 - httpx's, per request
    """One request to a URL a vendor's answer named for the server to send a file to (a presigned upload URL),
    under the download rules for addresses: https, a public address (or an allowed host, or a configured vendor
    origin), the connection made to the checked address, no redirect followed, no credentials but `headers`.

    Returns the answer with at most SEND_ANSWER_MAX_BYTES of its body. Raises `OutboundRefused` when the URL breaks
    the rules (nothing was sent), and the httpx error when no address of the host could be reached, so the caller
    may retry as for any connection error.
    """
    import httpx

    try:
        async with _open(http, http.outbound, url.strip(), method=method, content=content, headers=headers,
                         timeout=timeout) as response:
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk[:SEND_ANSWER_MAX_BYTES - len(body)]
                if len(body) >= SEND_ANSWER_MAX_BYTES:
                    break
            return httpx.Response(response.status_code, content=bytes(body), request=response.request,
                                  headers={"content-type": response.headers.get("content-type", "")})
    except _Unreachable as exc:
        logger.debug("%s %s: %s", method, urlsplit(url).hostname, exc)
        assert isinstance(exc.__cause__, httpx.HTTPError)
        raise exc.__cause__ from None
    except _Refused as exc:
        logger.debug("%s to %s refused: %s", method, urlsplit(url).hostname, exc)
        raise OutboundRefused(str(exc)) from None


async def download(http: SharedHTTP, url: str, dest: Path, *, max_bytes: int,
                   kinds: Iterable[MediaKind] | None = None) -> LocalMedia:
    """Download `url` into `dest` under the policy of `http`, refusing the wrong kind of file (see the module
    docstring). Every refusal is the policy's one generic `MediaRejected`; a full disk is `DiskFull`. Nothing is left
    at `dest` unless the download succeeded."""
    wanted = tuple(kinds) if kinds is not None else None
    size = await fetch_to_file(http, url, dest, max_bytes=max_bytes, kinds=wanted)
    mime = _kept_if_wanted(dest, wanted)
    if mime is None:
        logger.debug("download from %s refused: not a %s", urlsplit(url).hostname, wanted)
        raise refusal(url, max_bytes, http.outbound, wanted)
    return LocalMedia(path=dest, mime=mime, size=size)


def _kept_if_wanted(path: Path, wanted: tuple[MediaKind, ...] | None) -> str | None:
    """The sniffed type of a downloaded file, or None (and the file removed) when it is not of a wanted kind."""
    with path.open("rb") as fh:
        mime = sniff_mime(fh.read(64)) or "application/octet-stream"
    if wanted is not None and kind_of(mime) not in wanted:
        path.unlink(missing_ok=True)
        return None
    return mime


async def fetch_to_file(http: SharedHTTP, url: str, dest: Path, *, max_bytes: int,
                        kinds: Iterable[str] | None = None) -> int:
    """The bytes of `url` into `dest` under the policy of `http` (no type check: `download` adds it); returns the
    number of bytes written.

    The body goes to `dest` + '.part' and is renamed to `dest` only when complete, so a failure leaves neither.
    Raises `MediaRejected` (always the text of `refusal(url, max_bytes, policy, kinds)`) when the policy or the
    far side stops the download, and `DiskFull` when the disk does. No credentials are ever sent.
    """
    import anyio

    policy = http.outbound
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with anyio.move_on_after(policy.deadline_seconds) as deadline:
            size = await _follow(http, policy, url, part, max_bytes)
        if deadline.cancelled_caught:
            raise _Refused(f"not finished within {policy.deadline_seconds:.0f} s")
        part.replace(dest)
    except _Refused as exc:
        part.unlink(missing_ok=True)
        logger.debug("download from %s refused: %s", urlsplit(url).hostname, exc)
        raise refusal(url, max_bytes, policy, kinds) from None
    except OSError as exc:
        part.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(dest.parent) from exc
        raise
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return size


async def _follow(http: SharedHTTP, policy: OutboundPolicy, url: str, part: Path, max_bytes: int) -> int:
    """Each hop: check, connect to a checked address, then save the body or follow the redirect."""
    import httpx

    current = url.strip()
    for _hop in range(policy.max_redirects + 1):
        async with _open(http, policy, current) as response:
            if response.status_code in _REDIRECTS and response.headers.get("location"):
                current = urljoin(current, response.headers["location"])
                continue
            if not response.is_success:
                raise _Refused(f"HTTP {response.status_code}")
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise _Refused(f"Content-Encoding {encoding} although identity was asked for")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _Refused(f"Content-Length {declared} over the cap of {max_bytes}")
            try:
                return await _save(response, part, max_bytes, policy)
            except httpx.HTTPError as exc:
                raise _Refused(f"{type(exc).__name__} while reading") from exc
    raise _Refused(f"more than {policy.max_redirects} redirects")


@asynccontextmanager
async def _open(http: SharedHTTP, policy: OutboundPolicy, url: str, *, method: str = "GET",
                content: bytes | None = None, headers: Mapping[str, str] | None = None,
                timeout: httpx.Timeout | None = None  # noqa: ASYNC109 - httpx's, per request
                ) -> AsyncIterator[httpx.Response]:
    """The streamed response of one hop, after the hop passed the policy; closed on exit."""
    import httpx

    extra = dict(headers or {})
    options: dict[str, Any] = {"content": content, **({"timeout": timeout} if timeout is not None else {})}

    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise _Refused("not a valid URL") from exc
    host = target.raw_host.decode("ascii").lower()
    origin = (target.scheme, host, target.port or (443 if target.scheme == "https" else 80))
    client = http.download_client
    if origin in policy.trusted_origins:
        requests = [client.build_request(method, target, headers=extra, **options)]
    else:
        if target.scheme != "https" or not host:
            raise _Refused(f"{target.scheme} hop")
        addresses = await _resolve(host, origin[2])
        if host not in policy.allow_hosts:
            problems = {a: p for a in addresses if (p := address_problem(a)) is not None}
            if problems:
                raise _Refused(f"{host} resolves to non-public addresses: {problems}")
        # The checked address itself is connected to; Host and SNI (so the certificate check) keep the name.
        requests = [client.build_request(method, target.copy_with(host=address),
                                         headers={**extra, "Host": target.netloc.decode("ascii")},
                                         extensions={"sni_hostname": host}, **options) for address in addresses]
    failures = []
    last: httpx.HTTPError | None = None
    for request in requests:
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            failures.append(f"{request.url.host}: {type(exc).__name__}: {exc}")
            last = exc
            continue
        try:
            yield response
        finally:
            await response.aclose()
        return
    raise _Unreachable(f"no address of {host} answered ({'; '.join(failures)})") from last


async def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself), in the resolver's order."""
    import anyio

    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise _Refused(f"{host} does not resolve ({exc})") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise _Refused(f"{host} has no address")
    return addresses


async def _save(response: httpx.Response, part: Path, max_bytes: int, policy: OutboundPolicy) -> int:
    """Stream the body into `part`, enforcing the size cap and the minimum rate."""
    size = 0
    window_start, window_bytes = time.monotonic(), 0
    with part.open("wb") as fh:
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > max_bytes:
                raise _Refused(f"body over the cap of {max_bytes} bytes")
            fh.write(chunk)
            window_bytes += len(chunk)
            elapsed = time.monotonic() - window_start
            if elapsed >= policy.rate_window:
                if window_bytes / elapsed < policy.min_rate:
                    raise _Refused(f"{window_bytes} bytes in {elapsed:.1f} s, under the minimum rate")
                window_start, window_bytes = time.monotonic(), 0
    if size == 0:
        raise _Refused("empty body")
    return size
