"""The ffmpeg binary shipped by imageio-ffmpeg: running it, reading `ffmpeg -i`, streaming raw frames.

imageio-ffmpeg ships no ffprobe, so media are probed by parsing the banner `ffmpeg -i` prints on stderr.
"""

from __future__ import annotations

import contextlib
import io
import queue
import re
import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from avatar_mcp.errors import MediaRejected, RenderError

PROBE_TIMEOUT_S = 30.0
DECODE_TIMEOUT_S = 600.0
STDERR_TAIL_CHARS = 1500

_IMAGE_DEMUXERS = ("image2", "_pipe", "apng", "gif", "webp")
_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_INPUT = re.compile(r"Input #0, ([^ ]+), from")
_VIDEO = re.compile(r"Stream #\d+:\d+.*?: Video: (.*)")
_SIZE = re.compile(r"[ ,](\d{2,5})x(\d{2,5})[ ,\[]")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def stderr_tail(data: bytes | str, limit: int = STDERR_TAIL_CHARS) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text.strip()[-limit:]


@dataclass
class VideoInfo:
    """What `ffmpeg -i` says about a video file (size after display rotation)."""

    duration: float
    width: int
    height: int
    fps: float
    has_audio: bool


def probe_video(path: Path) -> VideoInfo:
    """Read duration, size, frame rate and audio presence of a video; MediaRejected if it is not one."""
    banner = _banner(path)
    fmt = _INPUT.search(banner)
    video = _VIDEO.search(banner)
    if fmt is None or video is None or "attached pic" in video.group(1):
        raise MediaRejected(f"{path.name} is not a video file ffmpeg can read.", source=str(path))
    if any(name in fmt.group(1) for name in _IMAGE_DEMUXERS):
        raise MediaRejected(f"{path.name} is a still image, not a video.", source=str(path))
    size = _SIZE.search(video.group(1))
    duration = _DURATION.search(banner)
    if size is None or duration is None:
        raise MediaRejected(f"{path.name}: ffmpeg cannot tell the size or duration of this video.",
                            source=str(path))
    hours, minutes, seconds = duration.groups()
    seconds_total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if seconds_total <= 0.0:
        raise MediaRejected(f"{path.name} has no duration: it is empty or a still image.", source=str(path))
    width, height = int(size.group(1)), int(size.group(2))
    rotation = _ROTATION.search(banner)
    if rotation is not None and round(abs(float(rotation.group(1)))) % 180 == 90:
        width, height = height, width
    fps_match = _FPS.search(video.group(1))
    fps = 25.0
    if fps_match is not None:
        fps = float(fps_match.group(1)) * (1000.0 if fps_match.group(2) else 1.0)
    if not 1.0 <= fps <= 240.0:
        fps = 25.0
    has_audio = re.search(r"Stream #\d+:\d+.*?: Audio:", banner) is not None
    return VideoInfo(duration=seconds_total, width=width, height=height, fps=fps, has_audio=has_audio)


def _banner(path: Path) -> str:
    if not path.is_file():
        raise MediaRejected(f"{path} does not exist or is not a file.", source=str(path))
    try:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                              capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaRejected(f"{path.name}: ffmpeg took too long to read it.", source=str(path)) from exc
    return proc.stderr.decode("utf-8", "replace")


class FrameReader:
    """Raw BGR frames from an ffmpeg process, read ahead on a thread so decoding overlaps rendering.

    `args` are ffmpeg arguments up to (not including) the output; the reader adds `-f rawvideo -pix_fmt bgr24 -`.
    `read()` returns the next frame, or None at the end of the stream.
    """

    def __init__(self, args: list[str], width: int, height: int, *, ahead: int = 6) -> None:
        self.width, self.height = width, height
        self._frame_bytes = width * height * 3
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args,
               "-f", "rawvideo", "-pix_fmt", "bgr24", "-"]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=ahead)
        self._stderr = b""
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._pump, name="ffmpeg-reader", daemon=True)
        self._drain = threading.Thread(target=self._drain_stderr, name="ffmpeg-stderr", daemon=True)
        self._reader.start()
        self._drain.start()
        self._done = False

    def _pump(self) -> None:
        stdout = self._proc.stdout
        assert isinstance(stdout, io.BufferedReader)
        try:
            while not self._closed.is_set():
                buf = bytearray(self._frame_bytes)
                view = memoryview(buf)
                got = 0
                while got < self._frame_bytes:
                    n = stdout.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got < self._frame_bytes:
                    break
                frame = np.frombuffer(buf, np.uint8).reshape(self.height, self.width, 3)
                while not self._closed.is_set():
                    try:
                        self._queue.put(frame, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        finally:
            # The end marker: never block on a consumer that has gone away (close() drains the queue).
            while not self._closed.is_set():
                try:
                    self._queue.put(None, timeout=0.2)
                    break
                except queue.Full:
                    continue

    def _drain_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        self._stderr = stderr.read()

    def read(self) -> np.ndarray | None:
        """The next frame (a fresh writable array), or None once the stream has ended."""
        if self._done:
            return None
        frame = self._queue.get()
        if frame is None:
            self._done = True
            rc = self._proc.wait()
            self._drain.join(timeout=5.0)
            if rc != 0 and not self._closed.is_set():
                raise RenderError(f"Decoding failed (ffmpeg exit {rc}): {stderr_tail(self._stderr)}")
        return frame

    def close(self) -> None:
        """Stop ffmpeg and the reader thread."""
        self._closed.set()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        self._reader.join(timeout=5.0)
        self._drain.join(timeout=5.0)
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
