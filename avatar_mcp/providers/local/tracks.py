"""Per-frame animation tracks: mouth opening and rounding, blinks, head sway.

The mouth follows per-phoneme targets (or, for user audio, the loudness envelope), gated by loudness,
smoothed with a zero-phase Gaussian (a causal filter would make the mouth lag the sound) and sampled
MOUTH_LEAD_S early, because real speakers shape their mouth slightly before the sound comes out and viewers
notice late lips far more than early ones. Blinks come every 2.2-5 s; the head sways a little while speaking
and much less in silence, so the mouth region stays still when nobody speaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avatar_mcp.providers.local.speech import Speech

TRACK_HZ = 200
MOUTH_LEAD_S = 0.04
MOUTH_SMOOTH_SIGMA_S = 0.03
LOUDNESS_WINDOW_S = 0.02
SILENT_LOUDNESS = 0.05
BLINK_GAP_S = (2.2, 5.0)
STILL_SWAY = 0.15
"""Head sway amplitude during silence, as a share of the speaking amplitude."""

_STRESS = frozenset("ˈˌː")
_CLOSED = (0.0, 0.0)
_VISEME_GROUPS: tuple[tuple[str, tuple[float, float]], ...] = (
    ("pbm", (0.0, 0.0)),
    ("fv", (0.12, 0.0)),
    ("wuʊoɔɒ", (0.38, 0.8)),
    ("ʃʒ", (0.2, 0.6)),
    ("aɑæʌɐɶä", (0.95, -0.1)),
    ("ɛeəɚɜɝœøɵ", (0.62, 0.0)),
    ("iɪɨᵻyʏj", (0.3, -0.5)),
    ("θð", (0.25, 0.0)),
    ("ɹrɾ", (0.25, 0.4)),
)
_VISEMES: dict[str, tuple[float, float]] = {ch: target for chars, target in _VISEME_GROUPS for ch in chars}
_CONSONANT = (0.22, 0.0)
_PAUSES = frozenset("_^$.,!?;:—…\"'()")


def viseme(phoneme: str) -> tuple[float, float]:
    """(open 0..1, round -1..1) mouth target of one phoneme (IPA, possibly several characters)."""
    sounds = [ch for ch in phoneme if ch not in _STRESS]
    if not sounds or all(ch in _PAUSES for ch in sounds):
        return _CLOSED
    if sounds == [" "]:
        return (0.1, 0.0)
    for ch in sounds:
        if ch in _VISEMES:
            return _VISEMES[ch]
    return _CONSONANT


def _gaussian(values: np.ndarray, sigma_samples: float) -> np.ndarray:
    """Zero-phase Gaussian smoothing (edges padded with their own values)."""
    if sigma_samples <= 0.5:
        return values.astype(np.float32)
    radius = int(np.ceil(3 * sigma_samples))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma_samples) ** 2)
    padded = np.pad(values.astype(np.float64), radius, mode="edge")
    return np.convolve(padded, kernel / kernel.sum(), mode="valid").astype(np.float32)


def loudness(samples: np.ndarray, sample_rate: int, hz: int = TRACK_HZ) -> np.ndarray:
    """Centred RMS (LOUDNESS_WINDOW_S window) every 1/hz s, normalised so loud speech is about 1."""
    count = int(np.ceil(len(samples) / sample_rate * hz)) + 1
    if len(samples) == 0:
        return np.zeros(count, np.float32)
    power = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    centres = (np.arange(count) * sample_rate / hz).astype(np.int64)
    half = max(1, int(LOUDNESS_WINDOW_S * sample_rate / 2))
    lo = np.clip(centres - half, 0, len(samples))
    hi = np.clip(centres + half, 0, len(samples))
    rms = np.sqrt(np.maximum(power[hi] - power[lo], 0.0) / np.maximum(hi - lo, 1))
    voiced = rms[rms > 1e-4]
    reference = float(np.percentile(voiced, 90)) if voiced.size else 1.0
    out: np.ndarray = np.clip(rms / (reference + 1e-9), 0.0, 1.5).astype(np.float32)
    return out


def frame_loudness(samples: np.ndarray, sample_rate: int, n_frames: int, fps: float) -> np.ndarray:
    """RMS of the audio under each frame, [k/fps, (k+1)/fps): what a viewer hears while frame k shows."""
    out = np.zeros(n_frames, np.float32)
    for k in range(n_frames):
        chunk = samples[int(k * sample_rate / fps): int((k + 1) * sample_rate / fps)]
        out[k] = float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) if chunk.size else 0.0
    return out


@dataclass
class MouthTrack:
    open: np.ndarray
    """0 closed .. 1 wide, per frame."""
    round: np.ndarray
    """-1 spread .. 1 rounded, per frame."""


def mouth_track(speech: Speech | None, n_frames: int, fps: float, *, lead: float | None = None) -> MouthTrack:
    """Per-frame mouth opening and rounding for `speech` (closed throughout when speech is None).

    `lead` (default MOUTH_LEAD_S) is how far ahead of the sound the mouth moves.
    """
    lead = MOUTH_LEAD_S if lead is None else lead
    if speech is None or speech.duration <= 0:
        return MouthTrack(np.zeros(n_frames, np.float32), np.zeros(n_frames, np.float32))
    env = loudness(speech.samples, speech.sample_rate)
    count = len(env)
    gate = np.clip(env / SILENT_LOUDNESS - 1.0, 0.0, 1.0)
    if speech.phonemes:
        target_open = np.zeros(count, np.float32)
        target_round = np.zeros(count, np.float32)
        for phoneme, start, end in speech.phonemes:
            a = round(start * TRACK_HZ)
            b = max(a + 1, round(end * TRACK_HZ))
            target_open[a:b], target_round[a:b] = viseme(phoneme)
        target_open *= (0.45 + 0.55 * np.clip(env, 0.0, 1.0)) * gate
        target_round *= gate
    else:
        target_open = 0.9 * np.clip(env, 0.0, 1.0) ** 0.8 * gate
        target_round = np.zeros(count, np.float32)
    sigma = MOUTH_SMOOTH_SIGMA_S * TRACK_HZ
    smooth_open = _gaussian(target_open, sigma)
    smooth_round = _gaussian(target_round, sigma)
    times = (np.arange(n_frames) + 0.5) / fps + lead
    grid = np.arange(count) / TRACK_HZ
    return MouthTrack(
        open=np.interp(times, grid, smooth_open, left=0.0, right=0.0).astype(np.float32),
        round=np.interp(times, grid, smooth_round, left=0.0, right=0.0).astype(np.float32),
    )


def activity(speech: Speech | None, n_frames: int, fps: float) -> np.ndarray:
    """0 (silence) .. 1 (speaking) per frame, smoothed over about half a second."""
    if speech is None or speech.duration <= 0:
        return np.zeros(n_frames, np.float32)
    env = loudness(speech.samples, speech.sample_rate)
    speaking = _gaussian((env > SILENT_LOUDNESS).astype(np.float32), 0.25 * TRACK_HZ)
    times = (np.arange(n_frames) + 0.5) / fps
    level = np.interp(times, np.arange(len(env)) / TRACK_HZ, speaking, right=0.0) * 1.6
    out: np.ndarray = np.clip(level, 0, 1).astype(np.float32)
    return out


def blink_track(n_frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Eyelid closure 0..1 per frame: a ~0.28 s blink every 2.2-5 s."""
    out = np.zeros(n_frames, np.float32)
    shape_t = np.array([0.0, 0.04, 0.08, 0.12, 0.17, 0.23, 0.28])
    shape_v = np.array([0.0, 0.55, 1.0, 1.0, 0.55, 0.15, 0.0])
    t = rng.uniform(0.6, 2.0)
    frame_times = np.arange(n_frames) / fps
    while t < n_frames / fps:
        out = np.maximum(out, np.interp(frame_times - t, shape_t, shape_v, left=0.0, right=0.0))
        t += rng.uniform(*BLINK_GAP_S)
    return out.astype(np.float32)


