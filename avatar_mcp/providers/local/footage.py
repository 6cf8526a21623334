"""A digital twin's own footage: prepared once (one face, tracked landmarks, a muted copy), replayed at render.

Preparation samples frames to check there is exactly one face, then decodes the part it will use at 25 fps,
tracks the 68 landmarks frame to frame (re-anchored on the sampled detections), smooths them in time and
keeps a muted H.264 copy. Rendering plays that copy back and forth (ping-pong, so there is never a jump)
as the motion base, cropped to the card, and re-animates the mouth with the speech.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from avatar_mcp.errors import MediaRejected, RenderError
from avatar_mcp.providers.local._ffmpeg import FrameReader, ffmpeg_exe, probe_video
from avatar_mcp.providers.local.encode import FrameSink
from avatar_mcp.providers.local.face import detect_boxes, landmarks_in_box
from avatar_mcp.providers.local.layout import CardBox, Style, crop_transform, cut_pixels, face_crop

FOOTAGE_FPS = 25
WORK_MAX = (1280, 720)
SAMPLE_FPS = 2.0
SAMPLE_SIDE = 640
MIN_SECONDS = 0.5
DETECT_FACE_PX = 110
DETECT_EVERY = 2
"""Frames between face detections; the landmarks in between reuse the last box (then get smoothed in time)."""
LANDMARK_SMOOTH_FRAMES = 1.5
RAW_CACHE_BYTES = 192 * 1024 * 1024
"""Decoded card frames are kept raw up to this many bytes, JPEG-compressed beyond."""
_FORMAT_VERSION = 1
_VIDEO_NAME = "footage.mp4"
_LANDMARKS_NAME = "landmarks.npy"
_META_NAME = "footage.json"


@dataclass
class Footage:
    """Prepared footage: a muted H.264 copy of the part used, and 68 landmarks for each of its frames."""

    video_path: Path
    landmarks: np.ndarray
    """(frames, 68, 2) float32, in video_path pixel coordinates."""
    fps: float
    width: int
    height: int
    reference_index: int
    """The frame whose (closed) mouth is re-animated on every frame."""

    @property
    def frames(self) -> int:
        return int(self.landmarks.shape[0])

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def save(self, directory: Path) -> None:
        """Write the footage into `directory` (created if needed); this object then points at the saved copy."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / _VIDEO_NAME
        if self.video_path.resolve() != target.resolve():
            shutil.copyfile(self.video_path, target)
        np.save(directory / _LANDMARKS_NAME, self.landmarks.astype(np.float32))
        meta = {"version": _FORMAT_VERSION, "fps": self.fps, "width": self.width, "height": self.height,
                "frames": self.frames, "reference_index": self.reference_index}
        (directory / _META_NAME).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        self.video_path = target

    @classmethod
    def load(cls, directory: Path) -> Footage:
        """Read footage saved with `save`; RenderError if the directory does not hold a complete copy."""
        try:
            meta = json.loads((directory / _META_NAME).read_text(encoding="utf-8"))
            landmarks = np.load(directory / _LANDMARKS_NAME)
        except (OSError, ValueError) as exc:
            raise RenderError(f"The prepared footage in {directory} is missing or damaged: prepare it again.") from exc
        video = directory / _VIDEO_NAME
        if meta.get("version") != _FORMAT_VERSION or not video.is_file() or landmarks.shape[1:] != (68, 2):
            raise RenderError(f"The prepared footage in {directory} is incomplete or from another version: "
                              f"prepare it again.")
        return cls(video_path=video, landmarks=landmarks.astype(np.float32), fps=float(meta["fps"]),
                   width=int(meta["width"]), height=int(meta["height"]),
                   reference_index=int(meta["reference_index"]))


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _sample_faces(path: Path, seconds: float, scale: float, on_progress: Callable[[float], None] | None
                  ) -> list[tuple[float, list[tuple[float, float, float, float]]]]:
    """Face boxes (in working-size pixels) at SAMPLE_FPS over the first `seconds`."""
    info = probe_video(path)
    side = max(info.width, info.height)
    small = min(1.0, SAMPLE_SIDE / side)
    width, height = _even(info.width * small), _even(info.height * small)
    back = scale / small
    args = ["-t", f"{seconds:.3f}", "-i", str(path), "-an", "-vf", f"fps={SAMPLE_FPS},scale={width}:{height}"]
    samples: list[tuple[float, list[tuple[float, float, float, float]]]] = []
    expected = max(1, int(seconds * SAMPLE_FPS))
    with FrameReader(args, width, height) as reader:
        while (frame := reader.read()) is not None:
            found = detect_boxes(frame, upsample=0) or detect_boxes(frame, upsample=1)
            boxes = [(x * back, y * back, w * back, h * back) for x, y, w, h in found]
            samples.append((len(samples) / SAMPLE_FPS, boxes))
            if on_progress is not None:
                on_progress(0.15 * min(1.0, len(samples) / expected))
    return samples


