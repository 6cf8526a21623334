"""The avatar studio view: an MCP App (the `io.modelcontextprotocol/ui` extension) bound to the job tools.

Hosts that render MCP Apps show `ui://avatar-mcp/studio.html` next to the result of every tool named in
view_tools(): the job's progress live, a photo generation's candidates to pick from, the finished video with its
captions, or the missing fields of a request as a form. The page talks to this server only through the host
(tools/call, resources/read; media arrives through the `avatar://media/...` resource), so its declared CSP
allows no network at all.

Nothing changes for other clients: they ignore `_meta.ui`, and every tool answers them exactly as before.
The page is built from web/ (the official @modelcontextprotocol/ext-apps library bundled in, no CDN) and
committed at avatar_mcp/ui/studio.html, so users need no Node; it is read from disk only when a host asks.

The extension is the SDK's contract (`mcp.server.apps`) without importing that module: building its pydantic
models costs ~4 ms, paid by every chat's start-up. tests/test_apps.py pins these constants to the SDK's and
checks that the SDK's `Apps` accepts this resource as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp.server.extension import Extension, ResourceBinding
from mcp.server.mcpserver.resources import FileResource

EXTENSION_ID = "io.modelcontextprotocol/ui"
"""mcp.server.apps.EXTENSION_ID"""
APP_MIME_TYPE = "text/html;profile=mcp-app"
"""mcp.server.apps.APP_MIME_TYPE"""

STUDIO_URI = "ui://avatar-mcp/studio.html"
STUDIO_HTML = Path(__file__).resolve().parent / "ui" / "studio.html"

JOB_VIEW_TOOLS = frozenset({"check_job", "download_result"})
"""The job tools whose results the studio shows, besides every create tool (operations.py's table)."""


def view_tools() -> frozenset[str]:
    """The tools whose results the studio shows: the ones answering with one job handle. (The table is read here,
    when tools are built, not at import: this module is on the start-up path.)"""
    from avatar_mcp.operations import NAMES

    return NAMES | JOB_VIEW_TOOLS


STUDIO_UI_META: dict[str, Any] = {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}
"""No origin at all: media comes as data through the host, the library is inlined."""


def tool_meta(name: str) -> dict[str, Any] | None:
    """The `_meta` a tool carries: the studio's address for the job tools, nothing for the others."""
    return {"ui": {"resourceUri": STUDIO_URI}} if name in view_tools() else None


def studio_resource(html: Path = STUDIO_HTML) -> FileResource:
    """The studio page as a `ui://` resource, read from disk at each resources/read."""
    return FileResource(uri=STUDIO_URI, name="studio", title="Avatar studio", path=html, mime_type=APP_MIME_TYPE,
                        encoding="utf-8", meta={"ui": STUDIO_UI_META},
                        description="The view of a job: progress, photo candidates, the finished video, missing "
                                    "fields.")


class StudioApp(Extension):
    """Advertises MCP Apps support and serves the studio page."""

    identifier = EXTENSION_ID

    def __init__(self, html: Path = STUDIO_HTML) -> None:
        self._resource = studio_resource(html)

    def resources(self) -> Sequence[ResourceBinding]:
        return [ResourceBinding(resource=self._resource)]
