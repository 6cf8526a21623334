"""The one httpx boundary against a real HTTP server on loopback: retries, Retry-After, mapping, redaction."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from avatar_mcp.errors import (
    AuthError,
    InsufficientCredit,
    InvalidRequest,
    NotFound,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    ServerError,
)
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers._http import VendorErrorInfo, VendorHTTP, backoff_delay, parse_retry_after
from tests.fakes._harness import FakeVendor, serve

pytestmark = pytest.mark.anyio
KEY = "sk-live-abcdef123456"


class EchoVendor(FakeVendor):
    def routes(self) -> list[BaseRoute]:
        async def ok(request: Request) -> Response:
            return JSONResponse({"ok": True, "method": request.method})

        async def status(request: Request) -> Response:
            code = int(request.path_params["code"])
            return JSONResponse({"error": {"code": f"e{code}", "message": f"failed with {code} for key {KEY}",
                                           "param": "voice_id"}}, status_code=code)

        return [Route("/ok", ok, methods=["GET", "POST"]), Route("/status/{code}", status, methods=["GET", "POST"])]


def parse(response: httpx.Response) -> VendorErrorInfo | None:
    if response.is_success:
        return None
    error = response.json()["error"]
    return VendorErrorInfo(status=response.status_code, message=error["message"], code=error["code"],
                           param=error.get("param"))


@pytest.fixture
def fake() -> Iterator[EchoVendor]:
    vendor = EchoVendor()
    with serve(vendor):
        yield vendor


@pytest.fixture
async def http(fake: EchoVendor) -> AsyncIterator[VendorHTTP]:
    sleeps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    shared = SharedHTTP(user_agent="test")
    vendor = VendorHTTP(shared, provider="acme", base_url=fake.base_url, auth_headers={"X-Api-Key": KEY},
                        error_parser=parse, sleep=no_sleep)
    vendor.sleeps = sleeps  # type: ignore[attr-defined]
    yield vendor
    await shared.aclose()


async def test_a_read_is_retried_on_500_and_succeeds(fake: EchoVendor, http: VendorHTTP) -> None:
    fake.add_fault("GET", "^/ok$", status=500, body={"error": {"code": "internal", "message": "boom"}}, times=2)
    data = await http.json("GET", "/ok")
    assert data["ok"] is True
    assert len(fake.requests("GET", "^/ok$")) == 3
    assert fake.requests()[0].headers["x-api-key"] == KEY


async def test_retry_after_is_honoured(fake: EchoVendor, http: VendorHTTP) -> None:
    fake.add_fault("GET", "^/ok$", status=429, headers={"Retry-After": "7"},
                   body={"error": {"code": "rate_limited", "message": "slow down"}})
    await http.json("GET", "/ok")
    assert http.sleeps[0] >= 7  # type: ignore[attr-defined]


async def test_a_long_retry_after_is_handed_to_the_caller(fake: EchoVendor, http: VendorHTTP) -> None:
    fake.add_fault("GET", "^/ok$", status=429, headers={"Retry-After": "120"},
                   body={"error": {"code": "rate_limited", "message": "slow down"}})
    with pytest.raises(RateLimited) as err:
        await http.json("GET", "/ok")
    assert err.value.retry_after == 120
    assert "retry in 120 s" in str(err.value)


async def test_a_create_is_not_retried_after_a_500(fake: EchoVendor, http: VendorHTTP) -> None:
    fake.add_fault("POST", "^/ok$", status=500, after=True, body={"error": {"code": "internal", "message": "x"}})
    with pytest.raises(ServerError):
        await http.json("POST", "/ok", json={"a": 1})
    assert len(fake.requests("POST", "^/ok$")) == 1


async def test_a_create_is_retried_after_a_429_because_the_vendor_refused_it(fake: EchoVendor,
                                                                              http: VendorHTTP) -> None:
    fake.add_fault("POST", "^/ok$", status=429, headers={"Retry-After": "1"},
                   body={"error": {"code": "rate_limited", "message": "slow"}})
    assert (await http.json("POST", "/ok", json={}))["ok"]
    assert len(fake.requests("POST", "^/ok$")) == 2


async def test_a_create_that_times_out_is_not_retried_and_says_it_may_have_arrived(fake: EchoVendor,
                                                                                  http: VendorHTTP) -> None:
    fake.add_fault("POST", "^/ok$", delay=1.0)
    with pytest.raises(ProviderTimeout) as err:
        await http.json("POST", "/ok", json={}, timeout=httpx.Timeout(0.3))
    assert err.value.request_sent is True
    assert len(fake.requests("POST", "^/ok$")) == 1


async def test_an_idempotent_create_is_retried_after_a_timeout(fake: EchoVendor, http: VendorHTTP) -> None:
    fake.add_fault("POST", "^/ok$", delay=1.0)
    assert (await http.json("POST", "/ok", json={}, idempotent=True, timeout=httpx.Timeout(0.3)))["ok"]
    assert len(fake.requests("POST", "^/ok$")) == 2


async def test_an_unreachable_vendor_is_a_connection_error_with_nothing_sent() -> None:
    shared = SharedHTTP(user_agent="test")
    vendor = VendorHTTP(shared, provider="acme", base_url="http://127.0.0.1:9", auth_headers={},
                        sleep=lambda s: _noop())
    with pytest.raises(ProviderConnectionError) as err:
        await vendor.request("POST", "/x", json={})
    await shared.aclose()
    assert err.value.request_sent is False


async def _noop() -> None:
    return None


@pytest.mark.parametrize(("code", "error"), [(400, InvalidRequest), (401, AuthError), (403, AuthError),
                                             (402, InsufficientCredit), (404, NotFound), (503, ServerError)])
async def test_vendor_errors_map_to_the_tree_without_leaking_the_key(http: VendorHTTP, code: int, error: type,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error) as err:
        await http.json("POST", f"/status/{code}", json={})
    assert err.value.status_code == code
    assert KEY not in str(err.value)
    assert "***" in str(err.value)
    assert KEY not in caplog.text


@pytest.mark.parametrize("status", [400, 401, 402, 404, 409, 429, 503])
async def test_a_vendor_message_ending_a_sentence_reads_as_one_sentence(http: VendorHTTP, status: int) -> None:
    plain = str(http.status_error(VendorErrorInfo(status, "Companion c1 was not found.")))
    coded = str(http.status_error(VendorErrorInfo(status, "Voice is not usable.", code="voice_not_usable")))
    assert plain.startswith("acme said: Companion c1 was not found. ")
    assert coded.startswith("acme said: Voice is not usable (code voice_not_usable). ")
    assert ".." not in plain + coded


async def test_a_body_that_is_not_json_is_a_server_error(fake: EchoVendor, http: VendorHTTP) -> None:
    fake.add_fault("GET", "^/ok$", malformed=True)
    with pytest.raises(ServerError, match="not valid JSON"):
        await http.json("GET", "/ok")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("12") == 12
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert 0 <= (parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") or 0) < 1


def test_backoff_grows_and_stays_capped() -> None:
    assert all(0 <= backoff_delay(n) <= 20 for n in range(12))
    assert backoff_delay(0, retry_after=9) >= 9


async def test_the_key_never_goes_to_another_site_named_in_an_answer(fake: EchoVendor, http: VendorHTTP) -> None:
    other = EchoVendor()
    with serve(other):
        with pytest.raises(ProviderError) as refused:
            await http.json("GET", f"{other.base_url}/ok")
        # A different port is another origin too: nothing reached it, and the message says why.
        assert other.requests() == []
        assert KEY not in str(refused.value) and "not sent" in str(refused.value)
        # The vendor's own absolute URLs still work.
        assert (await http.json("GET", f"{fake.base_url}/ok"))["ok"] is True
