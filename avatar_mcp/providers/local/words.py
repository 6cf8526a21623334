"""Timed words: the script's whitespace-separated words (as written) placed on the speech timeline.

Piper gives timed phonemes only, so each written word is phonemised alone and the concatenation is aligned
to the spoken phoneme stream (difflib). espeak-ng reports the character offset of every word it speaks.
Words that get no time of their own (a lone dash, say) are spread into the gap around them.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable

Timed = tuple[str, float, float]

_TOKEN = re.compile(r"\S+")
_MARKS = frozenset("ˈˌː")
PAUSE = "_"


def tokens(text: str) -> list[tuple[str, int]]:
    """The script's words as written (punctuation attached), with their character offsets."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]


def _sounds(phonemes: str) -> list[str]:
    return [ch for ch in phonemes if ch.isalpha() and ch not in _MARKS]


def align_by_phonemes(text: str, phonemes: list[Timed], phonemize: Callable[[str], str]) -> list[Timed]:
    """Time each written word by aligning its own phonemes with the spoken phoneme stream."""
    words = tokens(text)
    stream: list[str] = []
    times: list[tuple[float, float]] = []
    for phoneme, start, end in phonemes:
        for ch in _sounds(phoneme):
            stream.append(ch)
            times.append((start, end))
    wanted: list[str] = []
    owner: list[int] = []
    for index, (word, _) in enumerate(words):
        for ch in _sounds(phonemize(word)):
            wanted.append(ch)
            owner.append(index)
    starts: list[float | None] = [None] * len(words)
    ends: list[float | None] = [None] * len(words)
    matcher = difflib.SequenceMatcher(None, wanted, stream, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            index = owner[a + k]
            start, end = times[b + k]
            starts[index] = start if starts[index] is None else min(starts[index], start)  # type: ignore[type-var]
            ends[index] = end if ends[index] is None else max(ends[index], end)  # type: ignore[type-var]
    total = phonemes[-1][2] if phonemes else 0.0
    return _fill([w for w, _ in words], starts, ends, total)


def align_by_offsets(text: str, word_events: list[tuple[int, float]], phonemes: list[Timed],
                     total: float) -> list[Timed]:
    """Time each written word from engine word events given as (character offset, start time)."""
    words = tokens(text)
    offsets = [offset for _, offset in words]
    starts: list[float | None] = [None] * len(words)
    for offset, time in word_events:
        index = max(0, bisect.bisect_right(offsets, offset) - 1)
        if starts[index] is None or time < starts[index]:  # type: ignore[operator]
            starts[index] = time
    ends: list[float | None] = [None] * len(words)
    timed = sorted((t, i) for i, t in enumerate(starts) if t is not None)
    for n, (start, index) in enumerate(timed):
        limit = timed[n + 1][0] if n + 1 < len(timed) else total
        spoken = [end for ph, s, end in phonemes if start <= s < limit and ph != PAUSE]
        ends[index] = min(max(spoken), limit) if spoken else start
    return _fill([w for w, _ in words], starts, ends, total)


def _fill(words: list[str], starts: list[float | None], ends: list[float | None], total: float) -> list[Timed]:
    """Give untimed words the gap between their timed neighbours; keep times monotonic."""
    out: list[Timed] = []
    previous_end = 0.0
    for i, word in enumerate(words):
        start, end = starts[i], ends[i]
        if start is None or end is None:
            following = next((s for s in starts[i + 1:] if s is not None), total)
            start, end = previous_end, max(previous_end, following)
        start = max(start, previous_end)
        end = max(end, start)
        out.append((word, round(start, 3), round(end, 3)))
        previous_end = end
    return out
