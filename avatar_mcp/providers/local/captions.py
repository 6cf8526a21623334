"""Captions: sentence-aware chunks of timed words, the matching SRT, and burnt-in caption images.

Chunks never cross a sentence end, split long sentences at clause punctuation first and then into balanced
pieces, and avoid one-word orphans. Images are drawn with Pillow's bundled font (no system fonts needed).
Caption text is cleaned first (`clean_text`): ANSI escape sequences, control characters and the bidi embedding,
override and isolate characters (U+202A-U+202E, U+2066-U+2069) never reach an SRT file or a frame, so a script
cannot make a subtitle player or terminal show something other than what is spoken.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Timed = tuple[str, float, float]

MAX_CHARS = 42
LINGER_S = 0.4
"""A caption stays up this long after its last word, unless the next one starts earlier."""
_CLOSERS = "\"'”’)]»"
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
"""CSI sequences (colours, cursor moves), OSC sequences (titles, links) and the two-byte escapes."""
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """`text` without ANSI escapes, control characters or bidi controls, whitespace runs made one space."""
    text = _UNSAFE.sub(lambda m: " " if m.group().isspace() else "", _ANSI.sub("", text))
    return " ".join(text.split())


@dataclass(frozen=True)
class Caption:
    text: str
    start: float
    end: float


def _ends_with(word: str, marks: str) -> bool:
    stripped = word.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in marks


def _text(words: list[Timed]) -> str:
    return " ".join(w for w, _, _ in words)


def _balanced(words: list[Timed], max_chars: int) -> list[list[Timed]]:
    if len(_text(words)) <= max_chars or len(words) < 2:
        return [words]
    pieces = math.ceil(len(_text(words)) / max_chars)
    target = len(_text(words)) / pieces
    out: list[list[Timed]] = []
    current: list[Timed] = []
    used = 0
    for word in words:
        if current and used + len(word[0]) / 2 > target * (len(out) + 1) and len(out) < pieces - 1:
            out.append(current)
            current = []
        current.append(word)
        used += len(word[0]) + 1
    out.append(current)
    return out


def chunk_words(words: list[Timed], max_chars: int = MAX_CHARS) -> list[list[Timed]]:
    """Split timed words into caption-sized groups at sentence, then clause, then balanced boundaries."""
    sentences: list[list[Timed]] = []
    current: list[Timed] = []
    for word in words:
        current.append(word)
        if _ends_with(word[0], ".!?…"):
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    groups: list[list[Timed]] = []
    for sentence in sentences:
        if len(_text(sentence)) <= max_chars:
            groups.append(sentence)
            continue
        clauses: list[list[Timed]] = []
        clause: list[Timed] = []
        for word in sentence:
            clause.append(word)
            if _ends_with(word[0], ",;:—") and len(_text(clause)) >= 18:
                clauses.append(clause)
                clause = []
        if clause:
            if clauses and len(_text(clause)) < 12:
                clauses[-1] = clauses[-1] + clause
            else:
                clauses.append(clause)
        for part in clauses:
            groups.extend(_balanced(part, max_chars))
    return groups


def captions_for(words: list[Timed], *, offset: float = 0.0, until: float | None = None,
                 max_chars: int = MAX_CHARS) -> list[Caption]:
    """Captions for one scene's words, shifted by the scene's start and kept inside [offset, until]."""
    words = [(text, start, end) for word, start, end in words if (text := clean_text(word))]
    groups = chunk_words(words, max_chars)
    out: list[Caption] = []
    for i, group in enumerate(groups):
        start, end = group[0][1], group[-1][2]
        if i + 1 < len(groups):
            end = max(end, min(groups[i + 1][0][1], end + LINGER_S))
        else:
            end += LINGER_S
        start, end = start + offset, end + offset
        if until is not None:
            end = min(end, until)
        if end - start < 0.05:
            end = start + 0.05
        out.append(Caption(_text(group), start, end))
    return out


def _timestamp(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def write_srt(captions: list[Caption], path: Path) -> None:
    kept = [c for c in captions if clean_text(c.text)]
    blocks = [f"{i}\n{_timestamp(c.start)} --> {_timestamp(c.end)}\n{clean_text(c.text)}\n"
              for i, c in enumerate(kept, 1)]
    path.write_text("\n".join(blocks), encoding="utf-8")


@dataclass
class CaptionImage:
    """A caption drawn once: BGR pixels, alpha (0..1, float32) and where it goes in the frame."""

    bgr: np.ndarray
    alpha: np.ndarray
    x: int
    y: int


def font_size(frame_height: int, frame_width: int) -> int:
    return max(11, round(min(frame_height, frame_width * 9 / 16) * 0.047))


def draw_caption(text: str, frame_width: int, frame_height: int) -> CaptionImage:
    """The caption box for `text`, wrapped to at most the frame width less margins, centred near the bottom."""
    from PIL import Image, ImageDraw, ImageFont

    text = clean_text(text)
    size = font_size(frame_height, frame_width)
    font = ImageFont.load_default(size=size)
    probe = ImageDraw.Draw(Image.new("L", (4, 4)))
    pad_x, pad_y = max(6, size * 2 // 3), max(3, size // 3)
    max_text_w = max(20, frame_width - 2 * pad_x - 2 * max(4, frame_width // 40))
    lines = _wrap(text, lambda s: probe.textlength(s, font=font), max_text_w)
    spacing = max(2, size // 5)
    block = "\n".join(lines)
    left, top, right, bottom = probe.multiline_textbbox((0, 0), block, font=font, spacing=spacing, align="center")
    width = min(frame_width, int(right - left) + 2 * pad_x)
    height = min(frame_height, int(bottom - top) + 2 * pad_y)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=max(3, size // 2), fill=(10, 12, 18, 175))
    draw.multiline_text((width / 2 - (left + right) / 2, pad_y - top), block, font=font,
                        fill=(255, 255, 255, 255), spacing=spacing, align="center")
    rgba = np.asarray(image, np.uint8)
    bgr = np.ascontiguousarray(rgba[:, :, 2::-1])
    alpha = (rgba[:, :, 3].astype(np.float32) / 255.0)
    margin = max(4, round(frame_height * 0.035))
    return CaptionImage(bgr=bgr, alpha=alpha, x=(frame_width - width) // 2, y=frame_height - height - margin)


def _wrap(text: str, measure: Callable[[str], float], max_width: float) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}".strip()
        if current and measure(trial) > max_width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]
