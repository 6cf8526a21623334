"""espeak-ng through ctypes: PCM plus timed word and phoneme events.

The library and its data come from the espeakng-loader wheel, or from a system libespeak-ng. espeak-ng keeps
global state, so every call holds one module lock; synthesis runs at several hundred times real time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avatar_mcp.errors import RenderError

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EV_LIST_TERMINATED = 0
_EV_WORD = 1
_EV_END = 5
_EV_MSG_TERMINATED = 6
_EV_PHONEME = 7

DEFAULT_RATE_WPM = 165
"""espeak-ng's words per minute at speed 1.0 (its own default, 175, sounds hurried)."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class EspeakResult:
    samples: np.ndarray  # float32 mono
    sample_rate: int
    phonemes: list[tuple[str, float, float]]  # IPA phoneme, start, end; "_" is a pause
    word_events: list[tuple[int, float]]  # (0-based character offset into the text, start time)
    end_time: float


_LOCK = threading.Lock()
_STATE: dict[str, object] = {}


def _library() -> tuple[ctypes.CDLL, int]:
    """Load and initialise libespeak-ng once (caller holds _LOCK)."""
    if "lib" in _STATE:
        return _STATE["lib"], _STATE["rate"]  # type: ignore[return-value]
    lib_path: str | None
    data_parent: bytes | None
    try:
        import espeakng_loader

        lib_path = espeakng_loader.get_library_path()
        data_parent = str(Path(espeakng_loader.get_data_path()).parent).encode()
    except ImportError:
        lib_path = ctypes.util.find_library("espeak-ng")
        data_parent = None
    if lib_path is None:
        raise RenderError("espeak-ng is not available: install the 'local' extra (espeakng-loader).")
    try:
        lib = ctypes.CDLL(lib_path)
    except OSError as exc:
        raise RenderError(f"espeak-ng could not be loaded from {lib_path}: {exc}") from exc
    lib.espeak_Initialize.restype = ctypes.c_int
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent,
                                 _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA)
    if rate <= 0:
        raise RenderError("espeak-ng failed to initialise (its data files may be missing).")
    _STATE["lib"], _STATE["rate"] = lib, rate
    return lib, rate


def synthesize(text: str, voice_name: str, *, rate_wpm: int, pitch: int) -> EspeakResult:
    """Speak `text` with espeak-ng voice `voice_name` (e.g. "en-us+f3"); pitch is espeak's 0..100."""
    raw = text.encode("utf-8")
    chunks: list[np.ndarray] = []
    events: list[tuple[int, int, int, str]] = []  # (type, text_position, sample, phoneme)

    def on_audio(wav: ctypes._Pointer[ctypes.c_short], count: int, ev: ctypes._Pointer[_Event]) -> int:
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while ev[i].type != _EV_LIST_TERMINATED:
            e = ev[i]
            name = e.id.string.decode("utf-8", "ignore") if e.type == _EV_PHONEME else ""
            events.append((e.type, e.text_position, e.sample, name))
            i += 1
        return 0

    callback = _CALLBACK(on_audio)
    with _LOCK:
        lib, sample_rate = _library()
        if lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
            raise RenderError(f"espeak-ng has no voice {voice_name!r}.")
        lib.espeak_SetParameter(_PARAM_RATE, int(np.clip(rate_wpm, 80, 450)), 0)
        lib.espeak_SetParameter(_PARAM_PITCH, int(np.clip(pitch, 0, 100)), 0)
        lib.espeak_SetSynthCallback(callback)
        status = lib.espeak_Synth(raw, len(raw) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
    if status != 0:
        raise RenderError(f"espeak-ng could not synthesise this text (status {status}).")
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    samples = (pcm.astype(np.float32) / 32768.0).clip(-1.0, 1.0)
    end_time = len(samples) / sample_rate
    return EspeakResult(
        samples=samples,
        sample_rate=sample_rate,
        phonemes=_phonemes(events, sample_rate, end_time),
        word_events=[(pos - 1, sample / sample_rate) for kind, pos, sample, _ in events if kind == _EV_WORD],
        end_time=end_time,
    )


def _phonemes(events: list[tuple[int, int, int, str]], rate: int, end_time: float) -> list[tuple[str, float, float]]:
    """Phoneme events carry start times only: each ends where the next event (of any kind) starts."""
    marks = [(sample / rate, kind, name) for kind, _, sample, name in events
             if kind in (_EV_PHONEME, _EV_WORD, _EV_END, _EV_MSG_TERMINATED)]
    out: list[tuple[str, float, float]] = []
    for i, (start, kind, name) in enumerate(marks):
        if kind != _EV_PHONEME:
            continue
        end = next((t for t, _, _ in marks[i + 1:] if t > start), end_time)
        out.append((name or "_", start, min(end, end_time)))
    return out
