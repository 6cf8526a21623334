"""Scene backgrounds: a colour, an image or a video, fitted to the frame.

Fit: "cover" scales to fill the frame and crops the overflow; "contain" scales to fit inside and fills the
rest with the plan's colour; "crop" keeps the source's own pixel size and centres it (cropping or padding);
"none" keeps the pixel size and anchors it top-left. Video play styles: "loop" repeats; "freeze" plays once
and holds the last frame; "once" plays once and then shows the colour; "fit_to_scene" retimes the video so
it lasts exactly the scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np

from avatar_mcp.errors import MediaRejected
from avatar_mcp.providers.local._ffmpeg import FrameReader, probe_video

Fit = Literal["cover", "contain", "crop", "none"]
PlayStyle = Literal["fit_to_scene", "freeze", "loop", "once"]
DEFAULT_COLOR = "#1e2a3a"


@dataclass
class BackgroundPlan:
    kind: Literal["color", "image", "video"]
    color: str = DEFAULT_COLOR
    path: Path | None = None
    fit: Fit = "cover"
    play_style: PlayStyle = "loop"


def parse_color(value: str) -> tuple[int, int, int]:
    """'#rrggbb' (or 'rrggbb', '#rgb') to a BGR tuple; MediaRejected otherwise."""
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    try:
        if len(text) != 6:
            raise ValueError(value)
        red, green, blue = int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError as exc:
        raise MediaRejected(f"Background colour {value!r} is not a hex colour like #1e2a3a.") from exc
    return blue, green, red


class Background(Protocol):
    static: bool

    def frame(self, index: int) -> np.ndarray:
        """Frame `index` of the scene, (H, W, 3) BGR. Static backgrounds return a shared array: do not modify it."""
        ...

    def close(self) -> None: ...


class StillBackground:
    """A colour or an image: the same frame throughout."""

    static = True

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels = pixels
        self.pixels.flags.writeable = False

    def frame(self, index: int) -> np.ndarray:
        return self.pixels

    def close(self) -> None:
        return None


def fit_image(image: np.ndarray, width: int, height: int, fit: Fit, fill: tuple[int, int, int]) -> np.ndarray:
    """`image` fitted to width x height (see the module docstring)."""
    src_h, src_w = image.shape[:2]
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = fill
    if fit in ("cover", "contain"):
        scale = (max if fit == "cover" else min)(width / src_w, height / src_h)
        new_w, new_h = max(1, round(src_w * scale)), max(1, round(src_h * scale))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
        src_h, src_w = new_h, new_w
    if fit == "none":
        dx = dy = 0
    else:
        dx, dy = (width - src_w) // 2, (height - src_h) // 2
    x0, y0 = max(0, dx), max(0, dy)
    x1, y1 = min(width, dx + src_w), min(height, dy + src_h)
    canvas[y0:y1, x0:x1] = image[y0 - dy:y1 - dy, x0 - dx:x1 - dx]
    return canvas


def _video_filter(width: int, height: int, fit: Fit, color: str, fps: float, stretch: float | None) -> str:
    pad = f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=0x{color.lstrip('#')}"
    fits = {
        "cover": f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}",
        "contain": f"scale={width}:{height}:force_original_aspect_ratio=decrease,{pad}",
        "crop": f"crop='min(iw,{width})':'min(ih,{height})',{pad}",
        "none": (f"crop='min(iw,{width})':'min(ih,{height})':0:0,"
                 f"pad={width}:{height}:0:0:color=0x{color.lstrip('#')}"),
    }
    chain = [f"setpts={stretch:.6f}*PTS"] if stretch else []
    chain += [fits[fit], "setsar=1", f"fps={fps}"]
    return ",".join(chain)


class VideoBackground:
    """A video decoded by ffmpeg, already fitted and retimed to the scene's frame rate."""

    static = False

    def __init__(self, plan: BackgroundPlan, width: int, height: int, fps: float, n_frames: int) -> None:
        assert plan.path is not None
        info = probe_video(plan.path)
        stretch = None
        if plan.play_style == "fit_to_scene":
            stretch = (n_frames / fps) / max(info.duration, 1e-3)
        args = ["-stream_loop", "-1"] if plan.play_style == "loop" else []
        args += ["-i", str(plan.path), "-an", "-vf", _video_filter(width, height, plan.fit, plan.color, fps, stretch),
                 "-frames:v", str(n_frames)]
        self._reader = FrameReader(args, width, height)
        self._play_style = plan.play_style
        self._fill = np.empty((height, width, 3), np.uint8)
        self._fill[:] = parse_color(plan.color)
        self._last: np.ndarray | None = None
        self._ended = False

    def frame(self, index: int) -> np.ndarray:
        if not self._ended:
            frame = self._reader.read()
            if frame is not None:
                if self._play_style == "freeze":
                    self._last = frame.copy()
                return frame
            self._ended = True
        if self._play_style == "once" or self._last is None:
            return self._fill.copy()
        return self._last.copy()

    def close(self) -> None:
        self._reader.close()


def open_background(plan: BackgroundPlan, width: int, height: int, fps: float, n_frames: int) -> Background:
    """The background source for one scene."""
    fill = parse_color(plan.color)
    if plan.kind == "color":
        pixels = np.empty((height, width, 3), np.uint8)
        pixels[:] = fill
        return StillBackground(pixels)
    if plan.path is None:
        raise MediaRejected(f"A {plan.kind} background needs a file path.")
    if plan.kind == "image":
        from avatar_mcp.providers.local.face import load_image

        return StillBackground(fit_image(load_image(plan.path), width, height, plan.fit, fill))
    return VideoBackground(plan, width, height, fps, n_frames)
