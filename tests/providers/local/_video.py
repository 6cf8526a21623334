"""Reading rendered files back for assertions: `ffmpeg -i` facts and decoded raw frames."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class Streams:
    duration: float
    video: str | None
    audio: str | None
    width: int
    height: int
    fps: float


def streams(path: Path) -> Streams:
    text = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    hours, minutes, seconds = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text).groups()
    video = re.search(r"Stream #.*?Video: (\w+)", text)
    audio = re.search(r"Stream #.*?Audio: (\w+)", text)
    size = re.search(r"Video: .*?(\d{2,5})x(\d{2,5})", text)
    fps = re.search(r"([\d.]+) fps", text)
    return Streams(
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        video=video.group(1) if video else None,
        audio=audio.group(1) if audio else None,
        width=int(size.group(1)) if size else 0,
        height=int(size.group(2)) if size else 0,
        fps=float(fps.group(1)) if fps else 0.0,
    )


def frames(path: Path, width: int, height: int) -> np.ndarray:
    """Every frame as BGR, shape (n, height, width, 3)."""
    raw = subprocess.run([FFMPEG, "-loglevel", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def audio(path: Path, rate: int = 16000) -> np.ndarray:
    raw = subprocess.run([FFMPEG, "-loglevel", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def make_video(path: Path, filter_graph: str, seconds: float, *, size: str = "320x240", fps: int = 25,
               extra_inputs: list[str] | None = None) -> Path:
    """A silent H.264 test video from an ffmpeg lavfi source or filter graph."""
    cmd = [FFMPEG, "-loglevel", "error", "-y", *(extra_inputs or [])]
    if extra_inputs:
        cmd += ["-filter_complex", filter_graph]
    else:
        cmd += ["-f", "lavfi", "-i", filter_graph]
    cmd += ["-t", str(seconds), "-r", str(fps), "-s", size, "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)]
    subprocess.run(cmd, check=True)
    return path


def region_change(clip: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Mean absolute change of a region from each frame to the next (length n - 1)."""
    x0, y0, x1, y1 = box
    region = clip[:, y0:y1, x0:x1].astype(np.float32)
    return np.abs(np.diff(region, axis=0)).mean(axis=(1, 2, 3))
