"""Tenants on the HTTP transport: each bearer token is a principal, and one principal cannot see, cancel, download
or read (as a resource) another's job by its id: the answer is exactly the one an unknown id gets. On both job
stores, through the SDK's real client over streamable HTTP, in both protocol eras."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.providers.base import Capabilities
from avatar_mcp.server import build_server
from avatar_mcp.transport import http_app
from tests.conftest import make_settings
from tests.fakes import countdown
from tests.fakes._harness import loopback_socket, serve_asgi
from tests.postgres import Database

pytestmark = pytest.mark.anyio
ALICE, BOB = "alice-token-0123456789abcdef", "bob-token-fedcba9876543210"
VIDEO = {"provider": "countdown", "orientation": "square",
         "scenes": [{"avatar_id": "cd-avatar", "script": "Hello.", "voice_id": "cd-ann"}]}
UNKNOWN = "job_00000000deadbeef"


@pytest.fixture(params=["sqlite", "postgres"])
def tenant_settings(request: pytest.FixtureRequest, tmp_path: Path, media_root: Path) -> Settings:
    extra: dict[str, Any] = {}
    if request.param == "postgres":
        database: Database = request.getfixturevalue("database")
        extra = {"database_url": SecretStr(database.url), "database_schema": database.schema}
    return make_settings(tmp_path, media_root, http_tokens=SecretStr(f"{ALICE}=alice,{BOB}=bob"), **extra)


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    sock = loopback_socket()
    app = http_app(build_server(settings, provider_factory=countdown.entries), settings, "0.0.0.0",
                   sock.getsockname()[1])
    with serve_asgi(app, sock) as base_url:
        yield f"{base_url}/mcp"


@asynccontextmanager
async def as_tenant(url: str, token: str, mode: str) -> AsyncIterator[Client]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


async def error_of(client: Client, tool: str, job_id: str) -> str:
    result = await client.call_tool(tool, {"job_id": job_id})
    assert result.is_error, (tool, result.structured_content)
    return str(result.content[0].text).replace(job_id, "<id>")  # type: ignore[union-attr]


async def resource_error(client: Client, uri: str, job_id: str) -> str:
    with pytest.raises(MCPError) as err:
        await client.read_resource(uri)
    return f"{err.value.error.code} {err.value.error.message}".replace(job_id, "<id>")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_principal_cannot_see_cancel_download_or_read_anothers_job(tenant_settings: Settings,
                                                                          mode: str) -> None:
    with serving(tenant_settings) as url:
        async with as_tenant(url, ALICE, mode) as alice, as_tenant(url, BOB, mode) as bob:
            created = (await alice.call_tool("create_video", VIDEO)).structured_content
            assert created is not None and created["status"] == "queued"
            job_id = created["job_id"]
            # While it is open: bob cannot cancel it (nor learn that it exists).
            for tool in ("check_job", "cancel_job", "download_result"):
                assert await error_of(bob, tool, job_id) == await error_of(bob, tool, UNKNOWN), tool
            assert (await bob.call_tool("list_jobs", {})).structured_content == {"jobs": []}
            done = (await alice.call_tool("check_job", {"job_id": job_id, "wait_seconds": 30})).structured_content
            assert done is not None and done["status"] == "succeeded", done
            name = Path(done["result"]["video_path"]).name
            for tool in ("check_job", "cancel_job", "download_result"):
                assert await error_of(bob, tool, job_id) == await error_of(bob, tool, UNKNOWN), tool
            for uri in ("avatar://jobs/{}", f"avatar://media/{{}}/{name}"):
                assert await resource_error(bob, uri.format(job_id), job_id) == \
                    await resource_error(bob, uri.format(UNKNOWN), UNKNOWN), uri
            # Alice still has all of it.
            listed = (await alice.call_tool("list_jobs", {})).structured_content
            assert listed is not None and [j["job_id"] for j in listed["jobs"]] == [job_id]
            assert not (await alice.call_tool("download_result", {"job_id": job_id})).is_error
            assert (await alice.read_resource(f"avatar://jobs/{job_id}")).contents
            assert (await alice.read_resource(f"avatar://media/{job_id}/{name}")).contents


async def test_a_single_token_is_the_local_principal_as_on_stdio(
        tmp_path: Path, media_root: Path) -> None:
    single = make_settings(tmp_path, media_root, http_token=SecretStr("the-only-token-0123456789"))
    with serving(single) as url:
        async with as_tenant(url, "the-only-token-0123456789", "auto") as client:
            job = (await client.call_tool("create_video", VIDEO)).structured_content
    from avatar_mcp.jobs.sqlite import SqliteJobStore

    store = SqliteJobStore(single.db_path)
    try:
        assert job is not None and (await store.get(job["job_id"])).principal == "local"
    finally:
        await store.close()


async def test_avatars_another_principal_made_here_are_left_out_of_listings(settings: Settings) -> None:
    from avatar_mcp.jobs.store import new_job_id
    from avatar_mcp.models import AvatarInfo, JobRecord, JobResult
    from avatar_mcp.runtime import open_service

    async with open_service(settings, poll=False) as service:
        for principal, avatar_id in (("alice", "av-alice"), ("bob", "av-bob")):
            await service.store.create(JobRecord(id=new_job_id(), kind="avatar", provider="heygen", status="succeeded",
                                                 operation="create_photo_avatar", principal=principal,
                                                 result=JobResult(avatar_id=avatar_id)))
        listed = [AvatarInfo(avatar_id=a, name=a, provider="heygen") for a in ("av-alice", "av-bob", "stock")]
        seen = await service.own_avatars("heygen", listed, "alice")
    assert [a.avatar_id for a in seen] == ["av-alice", "stock"]


class _Deletable(countdown.CountdownProvider):
    """The countdown vendor with one more avatar (made here by alice) and avatar deletion."""

    capabilities = Capabilities(operations=countdown.CountdownProvider.capabilities.operations
                                          | {"delete_avatar"})

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.deleted: list[str] = []

    async def list_avatars(self, query: Any) -> list[Any]:
        return [countdown.AVATAR, countdown.AVATAR.model_copy(update={"avatar_id": "cd-alice", "name": "Alice's"})]

    async def delete_avatar(self, avatar_id: str) -> None:
        self.deleted.append(avatar_id)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_another_principals_avatar_is_neither_completed_nor_deleted(settings: Settings, mode: str) -> None:
    """Avatars made here belong to their principal: the caller (stdio's 'local') gets no completion of alice's
    avatar id and cannot delete it; its own stock avatar stays usable."""
    from mcp_types import PromptReference

    from avatar_mcp.jobs.sqlite import SqliteJobStore
    from avatar_mcp.jobs.store import new_job_id
    from avatar_mcp.models import JobRecord, JobResult
    from avatar_mcp.providers.spec import ProviderEntry

    vendor = _Deletable(settings.data_dir / "countdown")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteJobStore(settings.db_path)
    try:
        await store.create(JobRecord(id=new_job_id(), kind="avatar", provider="countdown", status="succeeded",
                                     operation="create_photo_avatar", principal="alice",
                                     result=JobResult(avatar_id="cd-alice")))
    finally:
        await store.close()
    prompt = PromptReference(type="ref/prompt", name="avatar-video")
    server = build_server(settings, provider_factory=lambda s, h, m: [ProviderEntry.of(vendor)])
    async with Client(server, mode=mode) as client:
        completed = await client.complete(prompt, {"name": "avatar_id", "value": "cd-"}, {"provider": "countdown"})
        deleted = await client.call_tool("delete_avatar", {"avatar_id": "cd-alice", "provider": "countdown"})
        own = await client.call_tool("delete_avatar", {"avatar_id": "cd-avatar", "provider": "countdown"})
    assert completed.completion.values == ["cd-avatar"]
    assert deleted.is_error and "cd-alice" in str(deleted.content[0].text)  # type: ignore[union-attr]
    assert "not one of your avatars" in str(deleted.content[0].text)  # type: ignore[union-attr]
    assert not own.is_error
    assert vendor.deleted == ["cd-avatar"]
