"""The outbound fetch policy: the pure address classifier, and real downloads over TLS on loopback."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from avatar_mcp.errors import MediaRejected
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.outbound import OutboundPolicy, address_problem, download, fetch_to_file, origin_of
from tests.conftest import make_settings
from tests.fakes._harness import sample_jpeg, serve_asgi

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("address", "problem"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("fec0::1", "site-local"), ("feff::1", "site-local"),
    ("100.64.0.1", "shared address space (CGNAT)"), ("100.127.255.254", "shared address space (CGNAT)"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("::ffff:127.0.0.1", "loopback (IPv4-mapped)"), ("::ffff:10.0.0.1", "private (IPv4-mapped)"),
    ("::ffff:169.254.169.254", "link-local (IPv4-mapped)"),
    ("2002:7f00:1::", "loopback (6to4)"), ("2002:a9fe:a9fe::1", "link-local (6to4)"),
    ("64:ff9b::7f00:1", "loopback (NAT64)"), ("64:ff9b::a00:1", "private (NAT64)"),
    ("64:ff9b:1::1", "private (local-use NAT64)"),
    ("not-an-ip", "not an IP address"),
])
def test_the_classifier_refuses_every_non_public_address_and_names_why(address: str, problem: str) -> None:
    assert address_problem(address) == problem


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::808:808", "100.128.0.1"])
def test_the_classifier_lets_public_addresses_through(address: str) -> None:
    assert address_problem(address) is None


def test_every_non_public_address_of_the_standard_ranges_is_refused() -> None:
    """Every address of each special-purpose range, probed at its edges, is refused."""
    for network in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
                    "100.64.0.0/10", "224.0.0.0/4", "240.0.0.0/4", "0.0.0.0/8", "fc00::/7", "fe80::/10",
                    "::ffff:10.0.0.0/104"]:
        net = ipaddress.ip_network(network)
        for ip in (net.network_address, net.network_address + 1, net.broadcast_address):
            assert address_problem(str(ip)) is not None, ip


def test_the_policy_trusts_exactly_the_origins_of_the_configured_vendor_urls(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, tmp_path, heygen_base_url="http://127.0.0.1:8123",
                             runware_base_url="http://127.0.0.1:8124/v1",
                             outbound_allow_hosts="media.lan, NAS.local")
    policy = OutboundPolicy.from_settings(settings)
    assert ("http", "127.0.0.1", 8123) in policy.trusted_origins
    assert ("http", "127.0.0.1", 8124) in policy.trusted_origins
    assert ("https", "api.creatify.ai", 443) in policy.trusted_origins
    assert ("http", "127.0.0.1", 8125) not in policy.trusted_origins
    assert policy.allow_hosts == {"media.lan", "nas.local"}
    assert origin_of("https://Example.COM/x") == ("https", "example.com", 443)


# ---------------------------------------------------------------------------------------------- real downloads

def tls_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for both `localhost` and 127.0.0.1, so a test can reach one server under two names."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "both.pem", folder / "both.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Origin:
    """A media host on loopback: what it serves, and every request it received (path, Host header)."""

    seen: list[tuple[str, str]] = field(default_factory=list)
    uploaded: list[bytes] = field(default_factory=list)
    https_port: int = 0
    http_port: int = 0

    def app(self) -> Starlette:
        jpeg = sample_jpeg()

        async def record(request: Request) -> None:
            self.seen.append((request.url.path, request.headers.get("host", "")))

        async def file(request: Request) -> Response:
            await record(request)
            return Response(jpeg, media_type="image/jpeg")

        async def forbidden(request: Request) -> Response:
            await record(request)
            return Response("<html>Forbidden by the intranet proxy</html>", 403, media_type="text/html")

        async def page(request: Request) -> Response:
            await record(request)
            return Response("<html>a web page</html>", media_type="text/html")

        async def to_http(request: Request) -> Response:
            await record(request)
            return RedirectResponse(f"http://127.0.0.1:{self.http_port}/file", 302)

        async def to_loopback(request: Request) -> Response:
            await record(request)
            return RedirectResponse(f"https://127.0.0.1:{self.https_port}/file", 302)

        async def hop(request: Request) -> Response:
            await record(request)
            left = int(request.path_params["left"])
            return RedirectResponse(f"/hop/{left - 1}" if left else "/file", 302)

        async def drip(request: Request) -> Response:
            await record(request)

            async def body() -> AsyncIterator[bytes]:
                for _ in range(60):
                    yield b"\xff"
                    await asyncio.sleep(1.0)

            return StreamingResponse(body(), media_type="image/jpeg")

        async def big(request: Request) -> Response:
            await record(request)

            async def body() -> AsyncIterator[bytes]:
                yield b"\xff\xd8\xff\xe0"
                for _ in range(64):
                    yield b"\0" * 65536

            return StreamingResponse(body(), media_type="image/jpeg")

        async def put(request: Request) -> Response:
            await record(request)
            self.uploaded.append(await request.body())
            return Response(status_code=200)

        return Starlette(routes=[Route("/put", put, methods=["PUT"]),
                                 Route("/file", file), Route("/forbidden", forbidden), Route("/page", page),
                                 Route("/to-http", to_http), Route("/to-loopback", to_loopback),
                                 Route("/hop/{left}", hop), Route("/drip", drip), Route("/big", big)])


@pytest.fixture
def origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Origin]:
    cert, key = tls_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the download client trusts it when it is created
    host = Origin()
    app = host.app()
    with serve_asgi(app, lifespan=False, tls=(cert, key)) as secure, serve_asgi(app, lifespan=False) as plain:
        host.https_port, host.http_port = int(secure.rsplit(":", 1)[1]), int(plain.rsplit(":", 1)[1])
        yield host


QUICK = {"rate_window": 0.5, "min_rate": 1000.0, "deadline_seconds": 4.0}
"""Shorter times than the documented ones, so a test does not wait ten seconds to see a drip cut."""


def shared(**policy: object) -> SharedHTTP:
    return SharedHTTP(user_agent="test", outbound=OutboundPolicy(**{**QUICK, **policy}))  # type: ignore[arg-type]


async def refused(http: SharedHTTP, url: str, dest: Path, max_bytes: int = 1_000_000) -> str:
    with pytest.raises(MediaRejected) as caught:
        await download(http, url, dest, max_bytes=max_bytes, kinds=("image",))
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()
    return str(caught.value)


async def test_an_allowed_host_downloads_over_tls_connecting_to_the_checked_address(origin: Origin,
                                                                                   tmp_path: Path) -> None:
    http = shared(allow_hosts=frozenset({"localhost"}))
    try:
        media = await download(http, f"https://localhost:{origin.https_port}/hop/2", tmp_path / "a.jpg",
                               max_bytes=1_000_000, kinds=("image",))
    finally:
        await http.aclose()
    assert media.mime == "image/jpeg" and media.path.read_bytes() == sample_jpeg()
    # Each hop carried the name, although the connection went to the address resolved and checked here.
    assert origin.seen == [(p, f"localhost:{origin.https_port}") for p in ("/hop/2", "/hop/1", "/hop/0", "/file")]


async def test_loopback_is_refused_before_anything_is_sent(origin: Origin, tmp_path: Path) -> None:
    http = shared()
    try:
        by_ip = await refused(http, f"https://127.0.0.1:{origin.https_port}/file", tmp_path / "a")
        by_name = await refused(http, f"https://localhost:{origin.https_port}/file", tmp_path / "b")
        by_decimal = await refused(http, f"https://2130706433:{origin.https_port}/file", tmp_path / "c")
    finally:
        await http.aclose()
    assert origin.seen == []
    assert "Could not download an image file from 127.0.0.1" in by_ip
    assert "from localhost" in by_name and "from 2130706433" in by_decimal


async def test_redirects_to_http_or_into_loopback_are_refused_and_never_followed(origin: Origin,
                                                                                tmp_path: Path) -> None:
    http = shared(allow_hosts=frozenset({"localhost"}))
    try:
        to_http = await refused(http, f"https://localhost:{origin.https_port}/to-http", tmp_path / "a")
        to_loopback = await refused(http, f"https://localhost:{origin.https_port}/to-loopback", tmp_path / "b")
        plain = await refused(http, f"http://localhost:{origin.http_port}/file", tmp_path / "c")
    finally:
        await http.aclose()
    assert [p for p, _ in origin.seen] == ["/to-http", "/to-loopback"]  # neither target was ever asked
    assert to_http == to_loopback == plain


async def test_more_redirects_than_the_limit_are_refused(origin: Origin, tmp_path: Path) -> None:
    http = shared(allow_hosts=frozenset({"localhost"}), max_redirects=2)
    try:
        text = await refused(http, f"https://localhost:{origin.https_port}/hop/2", tmp_path / "a")
    finally:
        await http.aclose()
    assert [p for p, _ in origin.seen] == ["/hop/2", "/hop/1", "/hop/0"]
    assert "at most 2" in text


async def test_a_slow_drip_is_cut_by_the_minimum_rate(origin: Origin, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """One byte a second, against 1000 B/s over 2.5 s windows: cut at the first window's end."""
    http = shared(allow_hosts=frozenset({"localhost"}), rate_window=2.5, deadline_seconds=20.0)
    caplog.set_level(logging.DEBUG, logger="avatar_mcp.outbound")
    try:
        await refused(http, f"https://localhost:{origin.https_port}/drip", tmp_path / "a")
    finally:
        await http.aclose()
    assert "under the minimum rate" in caplog.text


