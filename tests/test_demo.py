"""The README's first command: `avatar-mcp demo` makes a playable MP4 with sound and an SRT, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from avatar_mcp.demo import failure_line
from tests.conftest import SETTINGS_ENV
from tests.providers.local._video import streams

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.render
def test_the_demo_renders_a_captioned_talking_video_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env["AVATAR_MCP_DATA_DIR"] = str(tmp_path / "data")
    out = tmp_path / "demo.mp4"
    done = subprocess.run([sys.executable, "-m", "avatar_mcp", "demo", "--out", str(out)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verified with ffmpeg -i: h264 video + aac audio" in done.stdout
    info = streams(out)
    assert info.video == "h264" and info.audio == "aac" and (info.width, info.height) == (1280, 720)
    video_line = next(line for line in done.stdout.splitlines() if line.startswith("Video: "))
    video = Path(video_line.removeprefix("Video: "))
    srt = video.with_suffix(".srt").read_text()
    assert "talking portrait" in srt and "Model Context Protocol" in srt
    assert "defaults applied: {'name': 'My avatar'}" in done.stdout


def test_a_failed_demo_says_why_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env["AVATAR_MCP_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "avatar_mcp", "demo", "--provider", "heygen"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "demo: the provider 'heygen' is not ready (set HEYGEN_API_KEY). Ready here: local."]


def test_the_failure_line_is_the_innermost_cause_of_nested_exception_groups() -> None:
    nested = BaseExceptionGroup("outer", [BaseExceptionGroup("inner", [
        ConnectionError("the server closed the pipe")])])
    assert failure_line(nested) == "demo: failed: ConnectionError: the server closed the pipe"
    assert failure_line(SystemExit("demo: check_job failed:\n  multi\n line")) == "demo: check_job failed: multi line"
