"""`avatar-mcp demo`: make a talking video offline by driving the real server over stdio, as an assistant would.

It starts `python -m avatar_mcp` as a subprocess, connects the SDK's Client to it, and walks the workflow:
the providers, a photo avatar from a bundled public-domain portrait (the checklist fills the missing name with
its default), a two-scene video with captions (voice and orientation defaulted), and check_job with a progress
bar until the MP4 is ready.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from avatar_mcp.config import Settings

PORTRAIT = Path(__file__).resolve().parent / "assets" / "portraits" / "grace_hopper.jpg"
SCENES = [
    "Hello! I am a talking portrait, rendered on your own computer, with no cloud service and no API key.",
    "An assistant asked for this video through the Model Context Protocol. Captions and subtitles come with it.",
]
BAR_WIDTH = 30


def _print(text: str = "") -> None:
    print(text, flush=True)


def _bar(progress: float, message: str | None) -> None:
    filled = int(BAR_WIDTH * progress / 100)
    sys.stdout.write(f"\r  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {progress:5.1f}%  {(message or '')[:48]:<48}")
    sys.stdout.flush()


def _check(result: Any, step: str) -> dict[str, Any]:
    if result.is_error:
        text = " ".join(getattr(c, "text", "") for c in result.content)
        raise SystemExit(f"demo: {step} failed: {text}")
    data: dict[str, Any] = result.structured_content
    return data


async def _run(settings: Settings, provider: str, out: str | None) -> Path:
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    photo_dir = settings.media_dir / "demo"
    photo_dir.mkdir(parents=True, exist_ok=True)
    photo = photo_dir / PORTRAIT.name
    shutil.copyfile(PORTRAIT, photo)
    env = {**os.environ, "AVATAR_MCP_DATA_DIR": str(settings.data_dir), "AVATAR_MCP_LOG_LEVEL": "WARNING"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "avatar_mcp"], env=env)
    started = time.monotonic()
    async with Client(params, mode="legacy") as client:
        tools = await client.list_tools()
        _print(f"Connected to avatar-mcp over stdio: {len(tools.tools)} tools.")
        providers = _check(await client.call_tool("list_providers", {}), "list_providers")
        ready = [p["name"] for p in providers["providers"] if p["configured"]]
        chosen = next((p for p in providers["providers"] if p["name"] == provider), None)
        if chosen is None or not chosen["configured"]:
            why = "unknown" if chosen is None else (chosen.get("notes") or "set " + " and ".join(
                chosen["missing_settings"]))
            raise SystemExit(f"demo: the provider {provider!r} is not ready ({why}). Ready here: {', '.join(ready)}.")
        _print(f"Providers ready: {', '.join(ready)} (using {provider}).")

        _print(f"\n1. create_photo_avatar from the public-domain portrait {photo.name} (no name given: the checklist "
               f"fills its default)")
        avatar = _check(await client.call_tool("create_photo_avatar", {
            "image": str(photo), "provider": provider, "on_missing": "default", "wait_seconds": 60}),
            "create_photo_avatar")
        if avatar["status"] != "succeeded":
            raise SystemExit(f"demo: the photo avatar did not finish: {avatar.get('message')}")
        avatar_id = avatar["result"]["avatar_id"]
        _print(f"   defaults applied: {avatar.get('defaults_applied')}")
        _print(f"   avatar ready: {avatar_id}")

        _print("\n2. create_video: two scenes with captions (voice and orientation left to the checklist's defaults)")
        scenes = [{"avatar_id": avatar_id, "script": SCENES[0]},
                  {"avatar_id": avatar_id, "script": SCENES[1], "background": {"type": "color", "value": "#2d3a4a"}}]
        video = _check(await client.call_tool("create_video", {
            "scenes": scenes, "caption": True, "provider": provider, "on_missing": "default",
            "title": "avatar-mcp demo"}), "create_video")
        _print(f"   defaults applied: {video.get('defaults_applied')}")
        _print(f"   job {video['job_id']} is {video['status']}; estimated cost: "
               f"{(video.get('estimated_cost') or {}).get('amount', 0):g} credits")

        _print("\n3. check_job with wait_seconds, following the progress notifications")

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            _bar(progress, message)

        final: dict[str, Any] = video
        while final["status"] in ("submitting", "queued", "processing", "finishing"):
            final = _check(await client.call_tool("check_job", {"job_id": video["job_id"], "wait_seconds": 60},
                                                   progress_callback=on_progress), "check_job")
        _bar(100.0 if final["status"] == "succeeded" else 0.0, final["status"])
        _print()
    if final["status"] != "succeeded":
        error = final.get("error") or {}
        raise SystemExit(f"demo: the video job ended {final['status']}: {error.get('message') or final.get('message')}")
    result = final["result"]
    video_path = Path(result["video_path"])
    _print(f"\nDone in {time.monotonic() - started:.0f} s: {result.get('duration_seconds')} s of video.")
    _print(verify(video_path))
    _print(f"Captions: {result.get('captions_path')}")
    if out:
        _print(f"Copied to {_copy_out(video_path, out)}")
    _print(f"Video: {video_path}")
    return video_path


def verify(video: Path) -> str:
    """What `ffmpeg -i` (the binary imageio-ffmpeg ships) says about the file: streams and duration."""
    import re
    import subprocess

    try:
        import imageio_ffmpeg
    except ImportError:
        return "Not verified: imageio-ffmpeg is not installed."
    text = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(video)], capture_output=True,
                          text=True, check=False).stderr
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text)
    video_codec = re.search(r"Stream #\S+.*?Video: (\w+)", text)
    audio_codec = re.search(r"Stream #\S+.*?Audio: (\w+)", text)
    if not (duration and video_codec and audio_codec):
        raise SystemExit(f"demo: {video} is not a playable video with sound:\n{text[-800:]}")
    h, m, s = duration.groups()
    return (f"Verified with ffmpeg -i: {video_codec.group(1)} video + {audio_codec.group(1)} audio, "
            f"{int(h) * 3600 + int(m) * 60 + float(s):.2f} s.")


def _copy_out(video: Path, out: str) -> Path:
    target = Path(out).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(video, target)
    return target


def run_demo(settings: Settings, *, out: str | None = None, provider: str = "local") -> int:
    """Run the demo; a failure is one line on stderr saying what went wrong (never a traceback)."""
    try:
        anyio.run(_run, settings, provider, out)
    except (SystemExit, Exception, BaseExceptionGroup) as exc:
        print(failure_line(exc), file=sys.stderr)
        return 1
    return 0


def failure_line(exc: BaseException) -> str:
    """The cause of a failure in one line: the first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        # anyio runs on asyncio here: its cancellations are asyncio's (outside the loop anyio cannot be asked).
        inner = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        exc = (inner or list(exc.exceptions))[0]
    if isinstance(exc, SystemExit):
        text = str(exc.code) if exc.code is not None else "stopped"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if exc.__cause__ is not None and str(exc.__cause__) not in text:
            text += f" ({type(exc.__cause__).__name__}: {exc.__cause__})"
    line = " ".join(text.split())
    return line if line.startswith("demo:") else f"demo: failed: {line}"