def _check_one_face(samples: list[tuple[float, list[tuple[float, float, float, float]]]], name: str) -> None:
    if not samples:
        raise MediaRejected(f"{name}: no frames could be decoded.")
    counts = [len(boxes) for _, boxes in samples]
    with_face = sum(c >= 1 for c in counts) / len(counts)
    crowded = [c for c in counts if c > 1]
    if with_face < 0.5:
        raise MediaRejected(f"{name}: no face found in most of the footage. Film one person facing the camera, "
                            f"with the face well lit and at least a fifth of the frame high.")
    if len(crowded) / len(counts) >= 0.3:
        many = max(set(crowded), key=crowded.count)
        raise MediaRejected(f"{name}: {many} faces found; the footage must show exactly one person.")


def _nearest(boxes: list[tuple[float, float, float, float]], previous: tuple[float, float, float, float]
             ) -> tuple[float, float, float, float]:
    """The box closest to the previous frame's (the same person when a stray second detection appears)."""
    px, py = previous[0] + previous[2] / 2, previous[1] + previous[3] / 2
    return min(boxes, key=lambda b: (b[0] + b[2] / 2 - px) ** 2 + (b[1] + b[3] / 2 - py) ** 2)


def _smooth_in_time(landmarks: np.ndarray, sigma: float = LANDMARK_SMOOTH_FRAMES) -> np.ndarray:
    radius = int(np.ceil(3 * sigma))
    if landmarks.shape[0] <= 2 * radius:
        return landmarks
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(landmarks, ((radius, radius), (0, 0), (0, 0)), mode="edge")
    out = np.zeros_like(landmarks)
    for i, weight in enumerate(kernel):
        out += weight * padded[i:i + landmarks.shape[0]]
    return out


def _reference_frame(landmarks: np.ndarray) -> int:
    """The frame with the most closed mouth among those nearest the typical head pose."""
    p = landmarks.astype(np.float64)
    mouth_w = np.linalg.norm(p[:, 54] - p[:, 48], axis=1) + 1e-6
    gap = (p[:, [66, 67, 65], 1] - p[:, [62, 61, 63], 1]).mean(1) / mouth_w
    centred = p - p.mean(1, keepdims=True)
    centred /= np.linalg.norm(centred, axis=(1, 2), keepdims=True) + 1e-9
    typical = np.median(centred, axis=0)
    deviation = np.linalg.norm(centred - typical, axis=(1, 2))
    return int(np.argmin(np.maximum(gap, 0) + 2.0 * deviation))


