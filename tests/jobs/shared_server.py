"""The real server over stdio, as the multi-process and fault-point tests run it several times on one data dir.

    python -m tests.jobs.shared_server

Settings come from the environment as usual; HeyGen (when its key is set) gets the emulator's test timing and
Runware a short poll hint, so jobs at the emulators finish in seconds. `TEST_CRASH_AT=<step>[:<delay>]` makes the
process kill itself with SIGKILL when the job lifecycle reaches that step (jobs/lifecycle.py), after `delay`
seconds if given (to die in the middle of what the step starts, e.g. a download).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Sequence

from avatar_mcp.config import Settings
from avatar_mcp.jobs import lifecycle
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.heygen.spec import SPEC as HEYGEN
from avatar_mcp.providers.heygen.spec import TIMING as HEYGEN_TIMING
from avatar_mcp.providers.runware.spec import SPEC as RUNWARE
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.providers.timing import Timing

CRASH_ENV = "TEST_CRASH_AT"


def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
    found = []
    if settings.heygen_api_key is not None:
        from avatar_mcp.providers.heygen.provider import from_settings

        timing = dataclasses.replace(HEYGEN_TIMING.scaled(0.001), twin_seconds=0.5, training_seconds=0.5)
        provider = from_settings(settings, http, media, timing=timing)
        found.append(ProviderEntry(spec=HEYGEN, provider=provider))
    if settings.runware_api_key is not None:
        from avatar_mcp.providers.runware.provider import RunwareProvider

        runware = RunwareProvider.from_settings(settings, http, media, timing=Timing(poll_after=0.05))
        found.append(ProviderEntry(spec=RUNWARE, provider=runware))
    return found


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install_crash(spec: str) -> None:
    step, _, delay = spec.partition(":")

    def hook(reached: str, job_id: str) -> None:
        if reached != step:
            return
        print(f"crash point {step} reached by {job_id}: dying", file=sys.stderr, flush=True)
        if delay:
            threading.Timer(float(delay), die).start()
        else:
            die()

    lifecycle.install_crash_hook(hook)


if __name__ == "__main__":
    from avatar_mcp.cli import configure_logging
    from avatar_mcp.server import build_server

    settings = Settings()
    configure_logging(settings.log_level)
    if os.environ.get(CRASH_ENV):
        install_crash(os.environ[CRASH_ENV])
    build_server(settings, provider_factory=entries).run("stdio")