@dataclass
class HeadTrack:
    theta: np.ndarray
    """Roll in degrees."""
    dx: np.ndarray
    """Horizontal shift, as a share of the face width."""
    dy: np.ndarray
    """Vertical shift, as a share of the face width."""


def head_track(n_frames: int, fps: float, speaking: np.ndarray, rng: np.random.Generator) -> HeadTrack:
    """Slow sums of sines (about +-1.5 degrees, a few px) scaled down to STILL_SWAY in silence."""
    t = np.arange(n_frames) / fps
    phase = rng.uniform(0, 2 * np.pi, 5)
    amount = STILL_SWAY + (1.0 - STILL_SWAY) * _gaussian(speaking, 0.3 * fps)
    theta = 1.0 * np.sin(2 * np.pi * 0.19 * t + phase[0]) + 0.45 * np.sin(2 * np.pi * 0.43 * t + phase[1])
    dx = 0.012 * np.sin(2 * np.pi * 0.11 * t + phase[2]) + 0.006 * np.sin(2 * np.pi * 0.37 * t + phase[3])
    dy = 0.006 * np.sin(2 * np.pi * 0.27 * t + phase[4]) + 0.01 * _gaussian(speaking, 0.2 * fps)
    return HeadTrack((theta * amount).astype(np.float32), (dx * amount).astype(np.float32),
                     (dy * amount).astype(np.float32))
