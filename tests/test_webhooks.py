"""Webhook routes against hostile deliveries, over real HTTP: size limits whatever the framing, secrets checked
before the body is read, timestamps required and fresh, replays refused (remembered in the data dir)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from avatar_mcp import operations as ops
from avatar_mcp.config import Settings
from avatar_mcp.runtime import open_service
from avatar_mcp.specs import Scene, VideoSpec
from avatar_mcp.webhooks import callback_path, heygen_signature, route_key
from tests.conftest import make_settings
from tests.fakes._harness import serve
from tests.fakes.runware import RunwareFake
from tests.providers._vendors import loopback_socket, serving_http
from tests.providers.runware.case import RUNWARE

pytestmark = pytest.mark.anyio
SECRET = "whsec_test_0123456789"
TOKEN = "a-long-random-token-for-the-http-transport"
EVENT = json.dumps({"event_type": "avatar_video.success", "event_data": {"video_id": "v_unknown"}}).encode()
HUGE = 50 * 1024 * 1024


@pytest.fixture
def served(tmp_path: Path, media_root: Path) -> Iterator[tuple[Settings, str]]:
    settings = make_settings(tmp_path, media_root, heygen_webhook_secret=SecretStr(SECRET),
                             heygen_webhook_signature_header="Heygen-Signature")
    with serving_http(settings, loopback_socket()) as base:
        yield settings, base


def signed(body: bytes = EVENT, stamp: str | None = None, **extra: str) -> dict[str, str]:
    stamp = str(int(time.time())) if stamp is None else stamp
    return {"Heygen-Signature": heygen_signature(SECRET, body), "Heygen-Timestamp": stamp,
            "Content-Type": "application/json", **extra}


def post_streaming(base: str, path: str, headers: dict[str, str], *, chunked: bool = True,
                   declared: int | None = None) -> tuple[str, int]:
    """POST up to HUGE bytes as fast as the server takes them; (status line, bytes of body sent).

    Stops sending as soon as an answer arrives or the server closes the connection."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {declared or HUGE}"
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{framing}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())
    piece = b"x" * 65536
    sent = 0
    try:
        while sent < HUGE and not select.select([sock], [], [], 0)[0]:
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
    except OSError:  # reset or broken pipe: the server stopped reading
        pass
    try:
        answer = sock.recv(4096).decode("latin-1")
    except OSError:
        answer = ""
    sock.close()
    return answer.split("\r\n", 1)[0], sent


@pytest.mark.parametrize("path", ["/webhooks/heygen", "/webhooks/runware", "/webhooks/creatify"])
def test_an_endless_chunked_body_is_cut_just_past_one_megabyte(served: tuple[Settings, str], path: str) -> None:
    _, base = served
    status, sent = post_streaming(base, path, signed())
    assert status.startswith("HTTP/1.1 413 ")
    assert sent < 16 * 1024 * 1024  # the server stopped reading: socket buffers hold the rest


@pytest.mark.parametrize("path", ["/webhooks/heygen", "/webhooks/runware"])
def test_a_declared_oversized_body_is_refused_before_any_of_it_is_read(served: tuple[Settings, str],
                                                                       path: str) -> None:
    _, base = served
    status, _ = post_streaming(base, path, signed(), chunked=False, declared=400 * 1024 * 1024)
    assert status.startswith("HTTP/1.1 413 ")


@pytest.mark.parametrize(("headers", "reason"), [
    ({"Heygen-Signature": "0" * 64}, "missing heygen-timestamp header"),
    ({"Heygen-Timestamp": "now"}, "missing Heygen-Signature header"),
    ({"stamp": "nan"}, "malformed timestamp"), ({"stamp": "inf"}, "malformed timestamp"),
    ({"stamp": "-inf"}, "malformed timestamp"), ({"stamp": "1e400"}, "malformed timestamp"),
    ({"stamp": "12:00"}, "malformed timestamp"), ({"stamp": -301}, "stale timestamp"),
    ({"stamp": 400}, "stale timestamp"),
])
def test_heygen_deliveries_need_a_signature_and_a_finite_fresh_timestamp_before_being_read(
        served: tuple[Settings, str], headers: dict[str, object], reason: str) -> None:
    """`stamp` is a literal timestamp, or seconds from now; "now" is the current time."""
    _, base = served
    now = int(time.time())
    if "stamp" in headers:
        stamp = headers["stamp"]
        sent_headers = signed(stamp=str(now + stamp) if isinstance(stamp, int) else str(stamp))
    else:
        sent_headers = {k: str(now) if v == "now" else str(v) for k, v in headers.items()}
    answer = httpx.post(f"{base}/webhooks/heygen", content=EVENT, headers=sent_headers)
    status, sent = post_streaming(base, "/webhooks/heygen", sent_headers)
    assert (answer.status_code, answer.json()) == (401, {"error": reason})
    assert status.startswith("HTTP/1.1 401") and sent < 16 * 1024 * 1024  # refused without reading the body


