"""avatar-mcp: an MCP server that lets AI assistants make talking-avatar videos."""

__version__ = "0.1.0"
