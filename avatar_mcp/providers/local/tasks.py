"""Background work of the local studio: renders and preparations run in worker threads, never on the event loop.

A task is keyed by its job id, so asking for the same job again (after a restart, say) finds or restarts it
rather than running it twice. The worker reports progress and checks for cancellation between frames.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from avatar_mcp.errors import AvatarError
from avatar_mcp.models import JobError, JobResult

logger = logging.getLogger(__name__)

TaskState = Literal["queued", "running", "succeeded", "failed", "canceled"]


class Canceled(Exception):
    """Raised inside a task when its job was canceled."""


@dataclass
class Task:
    id: str
    label: str
    state: TaskState = "queued"
    progress: float = 0.0
    message: str | None = None
    result: JobResult | None = None
    error: JobError | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None

    # What the work function sees.
    def report(self, fraction: float, message: str | None = None) -> None:
        self.progress = max(0.0, min(1.0, fraction))
        if message is not None:
            self.message = message

    def should_stop(self) -> bool:
        return self.stop.is_set()

    def check(self) -> None:
        if self.stop.is_set():
            raise Canceled


Work = Callable[[Task], JobResult]


class TaskRunner:
    """A small pool of worker threads; `workers` bounds how many tasks run at once."""

    def __init__(self, name: str, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"avatar-{name}")
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def start(self, task_id: str, label: str, work: Work) -> Task:
        """Start `work` for `task_id`, unless that task is already queued or running."""
        with self._lock:
            existing = self._tasks.get(task_id)
            if existing is not None and existing.state in ("queued", "running"):
                return existing
            task = Task(id=task_id, label=label, message="Waiting for the studio.")
            self._tasks[task_id] = task
            task.future = self._pool.submit(self._run, task, work)
            return task

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def cancel(self, task_id: str) -> Task | None:
        task = self._tasks.get(task_id)
        if task is not None:
            task.stop.set()
            if task.future is not None and task.future.cancel():
                task.state = "canceled"
        return task

    def shutdown(self) -> None:
        for task in list(self._tasks.values()):
            task.stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(task: Task, work: Work) -> None:
        if task.stop.is_set():
            task.state = "canceled"
            return
        task.state = "running"
        try:
            result = work(task)
        except Canceled:
            task.state, task.message = "canceled", "Canceled."
        except AvatarError as exc:
            if task.stop.is_set():
                task.state, task.message = "canceled", "Canceled."
                return
            task.error = JobError(code=exc.code, message=str(exc), retryable=exc.retryable)
            task.state, task.message = "failed", str(exc)
        except Exception as exc:
            logger.exception("local task %s (%s) failed", task.id, task.label)
            task.error = JobError(code="internal_error", message=f"The local studio failed: {type(exc).__name__}: "
                                  f"{exc}. This is a bug; the server log has the details.")
            task.state, task.message = "failed", task.error.message
        else:
            task.result, task.progress, task.state = result, 1.0, "succeeded"
            task.message = "Done."
