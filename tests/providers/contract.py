"""One provider contract suite, run against every vendor's emulator (as storage libraries run one suite against every
backend): a vendor's test module subclasses `ProviderContract` with its `Vendor` case, and every test here runs for
it, through the real MCP client and the real service.

What every provider guarantees:
- a create whose answer is lost (a 5xx, a dropped connection, a garbled or late answer) leaves at most one job at
  the vendor and a handle that says what is known: recovered (replayed by key, or found in the vendor's lists) or
  `unknown` with advice, never resent blindly; a crash between sending and recording is reconciled the same way;
- a rate-limited create waits for Retry-After and is made once; status polls ride out 429, 5xx and unreadable answers;
- the API key reaches no answer, no log line and no byte of the job store, even when the vendor echoes it;
- cancel_job stops following the job and says whether the vendor may still finish it;
- an avatar the vendor does not know is refused before anything is created (where the vendor can tell);
- finished media are downloaded through the one download path (outbound.py: no credentials sent), and
  download_result fetches them again with fresh URLs;
- every id argument is checked against the vendor's id shape before any request;
- every tool the vendor offers works against an emulator that validates each request, which refuses none.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest
from mcp.client import Client

from avatar_mcp import operations
from avatar_mcp.config import Settings
from avatar_mcp.jobs.store import new_job_id
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import JobRecord
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers import spec as registered
from avatar_mcp.providers.base import Provider, SubmitContext
from avatar_mcp.providers.spec import ProviderEntry, VendorSpec
from avatar_mcp.providers.timing import Timing
from avatar_mcp.runtime import open_service
from avatar_mcp.server import AvatarServer, build_server
from tests.conftest import PORTRAITS
from tests.fakes._harness import DATA, FakeVendor, serve
from tests.providers._vendors import assert_secret_absent, call, capture_all, fails, finish

JOB_TOOLS = frozenset({"list_providers", "check_job", "list_jobs", "cancel_job", "download_result"})
"""Tools every provider's jobs go through, besides its own operations."""
HOSTILE = ["../../users/me", "%2e%2e/%2e%2e/users/me", "look?ownership=public", "look#fragment", "looks/other"]
IdArgument = tuple[str, str, Callable[[str], dict[str, Any]]]
"""(tool, the field named in the refusal, arguments with a given id value)."""
LOST: dict[str, dict[str, Any]] = {
    "5xx-after": {"status": 500, "after": True}, "dropped-after": {"drop": True, "after": True},
    "garbled-after": {"malformed": True, "after": True}, "late": {"delay": 1.0, "after": True},
    "5xx-before": {"status": 503}}
"""Ways the answer to a create is lost: the vendor did the work (after) or not (before)."""


def error_body(message: str, code: str) -> dict[str, Any]:
    """An error body in the shape each vendor's error parser reads (HeyGen's `error`, Runware's `errors`, DRF's
    `detail`, Napster's `message`)."""
    return {"error": {"code": code, "message": message}, "errors": [{"code": code, "message": message}],
            "detail": message, "message": message}


def media(media_root: Path) -> None:
    """A 512x512 JPEG portrait (me.jpg) and a tiny MP4 (clip.mp4) inside the media root."""
    shutil.copy(PORTRAITS / "astronaut.jpg", media_root / "me.jpg")
    shutil.copy(DATA / "tiny.mp4", media_root / "clip.mp4")


