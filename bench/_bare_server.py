"""The baseline for bench/startup.py: a bare MCPServer with one tool."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


@server.tool()
async def ping(text: str) -> str:
    """Echo."""
    return text


if __name__ == "__main__":
    server.run("stdio")
