"""The running service: everything AvatarService needs, opened together and closed together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from avatar_mcp import __version__
from avatar_mcp.config import Settings
from avatar_mcp.jobs.poller import Poller
from avatar_mcp.jobs.sqlite import SqliteJobStore
from avatar_mcp.jobs.store import JobStore
from avatar_mcp.ledger import Ledger, OneTimeFacts, ThreadedLedger
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import JobRecord
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.outbound import OutboundPolicy
from avatar_mcp.providers import build_providers
from avatar_mcp.providers.local.tasks import RunsLocally
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.redaction import RedactingStore, Redactor, protect_logs
from avatar_mcp.service import AvatarService

ProviderFactory = Callable[[Settings, SharedHTTP, MediaPolicy], Sequence[ProviderEntry]]
"""Extra providers (tests add emulated vendors this way)."""
USER_AGENT = f"avatar-mcp/{__version__}"

if TYPE_CHECKING:
    from avatar_mcp.jobs.queue import WorkQueue


async def open_store(settings: Settings) -> tuple[JobStore, OneTimeFacts]:
    """The job store the settings name (PostgreSQL with a database URL, else the data dir's SQLite file, each
    brought up to date by the migration tool) and where one-time facts are kept beside it."""
    if settings.database_url is None:
        store = await anyio.to_thread.run_sync(SqliteJobStore, settings.db_path)
        return store, ThreadedLedger(Ledger(settings.data_dir))
    from avatar_mcp.jobs.migrate import migrate_postgres
    from avatar_mcp.jobs.postgres import PostgresJobStore

    url = settings.database_url.get_secret_value()
    await anyio.to_thread.run_sync(migrate_postgres, url, settings.database_schema)
    postgres = await PostgresJobStore.open(url, schema=settings.database_schema)
    return postgres, postgres


async def open_queue(settings: Settings, service: AvatarService) -> WorkQueue | None:
    """With AVATAR_MCP_WORK=workers, the work queue on the job store's database, wired into the service: every
    released open job gets its next step deferred, and submissions go to workers."""
    if not settings.distributed or settings.database_url is None:
        return None
    from avatar_mcp.jobs.queue import WorkQueue

    def is_local(job: JobRecord) -> bool:
        entry = service.entries.get(job.provider)
        return entry is not None and isinstance(entry.provider, RunsLocally)

    queue = WorkQueue(settings.database_url.get_secret_value(), settings.database_schema, is_local=is_local)
    await queue.open()
    service.queue = queue
    service.engine.scheduler = queue.schedule
    return queue


@asynccontextmanager
async def open_service(settings: Settings, provider_factory: ProviderFactory | None = None,
                       *, poll: bool = True) -> AsyncIterator[AvatarService]:
    """The service with everything it needs open; closes it all on exit. Usable without MCP (tests, demo)."""
    if settings.work == "workers" and settings.database_url is None:
        raise ValueError("AVATAR_MCP_WORK=workers needs AVATAR_MCP_DATABASE_URL: the work queue lives in PostgreSQL.")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    store, ledger = await open_store(settings)
    redact = Redactor(settings.secrets())
    if redact:
        protect_logs(redact.secrets)
        store = RedactingStore(store, redact)
    media = MediaPolicy(settings.effective_media_roots(), max_bytes=settings.max_media_bytes)
    http = SharedHTTP(user_agent=USER_AGENT, outbound=OutboundPolicy.from_settings(settings),
                      secrets=settings.secrets())
    entries = list(await anyio.to_thread.run_sync(build_providers, settings, http, media))
    if provider_factory is not None:
        extra = list(provider_factory(settings, http, media))
        names = {e.name for e in extra}
        entries = [e for e in entries if e.name not in names] + extra
        # Media from any vendor's configured base URL are trusted, a vendor added here included.
        http.outbound = OutboundPolicy.from_settings(settings, [e.spec for e in entries])
    service = AvatarService(settings, store, entries, http, media, ledger=ledger)
    queue = await open_queue(settings, service)
    try:
        async with anyio.create_task_group() as tg:
            engine = service.engine
            await tg.start(engine.pool.run)
            await tg.start(engine.keeper.run)
            poller = Poller(service, settings.poll_interval_seconds)
            if poll and queue is None:  # with workers, the queue's tasks do what the poller does
                await tg.start(poller.run)
            try:
                yield service
            finally:
                with anyio.CancelScope(shield=True):
                    poller.stop()
                    await service.shutdown()
                tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            for entry in entries:
                if entry.provider is not None:
                    await entry.provider.aclose()
            await http.aclose()
            if queue is not None:
                await queue.close()
            await store.close()
