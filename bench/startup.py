"""Start-up cost: time from process start to the answer of tools/list over stdio.

Compares `python -m avatar_mcp` with a bare MCPServer that has one tool (bench/_bare_server.py), each the median
of --runs cold starts. The goal is ours <= 1.15x the bare server: every chat pays this on every start.

    python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def time_to_tools_list(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in MESSAGES).encode())
    proc.stdin.flush()
    tools = -1
    for line in proc.stdout:
        message = json.loads(line)
        if message.get("id") == 2:
            tools = len(message["result"]["tools"])
            break
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.terminate()
    proc.wait(timeout=10)
    return elapsed, tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "AVATAR_MCP_DATA_DIR": data, "AVATAR_MCP_LOG_LEVEL": "WARNING"}
        commands = {"bare MCPServer (1 tool)": [sys.executable, str(ROOT / "bench" / "_bare_server.py")],
                    "avatar-mcp": [sys.executable, "-m", "avatar_mcp"]}
        for command in commands.values():  # warm the OS file cache once, like any second start of the day
            time_to_tools_list(command, env)
        results: dict[str, list[float]] = {name: [] for name in commands}
        counts: dict[str, int] = {}
        for _ in range(args.runs):
            for name, command in commands.items():  # interleaved, so drift hits both alike
                elapsed, counts[name] = time_to_tools_list(command, env)
                results[name].append(elapsed)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    medians = {name: statistics.median(times) for name, times in results.items()}
    for name, times in results.items():
        print(f"{name:<26} median {medians[name] * 1000:7.1f} ms  (min {min(times) * 1000:.1f}, "
              f"max {max(times) * 1000:.1f}; {counts[name]} tools)")
    ratio = medians["avatar-mcp"] / medians["bare MCPServer (1 tool)"]
    print(f"ratio avatar-mcp / bare: {ratio:.3f}  (goal <= 1.15: {'met' if ratio <= 1.15 else 'MISSED'})")


if __name__ == "__main__":
    main()
