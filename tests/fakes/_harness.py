"""The harness every vendor emulator runs on: a Starlette app served by uvicorn on 127.0.0.1.

A fake subclasses `FakeVendor`, lists its routes in `routes()`, and gets for free:
- `log`: every request as received (method, path, query, headers, raw body, parsed JSON) in order, with the status
  it was answered with and whether an injected fault answered it (`refused()` lists the 4xx no fault caused);
- `add_fault(...)`: injected failures: an error status with the vendor's own body and headers (e.g. 429 +
  Retry-After, 500), a slow answer, malformed JSON, a connection dropped mid-answer, before or after the request is
  processed;
- `media_url(name)`: finished files served from the same server, as vendor CDNs do; `media_log` records each
  request for them (with its headers: a download must never carry the API key).

Use `serve(fake)` as a context manager: it yields the base URL (http://127.0.0.1:PORT).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""
    """The path as sent, percent-escapes kept (`path` is decoded, as routing sees it)."""
    status: int | None = None
    """The status the answer started with (None: no answer was started, e.g. a dropped connection)."""
    faulted: bool = False
    """An injected fault answered (or delayed, or dropped) this request."""

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    malformed: bool = False
    after: bool = False
    """Process the request first, then answer with the fault (the vendor did the work; the answer is lost).
    With a delay and no status, the real answer is sent late instead (the work is done before the wait)."""
    times: int = 1
    drop: bool = False
    """Start the answer, then close the connection before its body is complete (the client sees the connection
    drop after its request was sent). With `after`, the vendor did the work first."""

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and (self.method in ("*", method)) and bool(self.path.search(path))


class FakeVendor:
    """Base class of the vendor emulators."""

    def __init__(self) -> None:
        self.log: list[LoggedRequest] = []
        self.media_log: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.base_url = ""
        self.media: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self.app: ASGIApp = self._Middleware(Starlette(routes=[*self.routes(), *self._media_routes()]), self)

    # -- to override
    def routes(self) -> list[BaseRoute]:
        return []

    # -- helpers for tests
    def add_fault(self, method: str, path: str, *, status: int | None = None, body: Any = None,
                  headers: dict[str, str] | None = None, delay: float = 0.0, malformed: bool = False,
                  after: bool = False, times: int = 1, drop: bool = False) -> Fault:
        fault = Fault(method.upper(), re.compile(path), status, body, dict(headers or {}), delay, malformed, after,
                      times, drop)
        self.faults.append(fault)
        return fault

    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        pattern = re.compile(path) if path else None
        return [r for r in self.log if (method is None or r.method == method.upper())
                and (pattern is None or pattern.search(r.path))]

    def refused(self) -> list[LoggedRequest]:
        """Requests the vendor refused on its own (4xx), i.e. not by an injected fault: a request the client should
        never have sent in that shape."""
        return [r for r in self.log if r.status is not None and 400 <= r.status < 500 and not r.faulted]

    def add_media(self, name: str, data: bytes, content_type: str) -> str:
        self.media[name] = (data, content_type)
        return self.media_url(name)

    def media_url(self, name: str) -> str:
        return f"{self.base_url}/_media/{name}"

    def _media_routes(self) -> list[BaseRoute]:
        async def media(request: Request) -> Response:
            name = request.path_params["name"]
            if name not in self.media:
                return Response(status_code=404)
            data, ctype = self.media[name]
            return Response(data, media_type=ctype)

        return [Route("/_media/{name:path}", media, methods=["GET"])]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    class _Middleware:
        def __init__(self, app: ASGIApp, fake: FakeVendor) -> None:
            self.inner, self.fake = app, fake

        @staticmethod
        def _recording(send: Send, entry: LoggedRequest) -> Send:
            """`send`, noting the status the answer starts with in the log entry."""
            async def recording(message: Message) -> None:
                if message["type"] == "http.response.start" and entry.status is None:
                    entry.status = int(message["status"])
                await send(message)

            return recording

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.inner(scope, receive, send)
                return
            chunks: list[bytes] = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            request = Request(scope)
            path = scope["path"]
            entry = LoggedRequest(scope["method"], path, dict(request.query_params),
                                  {k.lower(): v for k, v in request.headers.items()}, body,
                                  raw_path=bytes(scope.get("raw_path") or path.encode()).decode("latin-1"))
            (self.fake.media_log if path.startswith("/_media/") else self.fake.log).append(entry)
            fault = self.fake._take_fault(scope["method"], path)
            entry.faulted = fault is not None
            replayed = False
            send = self._recording(send, entry)

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return {"type": "http.disconnect"}
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            if fault is None:
                await self.inner(scope, replay, send)
                return
            held: list[Message] = []
            if fault.after:
                # Let the vendor do the work; hold its answer back (it is replaced, or sent late).
                async def hold(message: Message) -> None:
                    held.append(message)

                await self.inner(scope, replay, hold)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                # Headers promising a body, part of it, then the app returns: uvicorn closes the connection.
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
                await send({"type": "http.response.body", "body": b'{"data": ', "more_body": True})
                return
            if fault.status is None and not fault.malformed:
                # Only a delay: the real answer, late (after=True: the work was done before the wait).
                if fault.after:
                    for message in held:
                        await send(message)
                else:
                    await self.inner(scope, replay, send)
                return
            response: Response
            if fault.malformed:
                response = Response(b'{"data": {"video_id": ', status_code=fault.status or 200,
                                    media_type="application/json", headers=fault.headers)
            else:
                response = JSONResponse(fault.body if fault.body is not None else {}, status_code=fault.status or 500,
                                        headers=fault.headers)
            await response(scope, replay, send)


def loopback_socket() -> socket.socket:
    """A listening-ready socket on a free loopback port.

    proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and without
    it every response (headers and body are written separately) waits ~40 ms on Nagle + delayed ACK.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_asgi(app: ASGIApp, sock: socket.socket | None = None, *, lifespan: bool = True,
               tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on loopback for the block; yields its base URL.

    `tls` = (certificate, key) serves https (see `self_signed`)."""
    sock = sock or loopback_socket()
    config = uvicorn.Config(app, log_level="warning", lifespan="on" if lifespan else "off",
                            timeout_graceful_shutdown=1, ssl_certfile=str(tls[0]) if tls else None,
                            ssl_keyfile=str(tls[1]) if tls else None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, for https on loopback (trust it with SSL_CERT_FILE)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def serve(fake: FakeVendor) -> Iterator[str]:
    """Serve `fake` on a free loopback port for the duration of the block; yields its base URL."""
    with serve_asgi(fake.app, lifespan=False) as base_url:
        fake.base_url = base_url
        yield base_url


def sample_mp4() -> bytes:
    """A tiny real MP4 (H.264 + AAC, 1 s) that finished vendor videos are served as."""
    return (DATA / "tiny.mp4").read_bytes()


def sample_jpeg() -> bytes:
    return (DATA / "tiny.jpg").read_bytes()
