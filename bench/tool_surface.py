"""What tools/list costs a chat: the size of the answer on the wire, per tool and in total.

    python bench/tool_surface.py [--json]

Measures the JSON-RPC result of tools/list exactly as the server sends it (compact JSON, nulls left out),
for a server with no vendor configured (the listing does not depend on configuration). Prints, per tool, the
characters of the whole tool entry and of its description, input schema and output schema, then the total
and a rough token count (characters / 4). The official HeyGen MCP server lists 6 tools in about 7,000.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = 35_000
HEYGEN_OFFICIAL = 7_000


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


async def measure() -> tuple[int, list[dict[str, object]]]:
    from mcp.client import Client
    from mcp_types import ListToolsResult

    from avatar_mcp.config import Settings
    from avatar_mcp.server import build_server

    with tempfile.TemporaryDirectory() as data:
        server = build_server(Settings(_env_file=None, data_dir=Path(data)))  # type: ignore[call-arg]
        async with Client(server, mode="legacy") as client:
            listed = await client.list_tools()
    wire = ListToolsResult(tools=listed.tools).model_dump(mode="json", by_alias=True, exclude_none=True)
    rows = []
    for tool in wire["tools"]:
        rows.append({"name": tool["name"], "total": _size(tool), "description": len(tool.get("description", "")),
                     "input": _size(tool.get("inputSchema", {})), "output": _size(tool.get("outputSchema", {}))})
    return _size(wire), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    total, rows = anyio.run(measure)
    if args.json:
        print(json.dumps({"total": total, "tools": rows}, indent=1))
        return
    print(f"{'tool':<26}{'entry':>7}{'descr.':>8}{'input':>7}{'output':>8}")
    for row in rows:
        print(f"{row['name']:<26}{row['total']:>7}{row['description']:>8}{row['input']:>7}{row['output']:>8}")
    print(f"\ntools/list result: {total:,} characters for {len(rows)} tools (~{total // 4:,} tokens); goal <= "
          f"{GOAL:,}; the official HeyGen MCP server: ~{HEYGEN_OFFICIAL:,} for 6 tools.")


if __name__ == "__main__":
    main()
