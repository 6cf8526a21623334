"""A cluster's processes for the end-to-end tests and bench/scale.py, with the emulated vendors of shared_server:

    python -m tests.jobs.cluster serve <port>    an HTTP replica on 127.0.0.1:<port>
    python -m tests.jobs.cluster worker          a worker

Settings come from the environment (AVATAR_MCP_DATABASE_URL, AVATAR_MCP_WORK=workers, ...), as in production.
"""

from __future__ import annotations

import sys

from avatar_mcp.config import Settings
from tests.jobs.shared_server import entries


def serve(port: int) -> None:
    import uvicorn

    from avatar_mcp.server import build_server
    from avatar_mcp.transport import http_app

    settings = Settings()
    app = http_app(build_server(settings, provider_factory=entries), settings, "127.0.0.1", port)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)


def work() -> None:
    import anyio

    from avatar_mcp.jobs.worker import run_worker

    anyio.run(lambda: run_worker(Settings(), provider_factory=entries))


if __name__ == "__main__":
    from avatar_mcp.cli import configure_logging

    configure_logging(Settings().log_level)
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        work()
