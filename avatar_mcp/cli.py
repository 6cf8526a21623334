"""Command line: `avatar-mcp` serves MCP over stdio; `serve --http`, `doctor`, `demo`, `migrate`, `worker` and
`heygen-webhook` do the rest.

On stdio, stdout belongs to the protocol: everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from avatar_mcp import __version__

logger = logging.getLogger("avatar_mcp")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="avatar-mcp", description="An MCP server for talking-avatar videos. "
                                     "With no command it serves MCP over stdio, as chat clients expect.")
    parser.add_argument("--version", action="version", version=f"avatar-mcp {__version__}")
    sub = parser.add_subparsers(dest="command")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        # The same words in `avatar-mcp --help` and in `avatar-mcp <command> --help`.
        return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")

    serve = command("serve", "serve MCP (stdio by default)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    doctor = command("doctor", "show configured providers, missing optional dependencies and data paths")
    doctor.add_argument("--online", action="store_true", help="also ask HeyGen for the remaining credits")
    command("heygen-webhook", "register <AVATAR_MCP_PUBLIC_URL>/webhooks/heygen with HeyGen and print the signing "
            "secret (HEYGEN_WEBHOOK_SECRET)")
    command("worker", "run job steps from the work queue (AVATAR_MCP_WORK=workers with AVATAR_MCP_DATABASE_URL): "
            "submissions, polls, downloads and local renders")
    migrate = command("migrate", "apply the job store's schema changes (PostgreSQL or the SQLite file)")
    migrate.add_argument("--check", action="store_true", help="only list what is missing; exit 1 if anything is")
    demo = command("demo", "make a talking video offline, driving the server as an assistant would")
    demo.add_argument("--out", default=None, help="copy the finished MP4 here as well")
    demo.add_argument("--provider", default="local", help="provider to use (default: local)")
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from avatar_mcp.config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"avatar-mcp: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    command = args.command or "serve"
    if command == "doctor":
        print(doctor_report(settings))
        if args.online and settings.heygen_api_key is None:
            print("\nCredits: --online asks HeyGen, and HEYGEN_API_KEY is not set: nothing was asked.")
        elif args.online:
            import anyio

            from avatar_mcp.providers.heygen.admin import credits_line

            print(anyio.run(credits_line, settings))
        return 0
    if command == "heygen-webhook":
        import anyio

        from avatar_mcp.providers.heygen.admin import register_webhook

        code, text = anyio.run(register_webhook, settings)
        print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code
    if command == "worker":
        import anyio

        from avatar_mcp.jobs.worker import run_worker

        if not settings.distributed:
            print("avatar-mcp: a worker needs AVATAR_MCP_DATABASE_URL and AVATAR_MCP_WORK=workers (see "
                  "docs/deployment.md).", file=sys.stderr)
            return 2
        anyio.run(run_worker, settings)
        return 0
    if command == "migrate":
        return migrate(settings, check=args.check)
    if command == "demo":
        from avatar_mcp.demo import run_demo

        return run_demo(settings, out=args.out, provider=args.provider)
    return serve(settings, http=getattr(args, "http", False), host=getattr(args, "host", "127.0.0.1"),
                 port=getattr(args, "port", 8000))


def serve(settings: object, *, http: bool, host: str, port: int) -> int:
    from avatar_mcp.config import Settings
    from avatar_mcp.server import build_server

    assert isinstance(settings, Settings)
    server = build_server(settings)
    if not http:
        server.run("stdio")
        return 0
    import uvicorn

    from avatar_mcp.transport import InsecureBind, http_app

    try:
        app = http_app(server, settings, host, port)
    except InsecureBind as exc:
        print(f"avatar-mcp: {exc}", file=sys.stderr)
        return 2
    logger.info("serving MCP over streamable HTTP at http://%s:%s/mcp", host, port)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), lifespan="on")
    return 0


def migrate(settings: object, *, check: bool) -> int:
    """Apply (or with `check`, list) the schema steps the configured job store lacks."""
    from avatar_mcp.config import Settings
    from avatar_mcp.jobs import migrate as steps

    assert isinstance(settings, Settings)
    if settings.database_url is None:
        if check and not settings.db_path.exists():
            # A check writes nothing: connecting would leave an empty file (and folders) behind.
            print(f"no job store at {settings.db_path} yet: the server makes it when it first starts (or run "
                  f"`avatar-mcp migrate`)")
            return 1
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if check:
            import sqlite3

            with sqlite3.connect(settings.db_path) as conn:
                current = steps.sqlite_current(conn)
            print("up to date" if current else f"{settings.db_path} needs migrating")
            return 0 if current else 1
        applied = steps.migrate_sqlite(settings.db_path)
    else:
        url = settings.database_url.get_secret_value()
        if check:
            pending = steps.pending_postgres(url, settings.database_schema)
            print("up to date" if not pending else "missing: " + ", ".join(pending))
            return 1 if pending else 0
        applied = steps.migrate_postgres(url, settings.database_schema)
    print("applied: " + ", ".join(applied) if applied else "up to date")
    return 0


def doctor_report(settings: object) -> str:
    """What is configured and what is missing; never a secret. Imports the studio's modules for real."""
    from avatar_mcp.config import Settings
    from avatar_mcp.providers import specs
    from avatar_mcp.providers.local.requirements import check_imports, install_command

    assert isinstance(settings, Settings)
    studio = check_imports()
    broken = [(req, why) for req, why in studio if why is not None and req.required]
    lines = [f"avatar-mcp {__version__}", "", "Providers:"]
    for spec in specs():
        if (spec.unavailable is not None and spec.unavailable() is not None) or (not spec.env_vars and broken):
            state = "NOT AVAILABLE: the 'local' extra is missing or broken (see below)"
        elif not spec.env_vars:
            state = "available (offline)"
        elif spec.configured(settings):
            state = "configured"
        else:
            state = "not configured: set " + " and ".join(spec.env_vars)
        lines.append(f"  {spec.name:<9} {state}")
    fallback = "(first configured vendor, else local)"
    chosen = settings.default_provider
    if chosen and chosen not in {spec.name for spec in specs()}:
        # The server ignores an unknown name; saying it is the default would be false.
        fallback = f"{fallback}; AVATAR_MCP_DEFAULT_PROVIDER={chosen!r} is no provider and is ignored"
        chosen = None
    lines.append(f"  default: {chosen or fallback}")
    if settings.heygen_api_key is not None:
        lines.append(f"  HeyGen API version: {settings.heygen_api_version}")
    lines += ["", "Local studio dependencies (imported now):"]
    for req, why in studio:
        state = "ok     " if why is None else ("MISSING" if req.required else "absent ")
        lines.append(f"  {state} {req.package}" + (f": {why}" if why else ""))
    lines += ["", "Data:", f"  data dir:    {settings.data_dir}", f"  job store:   {_store_line(settings)}",
              f"  work:        {'queued for avatar-mcp worker processes' if settings.distributed else 'done here'}",
              f"  media dir:   {settings.media_dir}",
              "  media roots: " + ", ".join(str(p) for p in settings.effective_media_roots())]
    lines += ["", "HTTP transport:", f"  bearer tokens: {_tokens_line(settings)}",
              f"  public URL for webhooks: {settings.public_url or 'not set (jobs are polled)'}"]
    if settings.heygen_api_key is not None and settings.public_url:
        lines.append(f"  HeyGen webhook endpoint to register: {settings.public_url.rstrip('/')}/webhooks/heygen "
                     f"(run `avatar-mcp heygen-webhook`)")
    if broken:
        lines += ["", f"To render locally, install the 'local' extra:  {install_command()}"]
    return "\n".join(lines)


def _tokens_line(settings: object) -> str:
    """The principals the HTTP transport accepts tokens for (AVATAR_MCP_HTTP_TOKENS and AVATAR_MCP_HTTP_TOKEN, read
    as the transport reads them), never a token."""
    from avatar_mcp.config import Settings

    assert isinstance(settings, Settings)
    try:
        principals = sorted(set(settings.token_principals().values()))
    except ValueError as exc:
        return f"INVALID: {exc}"
    if not principals:
        return "none (only loopback binds allowed)"
    return f"{len(principals)} principal{'s' if len(principals) > 1 else ''} ({', '.join(principals)})"


def _store_line(settings: object) -> str:
    """Where the jobs are, without the database password."""
    from urllib.parse import urlsplit

    from avatar_mcp.config import Settings

    assert isinstance(settings, Settings)
    if settings.database_url is None:
        return str(settings.db_path)
    parts = urlsplit(settings.database_url.get_secret_value())
    where = f"{parts.hostname or 'local socket'}:{parts.port or 5432}{parts.path}"
    return f"PostgreSQL at {where}" + (f", schema {settings.database_schema}" if settings.database_schema else "")
