"""The MCP tools, one module per capability; `all_tools()` builds them for the server."""

from __future__ import annotations

from mcp.server.mcpserver.tools import Tool


def all_tools() -> list[Tool]:
    from avatar_mcp.tools import avatars, catalog, jobs, videos
    from avatar_mcp.tools._common import build_tools

    return build_tools([*catalog.TOOLS, *avatars.TOOLS, *videos.TOOLS, *jobs.TOOLS])
