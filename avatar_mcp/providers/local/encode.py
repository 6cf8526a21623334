"""Encoding: raw frames piped into ffmpeg on a writer thread, so Python draws while x264 encodes.

Frames go in as planar YUV 4:2:0 (converted by OpenCV, BT.601 limited range like ffmpeg's own default), which
halves the bytes through the pipe and spares ffmpeg a colour conversion; the stream is tagged accordingly.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from avatar_mcp.errors import RenderError
from avatar_mcp.providers.local._ffmpeg import ffmpeg_exe, stderr_tail

OutputFormat = Literal["mp4", "webm", "mov"]
FINISH_TIMEOUT_S = 600.0
QUEUE_FRAMES = 8


@dataclass(frozen=True)
class EncodeSettings:
    """x264 preset, quality and extra options; VP9 (webm) uses its realtime mode with the crf shifted.

    The default is superfast with macroblock-tree rate control switched back on: a mostly still picture
    (backdrop, card) then costs almost nothing, for ~40% less encoder CPU than veryfast at a similar size.
    """

    preset: str = "superfast"
    crf: int = 23
    x264_params: str = "mbtree=1:rc-lookahead=8"
    threads: int = 0


def _audio_args(audio: list[Path], first_input: int) -> tuple[list[str], list[str]]:
    """Inputs and mapping for per-scene WAV files played one after another."""
    inputs: list[str] = []
    for path in audio:
        inputs += ["-i", str(path)]
    if len(audio) == 1:
        return inputs, ["-map", f"{first_input}:a"]
    labels = "".join(f"[{first_input + i}:a]" for i in range(len(audio)))
    graph = f"{labels}concat=n={len(audio)}:v=0:a=1[aout]"
    return inputs, ["-filter_complex", graph, "-map", "[aout]"]


def video_command(out_path: Path, width: int, height: int, fps: float, audio: list[Path],
                  output_format: OutputFormat, settings: EncodeSettings) -> list[str]:
    """The ffmpeg command that reads I420 frames on stdin and muxes them with the scene audio."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", f"{fps}", "-i", "-"]
    audio_inputs, audio_map = _audio_args(audio, 1)
    cmd += [*audio_inputs, "-map", "0:v", *audio_map]
    if output_format == "webm":
        cmd += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
                "-b:v", "0", "-crf", str(min(63, settings.crf + 10)), "-c:a", "libopus", "-b:a", "96k"]
    else:
        cmd += ["-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf)]
        if settings.x264_params:
            cmd += ["-x264-params", settings.x264_params]
        cmd += ["-c:a", "aac", "-b:a", "128k"]
        if output_format == "mp4":
            cmd += ["-movflags", "+faststart"]
    cmd += ["-threads", str(settings.threads), "-pix_fmt", "yuv420p", "-colorspace", "smpte170m",
            "-color_range", "tv", "-ar", "48000", "-f", output_format, str(out_path)]
    return cmd


class FrameSink:
    """Feeds frames to an ffmpeg process on a thread. `write` hands the array over: do not modify it after."""

    def __init__(self, cmd: list[str], *, what: str = "Encoding") -> None:
        self._what = what
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stderr = b""
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._pump, name="ffmpeg-writer", daemon=True)
        self._drain = threading.Thread(target=self._read_stderr, name="ffmpeg-stderr", daemon=True)
        self._writer.start()
        self._drain.start()

    def _pump(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while True:
                frame = self._queue.get()
                if frame is None:
                    break
                stdin.write(frame.data)
        except (BrokenPipeError, OSError, ValueError) as exc:
            self._error = exc
        finally:
            with contextlib.suppress(OSError, ValueError):
                stdin.close()

    def _read_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        self._stderr = stderr.read()

    def _failure(self) -> RenderError:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=10.0)
        self._drain.join(timeout=5.0)
        return RenderError(f"{self._what} failed (ffmpeg exit {self._proc.returncode}): "
                           f"{stderr_tail(self._stderr) or self._error}")

    def write(self, frame: np.ndarray) -> None:
        while True:
            if self._error is not None or not self._writer.is_alive():
                raise self._failure()
            try:
                self._queue.put(frame, timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Flush, wait for ffmpeg and check it succeeded (RenderError with ffmpeg's stderr tail if not)."""
        while self._writer.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._writer.join()
        try:
            rc = self._proc.wait(timeout=FINISH_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            self.abort()
            raise RenderError(f"{self._what} did not finish within {FINISH_TIMEOUT_S:.0f} s.") from exc
        self._drain.join(timeout=5.0)
        if rc != 0 or self._error is not None:
            raise self._failure()

    def abort(self) -> None:
        """Kill ffmpeg (used on cancel and on errors)."""
        if self._proc.poll() is None:
            self._proc.kill()
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._proc.wait()
        self._writer.join(timeout=5.0)
        self._drain.join(timeout=5.0)


Rect = tuple[int, int, int, int]


class YuvFrame:
    """The I420 picture sent to ffmpeg, updated in place: whole, or only the rectangles that changed."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.buffer = np.empty(width * height * 3 // 2, np.uint8)
        luma = width * height
        self.y = self.buffer[:luma].reshape(height, width)
        self.u = self.buffer[luma:luma * 5 // 4].reshape(height // 2, width // 2)
        self.v = self.buffer[luma * 5 // 4:].reshape(height // 2, width // 2)

    def update(self, frame: np.ndarray, rect: Rect | None = None) -> None:
        """Convert `frame` (BGR) into the buffer: all of it, or just `rect` (x0, y0, x1, y1; widened to even)."""
        if rect is None:
            self.buffer[:] = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).reshape(-1)
            return
        x0, y0 = max(0, rect[0]) & ~1, max(0, rect[1]) & ~1
        x1, y1 = min(self.width, rect[2] + (rect[2] & 1)), min(self.height, rect[3] + (rect[3] & 1))
        if x1 <= x0 or y1 <= y0:
            return
        h, w = y1 - y0, x1 - x0
        flat = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2YUV_I420).reshape(-1)
        self.y[y0:y1, x0:x1] = flat[:h * w].reshape(h, w)
        self.u[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = flat[h * w:h * w * 5 // 4].reshape(h // 2, w // 2)
        self.v[y0 // 2:y1 // 2, x0 // 2:x1 // 2] = flat[h * w * 5 // 4:].reshape(h // 2, w // 2)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """16-bit mono PCM WAV."""
    import wave

    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(int(sample_rate))
        wav.writeframes(pcm.tobytes())