def prepare_footage(path: Path, on_progress: Callable[[float], None] | None = None, max_seconds: float = 30.0,
                    work_dir: Path | None = None) -> Footage:
    """Check, track and copy (muted) the first `max_seconds` of a talking-head video.

    MediaRejected if it is not a video, too short, or does not show exactly one face. The muted copy is
    written into `work_dir` (a new temporary directory by default); `Footage.save` copies it elsewhere.
    """
    info = probe_video(path)
    seconds = min(info.duration, max_seconds)
    if seconds < MIN_SECONDS:
        raise MediaRejected(f"{path.name} is too short ({info.duration:.1f} s); use at least {MIN_SECONDS} s.")
    scale = min(1.0, WORK_MAX[0] / max(info.width, info.height), WORK_MAX[1] / min(info.width, info.height))
    width, height = _even(info.width * scale), _even(info.height * scale)
    scale = width / info.width
    samples = _sample_faces(path, seconds, scale, on_progress)
    _check_one_face(samples, path.name)
    widths = [boxes[0][2] for _, boxes in samples if boxes]
    # Track on a copy where the face is about DETECT_FACE_PX wide: fast, and big enough for dlib without upsampling.
    detect_scale = float(min(1.0, DETECT_FACE_PX / max(1.0, float(np.median(widths)))))
    box = next(boxes[0] for _, boxes in samples if boxes)
    work = work_dir or Path(tempfile.mkdtemp(prefix="avatar-footage-"))
    work.mkdir(parents=True, exist_ok=True)
    video_path = work / _VIDEO_NAME
    expected = max(1, int(seconds * FOOTAGE_FPS))
    sink = FrameSink([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                      "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(FOOTAGE_FPS), "-i", "-", "-an",
                      "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", str(FOOTAGE_FPS),
                      "-pix_fmt", "yuv420p", str(video_path)], what="Saving the footage")
    args = ["-t", f"{seconds:.3f}", "-i", str(path), "-an", "-vf",
            f"fps={FOOTAGE_FPS},scale={width}:{height},setsar=1"]
    tracked: list[np.ndarray] = []
    try:
        with FrameReader(args, width, height) as reader:
            while (frame := reader.read()) is not None:
                if len(tracked) % DETECT_EVERY == 0:
                    small = cv2.resize(frame, None, fx=detect_scale, fy=detect_scale, interpolation=cv2.INTER_LINEAR)
                    found = [(x / detect_scale, y / detect_scale, w / detect_scale, h / detect_scale)
                             for x, y, w, h in detect_boxes(small)]
                    if found:
                        box = _nearest(found, box)
                tracked.append(landmarks_in_box(frame, box).astype(np.float32))
                sink.write(frame)
                if on_progress is not None and len(tracked) % 10 == 0:
                    on_progress(0.15 + 0.85 * min(1.0, len(tracked) / expected))
        sink.close()
    except BaseException:
        sink.abort()
        raise
    if not tracked:
        raise MediaRejected(f"{path.name}: no frames could be decoded.")
    landmarks = _smooth_in_time(np.stack(tracked))
    if on_progress is not None:
        on_progress(1.0)
    return Footage(video_path=video_path, landmarks=landmarks, fps=float(FOOTAGE_FPS), width=width, height=height,
                   reference_index=_reference_frame(landmarks))


def pingpong(index: int, count: int) -> int:
    """Frame `index` of a clip of `count` frames played forwards, backwards, forwards..."""
    if count <= 1:
        return 0
    period = 2 * (count - 1)
    i = index % period
    return i if i < count else period - i


class FootagePlayer:
    """Footage cut to a card, frame by frame in ping-pong order, with landmarks in card coordinates."""

    def __init__(self, footage: Footage, style: Style, box: CardBox) -> None:
        self.footage = footage
        median = np.median(footage.landmarks, axis=0)
        self.crop = face_crop(median, style, box.w / box.h, footage.width, footage.height)
        self.size = (box.w, box.h)
        x0, y0, sx, sy = crop_transform(self.crop, self.size)
        self.points = ((footage.landmarks - [x0, y0]) * [sx, sy]).astype(np.float64)
        self._reader: FrameReader | None = None
        self._cache: list[np.ndarray | bytes] = []
        self._raw = footage.frames * box.w * box.h * 3 <= RAW_CACHE_BYTES

    def _decoded(self, index: int) -> np.ndarray:
        while len(self._cache) <= index:
            if self._reader is None:
                self._reader = FrameReader(["-i", str(self.footage.video_path), "-an"], self.footage.width,
                                           self.footage.height)
            frame = self._reader.read()
            if frame is None:
                raise RenderError("The prepared footage ended early: prepare it again.")
            card = cut_pixels(frame, self.crop, self.size)
            if self._raw:
                self._cache.append(card)
            else:
                ok, encoded = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, 92])
                self._cache.append(encoded.tobytes() if ok else card)
        item = self._cache[index]
        if isinstance(item, bytes):
            decoded = cv2.imdecode(np.frombuffer(item, np.uint8), cv2.IMREAD_COLOR)
            if decoded is None:
                raise RenderError("A cached footage frame could not be decoded.")
            return decoded
        return item.copy()

    def frame(self, time_s: float) -> tuple[np.ndarray, np.ndarray, int]:
        """(card pixels, card landmarks, source index) for scene time `time_s`; the pixels are a fresh array."""
        index = pingpong(round(time_s * self.footage.fps), self.footage.frames)
        return self._decoded(index), self.points[index], index

    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        index = self.footage.reference_index
        return self._decoded(index), self.points[index]

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
