"""What both HeyGen generations share: the one error parser over three answer shapes (real httpx responses, no
network), timing, capabilities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.heygen.common import parse_error
from avatar_mcp.providers.heygen.provider import HeyGenProvider, from_settings
from avatar_mcp.providers.heygen.spec import SPEC as HEYGEN
from avatar_mcp.providers.heygen.spec import TIMING
from tests.conftest import make_settings


def answer(status: int, body: Any = None, *, raw: bytes | None = None, **headers: str) -> httpx.Response:
    request = httpx.Request("GET", "https://api.heygen.com/x")
    if raw is not None:
        return httpx.Response(status, content=raw, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize("body", [
    {"code": 100, "data": {"id": "a"}, "message": "Success"},
    {"error": None, "data": {"video_id": "v"}},
    {"data": {"video_id": "v"}},
    {"data": [], "has_more": False, "next_token": None},
])
def test_every_success_envelope_reads_as_success(body: dict[str, Any]) -> None:
    assert parse_error(answer(200, body)) is None


def test_a_legacy_error_hidden_in_a_200_maps_its_integer_code_to_a_status() -> None:
    missing = parse_error(answer(200, {"code": 40104, "message": "Video not found"}))
    limited = parse_error(answer(200, {"code": 400123, "message": "Rate limit"}))
    assert missing is not None and (missing.status, missing.code) == (404, "40104")
    assert limited is not None and limited.status == 429


def test_a_v2_error_object_and_a_plain_string_error_are_both_read() -> None:
    coded = parse_error(answer(400, {"error": {"code": "invalid_parameter", "message": "bad voice"}, "data": None}))
    plain = parse_error(answer(400, {"error": "voice not found", "data": None}))
    hidden = parse_error(answer(200, {"error": {"code": "insufficient_credit", "message": "top up"}, "data": None}))
    assert coded is not None and (coded.status, coded.code, coded.message) == (400, "invalid_parameter", "bad voice")
    assert plain is not None and (plain.code, plain.message) == (None, "voice not found")
    assert hidden is not None and hidden.status == 402


def test_a_v3_error_keeps_its_param_and_request_id() -> None:
    body = {"error": {"code": "INVALID_PARAMETER", "message": "speed out of range", "param": "voice_settings.speed"}}
    info = parse_error(answer(400, body, **{"X-Request-Id": "req-1"}))
    assert info is not None
    assert (info.code, info.param) == ("invalid_parameter", "voice_settings.speed")
    assert info.message == "speed out of range (request id req-1)"


def test_a_non_json_error_body_still_gives_the_status() -> None:
    info = parse_error(answer(502, raw=b"<html>bad gateway</html>"))
    assert info is not None and info.status == 502
    assert parse_error(answer(200, raw=b"")) is None


def test_scaled_timing_shrinks_every_duration_and_keeps_unset_ones() -> None:
    fast = TIMING.scaled(0.01)
    assert fast.ready_wait_seconds == pytest.approx(1.2)
    assert fast.video_seconds(10) == pytest.approx(0.9 + 0.04 * 10)
    assert fast.create_timeout_seconds is None


@pytest.mark.parametrize(("api", "batch", "idempotent", "consent_video"), [("v2", False, False, True),
                                                                        (None, True, True, False)])
def test_capabilities_follow_the_api_version_and_webhooks_need_a_url_and_a_secret(
        api: str | None, batch: bool, idempotent: bool, consent_video: bool, tmp_path: Path, media_root: Path) -> None:
    def provider(**extra: Any) -> HeyGenProvider:
        values: dict[str, Any] = {"heygen_api_key": SecretStr("k" * 12), **extra}
        if api:
            values["heygen_api_version"] = api
        settings = make_settings(tmp_path, media_root, **values)
        return from_settings(settings, SharedHTTP(user_agent="t"), MediaPolicy([media_root], max_bytes=10**6))

    plain = provider().capabilities
    assert plain.operations == HEYGEN.operations
    assert (plain.batch_status, plain.idempotent_create, plain.consent_video_required) == (batch, idempotent,
                                                                                          consent_video)
    assert not plain.webhooks and not provider(public_url="https://a.example").capabilities.webhooks
    hooked = provider(public_url="https://a.example", heygen_webhook_secret=SecretStr("whsec_x"))
    assert hooked.capabilities.webhooks and hooked.api_version == (api or "v3")