class Driver:
    """Calls tools that must succeed, and records which tools were driven."""

    def __init__(self, client: Client, provider: str) -> None:
        self.client = client
        self.provider = provider
        self.driven: set[str] = set()

    async def ok(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments)
        text = "\n".join(getattr(c, "text", "") for c in result.content)
        assert not result.is_error, f"{tool}: {text}"
        self.driven.add(tool)
        return result.structured_content or {}

    async def done(self, handle: dict[str, Any], wait: float = 20.0) -> dict[str, Any]:
        """check_job until the job has succeeded."""
        assert handle.get("job_id"), handle
        finished = await self.ok("check_job", {"job_id": handle["job_id"], "wait_seconds": wait})
        assert finished["status"] == "succeeded", finished
        return finished

    async def jobs_tools(self, video_job: str, start_another: tuple[str, dict[str, Any]]) -> None:
        """download_result on a finished job, cancel_job on one just started, list_jobs."""
        await self.ok("download_result", {"job_id": video_job})
        started = await self.ok(*start_another)
        canceled = await self.ok("cancel_job", {"job_id": started["job_id"]})
        assert canceled["status"] in ("canceled", "succeeded"), canceled
        listed = await self.ok("list_jobs", {"provider": self.provider, "limit": 100})
        assert listed["jobs"]

    async def finish(self, fake: FakeVendor) -> None:
        """Every supported tool was driven, and the emulator refused none of the requests it got."""
        listed = await self.ok("list_providers", {})
        [info] = [p for p in listed["providers"] if p["name"] == self.provider]
        missing = (set(info["capabilities"]) | JOB_TOOLS) - self.driven
        assert not missing, f"tools not driven: {sorted(missing)}"
        refused = [(r.method, r.raw_path, r.status) for r in fake.refused()]
        assert refused == [], refused


@dataclass(frozen=True)
class Vendor:
    """One vendor backend under test: its emulator, settings pointing at it, and what the suite needs to know."""

    id: str
    provider: str
    make_fake: Callable[[int], FakeVendor]
    """An emulator whose jobs finish after this many status polls."""
    settings: Callable[[Path, Path, Any], Settings]
    build: Callable[[Settings, SharedHTTP, MediaPolicy, Timing], Provider]
    timing: Timing
    """Timing for the emulators (a few polls per job, short waits)."""
    create: Callable[[Any], tuple[str, dict[str, Any]]]
    """A paid create: (tool, arguments), given the running emulator (some ids come from it)."""
    create_path: str
    """The create request's path (a regex), where faults are injected."""
    status: tuple[str, str]
    """(method, path regex) of the status requests that follow a job."""
    vendor_jobs: Callable[[Any], int]
    """How many jobs the vendor holds (what a create adds one to)."""
    key: str
    recovers: bool
    """A create whose answer was lost is recovered (replayed by key, or found in the vendor's lists)."""
    ids: Callable[[Any], list[IdArgument]]
    drive: Callable[[Driver, Any], Awaitable[None]]
    """Drive every tool the vendor offers (then `Driver.finish`)."""
    unknown_avatar: Callable[[Any], tuple[str, dict[str, Any]]] | None = None
    """A create naming an avatar the vendor does not know, where the vendor can tell before creating anything."""
    downloads: bool = True
    """A finished job of `create` has media to download."""
    spec: VendorSpec | None = None
    """The vendor's spec, when it is not one of the registry's."""

    def factory(self, **timing: Any) -> Callable[[Settings, SharedHTTP, MediaPolicy], list[ProviderEntry]]:
        spec = self.spec or registered(self.provider)

        def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> list[ProviderEntry]:
            return [ProviderEntry(spec=spec, provider=self.build(settings, http, media, replace(self.timing,
                                                                                               **timing)))]

        return entries

    def server(self, settings: Settings, **timing: Any) -> AvatarServer:
        """The MCP server over these settings with this vendor's provider (test timing, overridable)."""
        return build_server(settings, provider_factory=self.factory(**timing))

    def client(self, settings: Settings, **timing: Any) -> Client:
        return Client(self.server(settings, **timing), mode="auto")


