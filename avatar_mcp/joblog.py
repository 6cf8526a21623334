"""Job events as MCP log messages, for clients of the 2025-11-25 era (and older).

Those clients subscribe with `logging/setLevel` and show `notifications/message` entries; the 2026-07-28
revision removed both, so sessions of that era get nothing from here (their progress comes from check_job).

Who hears about a job: every session that created it or asked about it (any tool answer naming its job_id),
while the job is open. An event raised while that session's own request is running (the submission inside
create_video, a status change inside check_job's wait) rides that request's stream, which streamable HTTP
clients always read; later ones (the background poller's) go on the session's standalone stream.

`JobLog.on_job_event` is the listener the service calls at each transition (`JobEvents.listeners`, jobs/events.py).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from mcp_types import EmptyResult, LoggingLevel, LoggingMessageNotification, LoggingMessageNotificationParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

if TYPE_CHECKING:
    from mcp.server.connection import Connection
    from mcp.server.context import ServerRequestContext
    from mcp.server.session import ServerSession
    from mcp_types import SetLevelRequestParams

    from avatar_mcp.models import JobRecord

logger = logging.getLogger(__name__)

LEVELS: Final[tuple[str, ...]] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
DEFAULT_LEVEL: Final = "info"
"""What a session that never sent logging/setLevel receives (the spec leaves this to the server)."""
LEVEL_KEY: Final = "avatar_mcp.log_level"
LOGGER_NAME: Final = "avatar_mcp.jobs"
OPEN_STATUSES: Final = frozenset({"submitting", "queued", "processing", "finishing"})
"""models.OPEN_STATUSES, repeated so the server's start-up does not import the models."""


@dataclass(frozen=True)
class _Request:
    session: ServerSession
    request_id: Any


_REQUEST: ContextVar[_Request | None] = ContextVar("avatar_mcp_request", default=None)


def connection_of(session: ServerSession) -> Connection:
    """The connection behind a request's session (mcp 2.3 keeps it private; the logging tests pin this)."""
    connection: Connection = session._connection
    return connection


def is_legacy(session: ServerSession) -> bool:
    return session.protocol_version not in MODERN_PROTOCOL_VERSIONS


def event_entry(job: JobRecord, event: str) -> tuple[LoggingLevel, dict[str, Any]]:
    """The log level and the structured data of one job event."""
    data: dict[str, Any] = {"event": event, "job_id": job.id, "kind": job.kind, "provider": job.provider,
                            "status": job.status, "progress": round(job.progress, 3)}
    if job.message:
        data["message"] = job.message
    level: LoggingLevel = "info"
    if job.error is not None:
        data["error"] = job.error.model_dump(mode="json")
    if job.status in ("failed", "unknown"):
        level = "error"
    elif job.status == "canceled":
        level = "warning"
    if job.result is not None and job.status == "succeeded":
        files = {k: v for k, v in job.result.model_dump(include={"video_path", "captions_path", "thumbnail_path",
                                                                  "avatar_id"}).items() if v}
        data.update(files)
        if job.result.warnings:
            data["warnings"] = job.result.warnings
            level = "warning"
    return level, data


class JobLog:
    """Which sessions follow which jobs, their log levels, and the sending."""

    def __init__(self) -> None:
        self._watchers: dict[str, weakref.WeakSet[Connection]] = {}

    @contextmanager
    def request(self, session: ServerSession, request_id: Any) -> Iterator[None]:
        """Mark the running request, so events it causes go to its session on its own stream."""
        token = _REQUEST.set(_Request(session, request_id) if is_legacy(session) else None)
        try:
            yield
        finally:
            _REQUEST.reset(token)

    def watch(self, session: ServerSession, job_id: str) -> None:
        """This session follows the job from now on (legacy-era sessions only)."""
        if is_legacy(session):
            self._watchers.setdefault(job_id, weakref.WeakSet()).add(connection_of(session))

    async def set_level(self, ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
        """The logging/setLevel handler: the session's threshold for every later message."""
        connection_of(ctx.session).state[LEVEL_KEY] = params.level
        return EmptyResult()

    async def on_job_event(self, job: JobRecord, event: str) -> None:
        """Send the event to every session following the job whose level lets it through."""
        current = _REQUEST.get()
        if current is not None:
            self.watch(current.session, job.id)
        followers = list(self._watchers.get(job.id, ()))
        if not job.is_open:
            self._watchers.pop(job.id, None)
        if not followers:
            return
        level, data = event_entry(job, event)
        notification = LoggingMessageNotification(
            params=LoggingMessageNotificationParams(level=level, data=data, logger=LOGGER_NAME))
        for connection in followers:
            threshold = connection.state.get(LEVEL_KEY, DEFAULT_LEVEL)
            if LEVELS.index(level) < LEVELS.index(threshold):
                continue
            if current is not None and connection_of(current.session) is connection:
                await current.session.send_notification(notification, related_request_id=current.request_id)
            else:
                params = notification.params.model_dump(by_alias=True, mode="json", exclude_none=True)
                await connection.notify(notification.method, params)