async def test_a_slow_drip_is_cut_by_the_deadline_when_the_rate_would_allow_it(
        origin: Origin, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    http = shared(allow_hosts=frozenset({"localhost"}), min_rate=0.1, rate_window=5.0, deadline_seconds=2.5)
    caplog.set_level(logging.DEBUG, logger="avatar_mcp.outbound")
    try:
        await refused(http, f"https://localhost:{origin.https_port}/drip", tmp_path / "a")
    finally:
        await http.aclose()
    assert "not finished within 2 s" in caplog.text or "not finished within 3 s" in caplog.text


async def test_a_body_over_the_size_cap_is_cut_and_nothing_is_left(origin: Origin, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    http = shared(allow_hosts=frozenset({"localhost"}))
    caplog.set_level(logging.DEBUG, logger="avatar_mcp.outbound")
    try:
        text = await refused(http, f"https://localhost:{origin.https_port}/big", tmp_path / "a", max_bytes=1_000_000)
    finally:
        await http.aclose()
    assert "at most 1 MB" in text
    assert "body over the cap of 1000000 bytes" in caplog.text  # chunked: no Content-Length to go by
    assert list(tmp_path.glob("a*")) == []


async def test_every_refusal_reads_the_same_and_never_says_what_answered(origin: Origin, tmp_path: Path) -> None:
    http = shared(allow_hosts=frozenset({"localhost"}))
    base = f"https://localhost:{origin.https_port}"
    try:
        texts = {name: await refused(http, url, tmp_path / name) for name, url in {
            "forbidden": f"{base}/forbidden", "page": f"{base}/page", "to-http": f"{base}/to-http",
            "to-loopback": f"{base}/to-loopback", "big": f"{base}/big", "missing": f"{base}/nothing-here",
            "closed": "https://localhost:1/file",
        }.items()}
    finally:
        await http.aclose()
    assert len(set(texts.values())) == 1, texts
    text = next(iter(texts.values()))
    for leak in ("403", "404", "Forbidden", "text/html", "html", "ConnectError", "Error", "302", "127.0.0.1",
                 "redirected", "refused", "loopback", "private", str(origin.http_port)):
        assert leak not in text, leak


async def test_a_configured_vendor_origin_is_fetched_as_configured(origin: Origin, tmp_path: Path) -> None:
    trusted = frozenset({("http", "127.0.0.1", origin.http_port)})
    http = shared(trusted_origins=trusted)
    try:
        media = await download(http, f"http://127.0.0.1:{origin.http_port}/file", tmp_path / "v.jpg",
                               max_bytes=1_000_000)
        # Trust is for that origin only: its redirect elsewhere is checked like any other hop.
        other = await refused(http, f"https://127.0.0.1:{origin.https_port}/file", tmp_path / "w")
    finally:
        await http.aclose()
    assert media.mime == "image/jpeg"
    assert [p for p, _ in origin.seen] == ["/file"] and "Could not download" in other


async def test_a_full_disk_is_reported_as_such_and_leaves_nothing(origin: Origin, tmp_path: Path) -> None:
    from avatar_mcp.errors import DiskFull

    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    dest = tmp_path / "jobs" / "x" / "video.mp4"
    dest.parent.mkdir(parents=True)
    dest.with_name("video.mp4.part").symlink_to("/dev/full")  # every write there fails with ENOSPC
    http = shared(allow_hosts=frozenset({"localhost"}))
    try:
        with pytest.raises(DiskFull) as caught:
            await fetch_to_file(http, f"https://localhost:{origin.https_port}/file", dest, max_bytes=1_000_000)
    finally:
        await http.aclose()
    assert "disk is full" in str(caught.value) and str(dest.parent) in str(caught.value)
    assert list(dest.parent.iterdir()) == []


async def test_a_file_sent_where_a_vendor_said_goes_only_to_a_public_https_address(origin: Origin) -> None:
    """A presigned upload URL from a vendor's answer (HeyGen's direct upload) is a URL the server sends a file to:
    the download policy's address rules hold for it too, and it is sent to the checked address without the key."""
    from avatar_mcp.errors import ProviderError
    from avatar_mcp.providers._http import VendorHTTP

    strict, allowed = shared(), shared(allow_hosts=frozenset({"localhost"}))
    vendors = [VendorHTTP(h, provider="heygen", base_url="https://api.heygen.example",
                          auth_headers={"X-Api-Key": "key-never-sent-0123"}) for h in (strict, allowed)]
    refusals = []
    try:
        for url in (f"https://127.0.0.1:{origin.https_port}/put", f"https://localhost:{origin.https_port}/put",
                    f"http://localhost:{origin.http_port}/put"):
            with pytest.raises(ProviderError) as caught:
                await vendors[0].request("PUT", url, content=b"secret bytes", authenticate=False)
            refusals.append(str(caught.value))
        with pytest.raises(ProviderError):  # allowed hosts still need https
            await vendors[1].request("PUT", f"http://localhost:{origin.http_port}/put", content=b"x",
                                     authenticate=False)
        assert origin.seen == [] and origin.uploaded == []
        sent = await vendors[1].request("PUT", f"https://localhost:{origin.https_port}/put", content=b"the file",
                                        headers={"Content-Type": "video/mp4"}, authenticate=False)
    finally:
        await strict.aclose()
        await allowed.aclose()
    assert sent.status_code == 200 and origin.uploaded == [b"the file"]
    assert origin.seen == [("/put", f"localhost:{origin.https_port}")]
    assert all("nothing was sent" in text and "heygen" in text for text in refusals), refusals


def test_downloads_have_one_path_and_vendor_calls_another() -> None:
    package = Path(__file__).resolve().parent.parent / "avatar_mcp"
    sources = {str(p.relative_to(package)): p.read_text() for p in package.rglob("*.py")}
    downloads = {name for name, text in sources.items() if "download_client" in text or "fetch_to_file(" in text}
    vendor_calls = {name for name, text in sources.items()
                    if re.search(r"\.client\.(request|send|stream|get|post)\(", text)}
    assert downloads == {"outbound.py", "netclient.py"}
    assert vendor_calls == {"providers/_http.py"}
