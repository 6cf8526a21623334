"""Compositing: background, drop shadow and the avatar card, with anti-aliased card edges.

Only what changes is redrawn: a still background with its shadow is prepared once, and each frame pastes
the card (or just its changed head region) over it. Fully covered rows are copied; only rows that cross the
card's anti-aliased outline are blended, against the card-less backdrop so edges never darken twice.
"""

from __future__ import annotations

import cv2
import numpy as np

from avatar_mcp.providers.local.backgrounds import Background
from avatar_mcp.providers.local.layout import CardBox, card_alpha, shadow_factor

_Band = tuple[int, int, np.ndarray | None, np.ndarray | None]


class Stage:
    """One scene's backdrop and the place of its card in the frame."""

    def __init__(self, width: int, height: int, box: CardBox, background: Background) -> None:
        self.width, self.height = width, height
        self.box = box
        self.background = background
        self.alpha = card_alpha(box)
        self._shadow = shadow_factor(box, self.alpha, width, height)
        # Visible part of the card, in card coordinates.
        self.vis = (max(0, -box.x), max(0, -box.y), min(box.w, width - box.x), min(box.h, height - box.y))
        self._plans: dict[tuple[int, int, int, int], list[_Band]] = {}
        self._still: np.ndarray | None = None
        if background.static:
            self._still = self._with_shadow(background.frame(0).copy())
            self._still.flags.writeable = False

    def _with_shadow(self, frame: np.ndarray) -> np.ndarray:
        if self._shadow is not None:
            (x0, y0, x1, y1), factor = self._shadow
            frame[y0:y1, x0:x1] = cv2.multiply(frame[y0:y1, x0:x1], factor, scale=1.0 / 255.0)
        return frame

    def backdrop(self, index: int) -> np.ndarray:
        """Background plus shadow for frame `index`; for still backgrounds a shared read-only array."""
        if self._still is not None:
            return self._still
        return self._with_shadow(self.background.frame(index))

    def _plan(self, key: tuple[int, int, int, int]) -> list[_Band]:
        """Row bands of the card rect `key` (card coords): opaque bands copy, the others blend."""
        plan = self._plans.get(key)
        if plan is None:
            x0, y0, x1, y1 = key
            alpha = self.alpha[y0:y1, x0:x1]
            opaque = alpha.min(axis=1) >= 1.0
            plan = []
            start = 0
            for row in range(1, len(opaque) + 1):
                if row == len(opaque) or opaque[row] != opaque[start]:
                    if opaque[start]:
                        plan.append((start, row, None, None))
                    else:
                        a = np.ascontiguousarray(alpha[start:row])
                        plan.append((start, row, a, np.ascontiguousarray(1.0 - a)))
                    start = row
            self._plans[key] = plan
        return plan

    def composite(self, frame: np.ndarray, under: np.ndarray, pixels: np.ndarray, cx: int = 0, cy: int = 0) -> None:
        """Draw `pixels` (a part of the card whose top-left is card (cx, cy)) into `frame` over `under`."""
        h, w = pixels.shape[:2]
        vx0, vy0, vx1, vy1 = self.vis
        x0, y0 = max(cx, vx0), max(cy, vy0)
        x1, y1 = min(cx + w, vx1), min(cy + h, vy1)
        if x1 <= x0 or y1 <= y0:
            return
        src = pixels[y0 - cy:y1 - cy, x0 - cx:x1 - cx]
        fx, fy = x0 + self.box.x, y0 + self.box.y
        for start, stop, alpha, inverse in self._plan((x0, y0, x1, y1)):
            dst = frame[fy + start:fy + stop, fx:fx + (x1 - x0)]
            if alpha is None or inverse is None:
                dst[:] = src[start:stop]
            else:
                below = under[fy + start:fy + stop, fx:fx + (x1 - x0)]
                dst[:] = cv2.blendLinear(np.ascontiguousarray(src[start:stop]), np.ascontiguousarray(below),
                                         alpha, inverse)

    def close(self) -> None:
        self.background.close()
