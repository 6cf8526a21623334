"""The fast path as an assistant drives it: a ~12 s captioned clip from a portrait, through the real MCP client.

    python bench/render_mcp.py [--runs 3] [--no-captions] [--profile out.prof]

Each run starts a NEW server process over stdio (cold: nothing loaded, nothing warm in memory; the data dir
is new too, so not even the prepared voice model or a remembered face is on disk, unless --keep-data; with
--new-photo every run's portrait differs by a few trailing bytes, so the face is searched every time), connects
the SDK's Client, calls create_photo_video(image, script, caption=true, provider=local, wait_seconds=120) and
waits for the finished MP4. Prints per run: server start (spawn -> initialized), the job (call -> succeeded),
the clip's length, real-time factors (clip seconds / job seconds, and / everything), and the CPU seconds the
server process and its ffmpeg used in all (a figure other work on the machine barely changes).

--profile runs the server under cProfile (python -m cProfile -o FILE) for one run. --quiet waits before each run
until the machine's CPUs have been at least 85% idle for 2 s (Linux /proc/stat; other work skews the figures).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PORTRAIT = ROOT / "avatar_mcp" / "assets" / "portraits" / "grace_hopper.jpg"
SCRIPT = ("Hello! This short clip was made on your own computer, from a single photo, in a few seconds. "
          "The captions are burned in, and a subtitle file comes with it, so you can share it anywhere you like, "
          "even without sound.")
GOAL = 3.0


async def one_run(data_dir: Path, captions: bool, profile: Path | None, salt: str) -> dict[str, float]:
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    media = data_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    photo = media / PORTRAIT.name
    shutil.copyfile(PORTRAIT, photo)
    if salt:
        with photo.open("ab") as fh:  # after the JPEG's end marker: the same picture, other bytes
            fh.write(salt.encode())
    env = {**os.environ, "AVATAR_MCP_DATA_DIR": str(data_dir), "AVATAR_MCP_LOG_LEVEL": "WARNING"}
    args = ["-m", "avatar_mcp"]
    if profile is not None:
        args = ["-m", "cProfile", "-o", str(profile), "-m", "avatar_mcp"]
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(ROOT))
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    async with Client(params, mode="legacy") as client:
        t1 = time.perf_counter()
        answer = await client.call_tool("create_photo_video", {
            "image": str(photo), "script": SCRIPT, "caption": captions, "provider": "local",
            "on_missing": "default", "wait_seconds": 120})
        handle: dict[str, Any] = answer.structured_content or {}
        while handle.get("status") in ("submitting", "queued", "processing"):
            handle = (await client.call_tool("check_job", {"job_id": handle["job_id"], "wait_seconds": 120})
                      ).structured_content or {}
        t2 = time.perf_counter()
    if handle.get("status") != "succeeded":
        raise SystemExit(f"render_mcp: the job ended {handle.get('status')}: {handle.get('message')}")
    duration = float(handle["result"]["duration_seconds"])
    return {"start": t1 - t0, "job": t2 - t1, "total": t2 - t0, "clip": duration, "cpu": _children_cpu() - cpu0}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _idle_share(seconds: float) -> float:
    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_until_quiet(limit: float = 900.0) -> float:
    """Wait (up to `limit` seconds) for 2 s in which the CPUs were at least 85% idle; returns that share."""
    deadline = time.monotonic() + limit
    share = _idle_share(2.0)
    while share < 0.85 and time.monotonic() < deadline:
        share = _idle_share(2.0)
    return share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-captions", action="store_true")
    parser.add_argument("--keep-data", action="store_true", help="reuse one data dir across runs (warm disk)")
    parser.add_argument("--new-photo", action="store_true", help="a portrait with other bytes each run")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the server of one run into FILE")
    parser.add_argument("--quiet", action="store_true", help="wait for idle CPUs before each run")
    args = parser.parse_args()
    print(f"cores={os.cpu_count()} load={os.getloadavg()[0]:.2f} python={sys.version.split()[0]}")
    scratch = Path(tempfile.mkdtemp(prefix="avatar-render-mcp-"))
    jobs = []
    try:
        for run in range(1, (1 if args.profile else args.runs) + 1):
            data = scratch / ("shared" if args.keep_data else f"run{run}")
            jobs.append(_run_once(args, run, data))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    best, worst = min(jobs), max(jobs)
    print(f"job: best {best:.2f}s, worst {worst:.2f}s; goal: >= {GOAL}x real time on the job")


def _run_once(args: argparse.Namespace, run: int, data: Path) -> float:
    idle = f", CPUs {wait_until_quiet():.0%} idle before" if args.quiet else ""
    salt = f"run-{run}-{time.time()}" if args.new_photo else ""
    figures = anyio.run(one_run, data, not args.no_captions, args.profile, salt)
    print(f"run {run} (new server process{'' if args.keep_data and run > 1 else ', new data dir'}): "
          f"start {figures['start']:.2f}s, job {figures['job']:.2f}s for a {figures['clip']:.2f}s clip: "
          f"{figures['clip'] / figures['job']:.2f}x real time ({figures['clip'] / figures['total']:.2f}x "
          f"counting the server start), {figures['cpu']:.1f} CPU s{idle}")
    return float(figures["job"])

if __name__ == "__main__":
    main()
