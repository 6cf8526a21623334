"""HeyGen webhooks on the HTTP transport: the endpoint is registered with the helper, signed deliveries finish a job
at once with one status request, unsigned or badly signed ones change nothing."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.providers.heygen.admin import register_webhook
from tests.fakes._harness import serve
from tests.providers._vendors import serving_http as serving
from tests.providers.heygen.conftest import KEY, STOCK, VOICE, heygen_settings, make_fake, version_setting

pytestmark = pytest.mark.anyio
STATUS = {"v2": "^/v1/video_status.get$", "v3": "^/v3/videos/"}


@pytest.mark.parametrize(("api", "signing"), [("v2", "body"), ("v3", "timestamp.body")])
async def test_a_signed_delivery_finishes_the_job_at_once_and_forged_ones_change_nothing(
        api: str, signing: str, tmp_path: Path, media_root: Path) -> None:
    header = "Signature" if api == "v2" else "Heygen-Signature"
    # HeyGen's deliveries carry Heygen-Timestamp whichever API generation registered the endpoint (heygen-v3.md 6).
    options = {"signing_input": signing} if api == "v3" else {"timestamp_header": "Heygen-Timestamp"}
    fake = make_fake(api, polls_to_complete=50, **options)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with serve(fake):
        plain = heygen_settings(tmp_path, media_root, fake, version_setting(api), public_url=public_url)
        code, text = await register_webhook(plain)
        again, already = await register_webhook(plain)
        secret = re.search(r"HEYGEN_WEBHOOK_SECRET=(\S+)", text)
        assert code == again == 0 and secret is not None and "already registered" in already
        settings = heygen_settings(tmp_path, media_root, fake, version_setting(api), public_url=public_url,
                                   heygen_webhook_secret=SecretStr(secret.group(1)),
                                   heygen_webhook_signature_header=header)
        with serving(settings, sock) as base:
            async with Client(f"{base}/mcp") as client:
                started = (await client.call_tool("create_video", {
                    "provider": "heygen", "orientation": "landscape",
                    "scenes": [{"avatar_id": STOCK, "script": "Hello.", "voice_id": VOICE}]})).structured_content
                assert started is not None and started["status"] == "queued", started
                vendor_id = next(iter(fake.videos))
                event = json.dumps({"event_type": "avatar_video.success", "event_data": {"video_id": vendor_id}})
                async with httpx.AsyncClient(base_url=base) as vendor:
                    unsigned = await vendor.post("/webhooks/heygen", content=event)
                    forged = await vendor.post("/webhooks/heygen", content=event, headers={header: "0" * 64})
                    stale = await vendor.post("/webhooks/heygen", content=event,
                                              headers={header: "0" * 64, "Heygen-Timestamp": "1000"})
                before = (await client.call_tool("check_job", {"job_id": started["job_id"]})).structured_content
                polled_before = len(fake.requests("GET", STATUS[api]))
                fake.complete_all()
                deliveries = await anyio.to_thread.run_sync(fake.wait_for_deliveries, 1)
                after = (await client.call_tool("check_job", {"job_id": started["job_id"]})).structured_content
    assert [r.status_code for r in (unsigned, forged, stale)] == [401, 401, 401]
    assert before is not None and before["status"] == "queued" and polled_before == 0
    assert [d["status_code"] for d in deliveries] == [200] and deliveries[0]["signed"]
    assert after is not None and after["status"] == "succeeded" and Path(after["result"]["video_path"]).exists()
    assert len(fake.requests("GET", STATUS[api])) == 1  # the delivery's one status request, no polling
    create = fake.requests("POST", "^/v2/video/generate$" if api == "v2" else "^/v3/videos$")[0].json
    assert "callback_url" not in create  # per-job callbacks are unsigned: never asked for
    registered = fake.requests("POST", "endpoint.add$" if api == "v2" else "^/v3/webhooks/endpoints$")
    assert len(registered) == 1 and registered[0].json["url"] == f"{public_url}/webhooks/heygen"


def test_the_signing_input_setting_decides_what_the_signature_must_cover(tmp_path: Path, media_root: Path) -> None:
    from avatar_mcp.webhooks import heygen_signature, verify_heygen
    from tests.conftest import make_settings

    body, stamp = b'{"event_type": "avatar_video.success"}', str(int(time.time()))
    on_body = {"heygen-signature": heygen_signature("whsec_x", body), "heygen-timestamp": stamp}
    on_stamp = {"heygen-signature": heygen_signature("whsec_x", f"{stamp}.".encode() + body), "heygen-timestamp": stamp}

    def check(mode: str, headers: dict[str, str]) -> str | None:
        settings = make_settings(tmp_path, media_root, heygen_webhook_secret=SecretStr("whsec_x"),
                                 heygen_webhook_signing_input=mode)
        return verify_heygen(settings, headers, body)

    assert check("auto", on_body) is None and check("auto", on_stamp) is None
    assert check("body", on_body) is None and check("body", on_stamp) == "bad signature"
    assert check("timestamp.body", on_stamp) is None and check("timestamp.body", on_body) == "bad signature"
    assert check("timestamp.body", {"heygen-signature": on_body["heygen-signature"]}) == \
        "missing heygen-timestamp header"


async def test_a_video_agent_delivery_finishes_a_prompt_video_whose_job_still_follows_the_agent_session(
        tmp_path: Path, media_root: Path) -> None:
    """A prompt video's job follows its agent session until a poll names the video; HeyGen's `video_agent.success`
    names the video (and our callback_id), not the session. The delivery must still finish the job at once, not
    leave it to the safety-net poll."""
    fake = make_fake("v3", polls_to_complete=50)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with serve(fake):
        plain = heygen_settings(tmp_path, media_root, fake, None, public_url=public_url)
        code, text = await register_webhook(plain)
        secret = re.search(r"HEYGEN_WEBHOOK_SECRET=(\S+)", text)
        assert code == 0 and secret is not None
        settings = heygen_settings(tmp_path, media_root, fake, None, public_url=public_url,
                                   heygen_webhook_secret=SecretStr(secret.group(1)))
        with serving(settings, sock) as base:
            async with Client(f"{base}/mcp") as client:
                started = (await client.call_tool("create_video_from_prompt", {
                    "provider": "heygen", "prompt": "A one-minute tour of our product."})).structured_content
                assert started is not None and started["status"] == "processing", started
                session_id = next(iter(fake.video_agents))
                async with httpx.AsyncClient(base_url=fake.base_url, headers={"X-Api-Key": KEY}) as vendor:
                    # Time passes at HeyGen: the agent writes the script and starts the video on its own.
                    while not fake.video_agents[session_id]["video_id"]:
                        await vendor.get(f"/v3/video-agents/{session_id}")
                ours = len(fake.requests("GET", "^/v3/video-agents/"))
                polled_before = len(fake.requests("GET", "^/v3/videos/"))
                fake.complete_all()
                deliveries = await anyio.to_thread.run_sync(fake.wait_for_deliveries, 1)
                after = (await client.call_tool("check_job", {"job_id": started["job_id"]})).structured_content
    assert [d["event_type"] for d in deliveries] == ["video_agent.success"], deliveries
    assert [d["status_code"] for d in deliveries] == [200]
    assert polled_before == 0 and ours == 2  # only the reads above: the server had not polled the job yet
    assert after is not None and after["status"] == "succeeded", after