class ProviderContract:
    """The suite (see the module docstring); subclasses set `vendor`."""

    vendor: ClassVar[Vendor]
    pytestmark = pytest.mark.anyio

    def fake(self, polls: int = 1) -> FakeVendor:
        return self.vendor.make_fake(polls)

    @pytest.mark.parametrize("loss", list(LOST))
    async def test_a_create_whose_answer_is_lost_leaves_one_vendor_job_and_says_what_is_known(
            self, loss: str, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake()
        with serve(fake):
            fake.add_fault("POST", vendor.create_path, **LOST[loss])
            timing = {"create_timeout_seconds": 0.3} if loss == "late" else {}
            async with vendor.client(vendor.settings(tmp_path, media_root, fake), **timing) as client:
                tool, arguments = vendor.create(fake)
                handle = await call(client, tool, arguments)  # an answer, never a bare error
                jobs = (await call(client, "list_jobs", {}))["jobs"]
        made = vendor.vendor_jobs(fake)
        assert made <= 1 and [j["job_id"] for j in jobs] == [handle["job_id"]]
        if made and vendor.recovers:
            assert handle["status"] in ("submitting", "queued", "processing", "succeeded"), handle
        else:
            assert handle["status"] == "unknown" and "NOT resubmitted" in handle["message"], handle

    async def test_a_create_interrupted_by_a_crash_is_reconciled_at_the_next_start(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake(polls=1)
        with serve(fake):
            settings = vendor.settings(tmp_path, media_root, fake)
            tool, arguments = vendor.create(fake)
            op = operations.get(tool)
            spec = op.validate({k: v for k, v in arguments.items() if k != "provider"})
            async with open_service(settings, vendor.factory(), poll=False) as service:
                job = await service.store.create(JobRecord(
                    id=new_job_id(), kind=op.kind, provider=vendor.provider, operation=op.name,
                    request={"arguments": spec.model_dump(mode="json", exclude_none=True)}))
                # The request went out, then the process died before the answer was stored.
                await op.call(service.providers.for_job(job), spec, SubmitContext(job_id=job.id), None)
            async with open_service(settings, vendor.factory(), poll=False) as service:
                await service.poll_due()
                found = await service.refresh(job.id, force=True)
        assert vendor.vendor_jobs(fake) == 1
        if vendor.recovers:
            assert found.status in ("queued", "processing", "finishing", "succeeded"), found
        else:
            assert found.status == "unknown" and "NOT resubmitted" in (found.message or "")

    async def test_a_rate_limited_create_waits_for_retry_after_and_is_made_once(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake()
        with serve(fake):
            fake.add_fault("POST", vendor.create_path, status=429, headers={"Retry-After": "1"},
                           body=error_body("Too many requests; slow down.", "rate_limit_exceeded"))
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                tool, arguments = vendor.create(fake)
                began = time.monotonic()
                handle = await call(client, tool, arguments)
                waited = time.monotonic() - began
        assert handle["status"] in ("queued", "processing", "succeeded"), handle
        assert waited >= 1.0 and vendor.vendor_jobs(fake) == 1
        assert len(fake.requests("POST", vendor.create_path)) >= 2

    async def test_status_polls_ride_out_rate_limits_server_errors_and_unreadable_answers(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake(polls=4)  # more real polls than faults: each is met before the end
        method, path = vendor.status
        with serve(fake):
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                tool, arguments = vendor.create(fake)
                started = await call(client, tool, arguments)
                fake.add_fault(method, path, status=429, headers={"Retry-After": "1"},
                               body=error_body("Too many requests.", "rate_limit_exceeded"))
                fake.add_fault(method, path, status=503, body=error_body("Busy.", "internal_error"))
                fake.add_fault(method, path, malformed=True)
                done = await finish(client, started["job_id"], wait=30)
        assert done["status"] == "succeeded", done
        assert vendor.vendor_jobs(fake) == 1 and all(f.times == 0 for f in fake.faults)

    async def test_the_api_key_reaches_no_answer_log_or_job_even_when_the_vendor_echoes_it(
            self, tmp_path: Path, media_root: Path, caplog: pytest.LogCaptureFixture) -> None:
        capture_all(caplog)
        vendor, fake = self.vendor, self.fake()
        with serve(fake):
            settings = vendor.settings(tmp_path, media_root, fake)
            async with vendor.client(settings) as client:
                tool, arguments = vendor.create(fake)
                done = await finish(client, (await call(client, tool, arguments))["job_id"])
                fake.add_fault("POST", vendor.create_path, status=401,
                               body=error_body(f"Invalid API key {vendor.key} for this account.", "unauthorized"))
                refused = await fails(client, tool, arguments)
                listed = await client.call_tool("list_jobs", {})
        assert done["status"] == "succeeded" and "API key was refused" in refused
        assert_secret_absent(vendor.key, [str(done), refused, str(listed.content)], caplog, settings.db_path)

    async def test_cancel_stops_following_the_job_and_says_whether_the_vendor_may_still_finish(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake(polls=1000)
        method, path = vendor.status
        with serve(fake):
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                tool, arguments = vendor.create(fake)
                started = await call(client, tool, arguments)
                canceled = await call(client, "cancel_job", {"job_id": started["job_id"]})
                await anyio.sleep(0.3)  # a poll already on its way when the job was canceled
                polls = len(fake.requests(method, path))
                later = await call(client, "check_job", {"job_id": started["job_id"], "wait_seconds": 0.5})
        assert canceled["status"] == later["status"] == "canceled", canceled
        assert canceled["message"]  # what happened at the vendor (stopped, or may still finish and charge)
        assert len(fake.requests(method, path)) == polls  # nobody follows it any more

    async def test_an_avatar_the_vendor_does_not_know_is_refused_before_anything_is_created(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake()
        if vendor.unknown_avatar is None:
            pytest.skip(f"{vendor.id} cannot tell an unknown avatar before creating (or takes none)")
        with serve(fake):
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                tool, arguments = vendor.unknown_avatar(fake)
                refused = await fails(client, tool, arguments)
                jobs = (await call(client, "list_jobs", {}))["jobs"]
        assert "avatar" in refused and jobs == []
        assert fake.requests("POST", vendor.create_path) == []

    async def test_finished_media_are_downloaded_without_credentials_and_again_with_fresh_urls(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake()
        if not vendor.downloads:
            pytest.skip(f"{vendor.id}'s create makes nothing to download")
        method, path = vendor.status
        with serve(fake):
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                tool, arguments = vendor.create(fake)
                done = await finish(client, (await call(client, tool, arguments))["job_id"])
                files = [Path(p) for p in _paths(done["result"])]
                fetched, polls = len(fake.media_log), len(fake.requests(method, path))
                for file in files:
                    file.unlink()
                again = await call(client, "download_result", {"job_id": done["job_id"]})
        assert done["status"] == "succeeded" and files, done
        assert fake.media_log and all(vendor.key not in str(r.headers) for r in fake.media_log)
        assert again["status"] == "succeeded" and all(Path(p).is_file() for p in _paths(again["result"]))
        assert len(fake.media_log) > fetched and len(fake.requests(method, path)) > polls  # fresh URLs were asked

    async def test_every_id_argument_is_refused_by_shape_before_any_request(
            self, tmp_path: Path, media_root: Path) -> None:
        vendor, fake = self.vendor, self.fake()
        with serve(fake):
            arguments = vendor.ids(fake)
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                refusals = [(tool, field, value, await fails(client, tool, make(value)))
                            for tool, field, make in arguments for value in HOSTILE]
                jobs = (await call(client, "list_jobs", {}))["jobs"]
        for tool, field, value, text in refusals:
            assert field in text, (tool, value, text)
            assert "Nothing was sent" in text or "not a" in text, (tool, value, text)
        assert fake.log == [], [(r.method, r.raw_path) for r in fake.log]
        assert jobs == []

    async def test_every_tool_the_vendor_offers_works_and_the_emulator_refuses_nothing(
            self, tmp_path: Path, media_root: Path) -> None:
        media(media_root)
        vendor, fake = self.vendor, self.fake(polls=2)
        with serve(fake):
            async with vendor.client(vendor.settings(tmp_path, media_root, fake)) as client:
                drive = Driver(client, vendor.provider)
                await vendor.drive(drive, fake)
                await drive.finish(fake)


def _paths(result: dict[str, Any]) -> list[str]:
    """Every local file of a job's result."""
    outputs = [result, *(result.get("outputs") or [])]
    found = [o[k] for o in outputs for k in ("video_path", "captions_path", "thumbnail_path") if o.get(k)]
    found += [c["image_path"] for c in result.get("candidates") or [] if c.get("image_path")]
    return found + ([result["preview_image_path"]] if result.get("preview_image_path") else [])
