"""Every configured secret is redacted in every message, log line and job row, whichever vendor's answer carried it.

The HeyGen emulator is made to echo OTHER secrets (Runware's key, Creatify's, the HTTP token, the webhook secret) in
an error body and in a failed render's message: none of them may reach the tool's answer, the job row on disk or
the logs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.redaction import MASK, Redactor, protect_logs
from tests.fakes._harness import serve
from tests.fakes.heygen_v3 import HeyGenV3Fake
from tests.providers.heygen.conftest import KEY, STOCK, VOICE, heygen_settings, server

pytestmark = pytest.mark.anyio
SECRETS = {"runware_api_key": "rw-live-0123456789abcdef", "creatify_api_key": "cr-key-fedcba9876543210",
           "creatify_api_id": "cr-id-00112233", "http_token": "tok-5f4e3d2c1b0a99887766",
           "heygen_webhook_secret": "whsec_9a8b7c6d5e4f3a2b"}
VIDEO = {"provider": "heygen", "orientation": "landscape",
         "scenes": [{"avatar_id": STOCK, "script": "Hello.", "voice_id": VOICE}]}


def echoed() -> str:
    return "the request carried " + ", ".join(SECRETS.values()) + f" and {KEY}"


def assert_clean(text: str) -> None:
    for name, secret in [*SECRETS.items(), ("heygen_api_key", KEY)]:
        assert secret not in text, name


async def test_a_vendor_echoing_other_secrets_leaks_none_of_them(tmp_path: Path, media_root: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = HeyGenV3Fake(polls_to_complete=0)
    with serve(fake):
        settings = heygen_settings(tmp_path, media_root, fake, "v3",
                                   **{k: SecretStr(v) for k, v in SECRETS.items()})
        fake.add_fault("POST", "^/v3/videos$", status=400,
                       body={"error": {"code": "invalid_parameter", "message": echoed()}})
        fake.fail_next_video(code="RENDER_FAILED", message=echoed())
        async with Client(server(settings), mode="legacy") as client:
            refused = await client.call_tool("create_video", VIDEO)
            started = await client.call_tool("create_video", VIDEO)
            job_id = started.structured_content["job_id"]
            failed = await client.call_tool("check_job", {"job_id": job_id, "wait_seconds": 10})
            jobs = await client.call_tool("list_jobs", {})
            detail = await client.read_resource(f"avatar://jobs/{job_id}")
    assert refused.is_error and MASK in refused.content[0].text
    assert_clean(refused.content[0].text)
    assert failed.structured_content["status"] == "failed", failed.structured_content
    assert MASK in failed.structured_content["error"]["message"]
    for answer in (failed.content[0].text, jobs.content[0].text, detail.contents[0].text):
        assert_clean(answer)
    rows = b"".join(p.read_bytes() for p in settings.data_dir.glob("jobs.sqlite3*"))
    for secret in [*SECRETS.values(), KEY]:
        assert secret.encode() not in rows
    assert echoed()[:20] in caplog.text or MASK in caplog.text
    assert_clean(caplog.text)


def test_log_lines_are_redacted_whatever_logger_and_traceback_carry_them(
        tmp_path: Path, media_root: Path, caplog: pytest.LogCaptureFixture) -> None:
    protect_logs(["tok-only-in-this-test-4242"])
    caplog.set_level(logging.INFO)
    log = logging.getLogger("some.library")
    log.info("connecting with %s", "Bearer tok-only-in-this-test-4242")
    try:
        raise RuntimeError("upstream said tok-only-in-this-test-4242 is wrong")
    except RuntimeError:
        log.exception("failed")
    assert "tok-only-in-this-test-4242" not in caplog.text
    assert "Bearer ***" in caplog.text and "upstream said *** is wrong" in caplog.text


def test_the_redactor_masks_the_longest_secret_first_and_leaves_short_ones_alone() -> None:
    redact = Redactor(["abcd", "abcdefgh", "xy"])
    assert redact("key abcdefgh and abcd, xy") == "key *** and ***, xy"
    assert redact.tree({"a": ["abcd", {"abcdefgh": 1}]}) == {"a": ["***", {"***": 1}]}


@pytest.mark.parametrize(("url", "password"), [
    ("postgresql://app:s3cret-pass@db.internal:5432/jobs", "s3cret-pass"),
    ("postgresql://app:p%40ss%2Fw0rd@db.internal/jobs", "p@ss/w0rd"),  # percent-encoded in the URL
    ("postgresql://app@db.internal/jobs?sslmode=require&password=query-pass-99", "query-pass-99"),
])
def test_the_database_password_is_a_secret_in_every_spelling_the_url_allows(tmp_path: Path, media_root: Path,
                                                                            url: str, password: str) -> None:
    """libpq takes a URL's password in the userinfo (percent-encoded or not) or as a query parameter: whichever the
    operator used, both the spelling in the setting and the password itself are masked."""
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, media_root, database_url=SecretStr(url),
                             http_tokens=SecretStr("tenant-token-a-0123456789=alice"),
                             request_state_keys=SecretStr("k" * 40))
    redact = Redactor(settings.secrets())
    text = f"could not connect with {url}: password {password!r} refused for alice"
    assert password not in redact(text)
    assert "tenant-token-a-0123456789" in settings.secrets() and "k" * 40 in settings.secrets()
