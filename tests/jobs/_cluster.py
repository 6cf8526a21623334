"""Running a cluster in tests and benchmarks: replicas and workers as real processes on one PostgreSQL database, a
round-robin balancer in front of the replicas (each request to the next one, as a balancer without sticky sessions
does), and MCP clients with a tenant's bearer token."""

from __future__ import annotations

import itertools
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from tests.fakes._harness import loopback_socket, serve_asgi

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """One `python -m tests.jobs.cluster ...` process, its log in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "tests.jobs.cluster", *args], env=env, cwd=ROOT,
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for_port(port: int, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            raise RuntimeError(f"{process.name} exited: {process.log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not listen on {port}")


class Balancer:
    """Round-robin in front of the replicas: every HTTP request goes to the next replica."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self._next = itertools.cycle(range(len(upstreams)))
        self.hits: Counter[str] = Counter()
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        upstream = self.upstreams[next(self._next)]
        self.hits[upstream] += 1
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in (b"host", b"content-length")]
        sent = self.client.build_request(request.method, upstream + request.url.path, headers=headers,
                                         content=await request.body())
        answer = await self.client.send(sent, stream=True)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            return await StreamingResponse(answer.aiter_raw(), status_code=answer.status_code, headers=kept,
                                           background=None)(scope, receive, send)
        body = await answer.aread()
        await answer.aclose()
        await Response(body, status_code=answer.status_code, headers=kept)(scope, receive, send)


@contextmanager
def balancing(upstreams: list[str]) -> Iterator[tuple[str, Balancer]]:
    balancer = Balancer(upstreams)
    with serve_asgi(balancer, loopback_socket(), lifespan=False) as base:
        yield f"{base}/mcp", balancer


@asynccontextmanager
async def tenant(url: str, token: str, mode: str = "auto", **options: object) -> AsyncIterator[Client]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(url, http_client=http), mode=mode, **options) as client:  # type: ignore[arg-type]
        yield client


def cluster_env(base: dict[str, str], **extra: str) -> dict[str, str]:
    env = {**base, **extra}
    env.setdefault("PYTHONUNBUFFERED", "1")
    return {k: v for k, v in env.items() if v is not None}