def test_a_replayed_heygen_delivery_is_refused_even_by_another_server_on_the_same_data_dir(
        served: tuple[Settings, str]) -> None:
    settings, base = served
    first = httpx.post(f"{base}/webhooks/heygen", content=EVENT, headers=signed(**{"Heygen-Event-Id": "evt_1"}))
    again = httpx.post(f"{base}/webhooks/heygen", content=EVENT, headers=signed(**{"Heygen-Event-Id": "evt_1"}))
    # A body-only signature does not cover the timestamp or the event id: changing them changes nothing.
    later = str(int(time.time()) + 5)
    disguised = httpx.post(f"{base}/webhooks/heygen", content=EVENT,
                           headers=signed(stamp=later, **{"Heygen-Event-Id": "evt_2"}))
    with serving_http(settings, loopback_socket()) as other:
        elsewhere = httpx.post(f"{other}/webhooks/heygen", content=EVENT, headers=signed())
    new_event = EVENT.replace(b"v_unknown", b"v_other")
    fresh = httpx.post(f"{base}/webhooks/heygen", content=new_event, headers=signed(new_event))
    assert first.status_code == 200 and first.json() == {"ok": True, "matched": False}
    assert [r.status_code for r in (again, disguised, elsewhere)] == [409, 409, 409]
    assert fresh.status_code == 200
    assert (settings.data_dir / "security.sqlite3").exists()


def test_unsigned_vendors_need_the_secret_route_on_a_token_protected_server(tmp_path: Path,
                                                                           media_root: Path) -> None:
    settings = make_settings(tmp_path, media_root, http_token=SecretStr(TOKEN))
    key = route_key(settings, "runware")
    assert key is not None and TOKEN not in key
    body = {"data": [{"taskUUID": "unknown-task"}]}
    with serving_http(settings, loopback_socket()) as base:
        plain = httpx.post(f"{base}/webhooks/runware", json=body)
        wrong = httpx.post(f"{base}/webhooks/runware/{'0' * 32}", json=body)
        right = httpx.post(f"{base}/webhooks/runware/{key}", json=body)
        other_vendor = httpx.post(f"{base}/webhooks/creatify/{key}", json={"id": "x"})
        status, sent = post_streaming(base, "/webhooks/runware", {})
    assert [plain.status_code, wrong.status_code, other_vendor.status_code] == [404, 404, 404]
    assert right.status_code == 200 and right.json() == {"ok": True, "matched": 0}
    assert status.startswith("HTTP/1.1 404") and sent < 16 * 1024 * 1024  # refused before reading
    assert callback_path(settings, "heygen") == "/webhooks/heygen"  # HeyGen signs: no key needed


def test_per_tenant_tokens_alone_also_protect_the_unsigned_routes(tmp_path: Path, media_root: Path) -> None:
    """AVATAR_MCP_HTTP_TOKENS without AVATAR_MCP_HTTP_TOKEN allows a public bind too: its unsigned routes need the
    key as well, and the key names no token."""
    tokens = f"{TOKEN}=alice,another-long-token-for-bob-0123456789=bob"
    settings = make_settings(tmp_path, media_root, http_tokens=SecretStr(tokens))
    key = route_key(settings, "runware")
    assert key is not None and all(t.split("=")[0] not in key for t in tokens.split(","))
    assert callback_path(settings, "runware") == f"/webhooks/runware/{key}"
    body = {"data": [{"taskUUID": "unknown-task"}]}
    with serving_http(settings, loopback_socket()) as base:
        plain = httpx.post(f"{base}/webhooks/runware", json=body)
        right = httpx.post(f"{base}/webhooks/runware/{key}", json=body)
    assert plain.status_code == 404
    assert right.status_code == 200


async def test_the_callback_url_given_to_an_unsigned_vendor_carries_the_route_key(tmp_path: Path,
                                                                                  media_root: Path) -> None:
    fake = RunwareFake(polls_to_complete=50)
    with serve(fake):
        settings = make_settings(tmp_path, media_root, runware_api_key=SecretStr("test-runware-key"),
                                 runware_base_url=f"{fake.base_url}/v1", http_token=SecretStr(TOKEN),
                                 public_url="https://avatars.example.com")

        def factory(s: Settings, http: object, media: object) -> list[object]:
            from avatar_mcp.providers.runware.spec import SPEC
            from avatar_mcp.providers.spec import ProviderEntry

            return [ProviderEntry(spec=SPEC, provider=RUNWARE.build(s, http, media, RUNWARE.timing))]

        async with open_service(settings, factory, poll=False) as service:  # type: ignore[arg-type]
            provider = service.providers.pick("runware", ops.CREATE_VIDEO)
            spec = VideoSpec(scenes=[Scene(avatar_id="Abigail_expressive_2024112501", script="Hi.",
                                           voice_id="en-US-Aria")])
            await service.submit(ops.CREATE_VIDEO, spec, provider)
    sent = [t for r in fake.requests("POST", "^/v1$") for t in r.json or [] if t.get("taskType") == "videoInference"]
    assert sent[0]["webhookURL"] == f"https://avatars.example.com/webhooks/runware/{route_key(settings, 'runware')}"
