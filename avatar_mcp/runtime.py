"""The running service: everything AvatarService needs, opened together and closed together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread

from avatar_mcp import __version__
from avatar_mcp.config import Settings
from avatar_mcp.jobs.poller import Poller
from avatar_mcp.jobs.sqlite import SqliteJobStore
from avatar_mcp.jobs.store import JobStore
from avatar_mcp.ledger import Ledger, OneTimeFacts, ThreadedLedger
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.outbound import OutboundPolicy
from avatar_mcp.providers import build_providers
from avatar_mcp.providers.base import ProviderEntry
from avatar_mcp.redaction import RedactingStore, Redactor, protect_logs
from avatar_mcp.service import AvatarService

ProviderFactory = Callable[[Settings, SharedHTTP, MediaPolicy], Sequence[ProviderEntry]]
"""Extra providers (tests add emulated vendors this way)."""
USER_AGENT = f"avatar-mcp/{__version__}"


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


@asynccontextmanager
async def open_service(settings: Settings, provider_factory: ProviderFactory | None = None,
                       *, poll: bool = True) -> AsyncIterator[AvatarService]:
    """The service with everything it needs open; closes it all on exit. Usable without MCP (tests, demo)."""
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
    service = AvatarService(settings, store, entries, http, media, ledger=ledger)
    try:
        async with anyio.create_task_group() as tg:
            engine = service.engine
            await tg.start(engine.pool.run)
            await tg.start(engine.keeper.run)
            poller = Poller(service, settings.poll_interval_seconds)
            if poll:
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
            await store.close()
