"""Scene renderers: turn one scene (avatar, speech, stage) into full BGR frames, one at a time.

A portrait scene pastes only the animated head region over a prepared frame when the background is still;
a footage scene pastes the whole card (the footage moves everywhere) with its mouth re-animated.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from avatar_mcp.providers.local.encode import Rect
from avatar_mcp.providers.local.footage import FootagePlayer
from avatar_mcp.providers.local.puppet import MouthTransplant, PortraitPuppet
from avatar_mcp.providers.local.speech import Speech
from avatar_mcp.providers.local.stage import Stage
from avatar_mcp.providers.local.tracks import activity, blink_track, head_track, mouth_track


class SceneRenderer(Protocol):
    n_frames: int
    opening: np.ndarray
    """Mouth opening per frame (used to pick a speaking thumbnail)."""

    def frame(self, index: int) -> tuple[np.ndarray, Rect | None]:
        """Frame `index` (BGR, H x W x 3) and the rectangle (x0, y0, x1, y1) outside which it equals the previous
        frame, or None when anything may have changed (the first frame of a scene is always taken whole). Frames
        are produced in order; the array may be reused by the next call, and callers must leave it as they found
        it."""
        ...


class PortraitScene:
    """A still portrait animated by the speech: mouth, blinks and a little head sway."""

    def __init__(self, puppet: PortraitPuppet, card: np.ndarray, stage: Stage, speech: Speech | None,
                 n_frames: int, fps: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.n_frames = n_frames
        self.stage = stage
        self.puppet = puppet
        mouth = mouth_track(speech, n_frames, fps)
        self.opening, self.rounding = mouth.open, mouth.round
        self.blink = blink_track(n_frames, fps, rng)
        self.head = head_track(n_frames, fps, activity(speech, n_frames, fps), rng)
        self._card = card.copy()
        self._buffer: np.ndarray | None = None
        self._dirty: Rect | None = None
        if stage.background.static:
            backdrop = stage.backdrop(0)
            self._buffer = backdrop.copy()
            stage.composite(self._buffer, backdrop, card)
            x0, y0, x1, y1 = puppet.rect
            box = stage.box
            self._dirty = (x0 + box.x, y0 + box.y, x1 + box.x, y1 + box.y)

    def frame(self, index: int) -> tuple[np.ndarray, Rect | None]:
        region = self.puppet.render(float(self.opening[index]), float(self.rounding[index]), float(self.blink[index]),
                                    float(self.head.theta[index]), float(self.head.dx[index]),
                                    float(self.head.dy[index]))
        x0, y0, x1, y1 = self.puppet.rect
        if self._buffer is not None:
            # Still backdrop: only the head region changes, and it is fully redrawn every frame.
            self.stage.composite(self._buffer, self.stage.backdrop(index), region, x0, y0)
            return self._buffer, self._dirty
        frame = self.stage.backdrop(index)
        self._card[y0:y1, x0:x1] = region
        self.stage.composite(frame, frame, self._card)
        return frame, None


class FootageScene:
    """A digital twin: its own footage, back and forth, with the mouth re-animated by the speech."""

    def __init__(self, player: FootagePlayer, transplant: MouthTransplant, stage: Stage, speech: Speech | None,
                 n_frames: int, fps: float) -> None:
        self.n_frames = n_frames
        self.fps = fps
        self.player = player
        self.transplant = transplant
        self.stage = stage
        mouth = mouth_track(speech, n_frames, fps)
        self.opening, self.rounding = mouth.open, mouth.round
        self._buffer: np.ndarray | None = None
        if stage.background.static:
            self._buffer = np.empty_like(stage.backdrop(0))

    def frame(self, index: int) -> tuple[np.ndarray, Rect | None]:
        card, points, _ = self.player.frame(index / self.fps)
        self.transplant.apply(card, points, float(self.opening[index]), float(self.rounding[index]))
        if self._buffer is not None:
            backdrop = self.stage.backdrop(index)
            np.copyto(self._buffer, backdrop)
            self.stage.composite(self._buffer, backdrop, card)
            return self._buffer, None
        frame = self.stage.backdrop(index)
        self.stage.composite(frame, frame, card)
        return frame, None
