"""Piper neural TTS with phoneme alignments, for the bundled voice packages.

Alignments need the voice model patched once (its `w_ceil` tensor made a graph output). It is patched in
memory and handed to onnxruntime, which saves its optimised graph under the caller's cache directory (in the data
dir: the studio writes nothing outside it): a new process then opens the voice from that file in ~0.15 s of CPU
instead of ~1 s, without the `onnx` round trip (the optimisation level is EXTENDED, which holds no
hardware-specific kernels). A file that cannot be opened is prepared again. Loaded voices stay in a module-level
cache shared by render threads.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avatar_mcp.errors import RenderError

STRESS_MARKS = frozenset("ˈˌ")
LENGTH_MARK = "ː"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PiperPackage:
    """A pip-installed piper voice: the module exposes model_path() and config_path()."""

    module: str


@dataclass
class PiperResult:
    samples: np.ndarray
    sample_rate: int
    phonemes: list[tuple[str, float, float]]


class _LoadedVoice:
    def __init__(self, voice: Any) -> None:
        self.voice = voice
        self.lock = threading.Lock()


_CACHE_LOCK = threading.Lock()
_VOICES: dict[str, _LoadedVoice] = {}


def _package_paths(package: PiperPackage) -> tuple[Path, Path]:
    try:
        module = importlib.import_module(package.module)
    except ImportError as exc:
        raise RenderError(f"The piper voice package {package.module!r} is not installed.") from exc
    return Path(module.model_path()), Path(module.config_path())


def _prepared_path(model: Path, cache_dir: Path) -> Path:
    """Where the aligned, optimised graph of `model` is cached (keyed by the source file and onnxruntime)."""
    import onnxruntime as ort

    stat = model.stat()
    key = hashlib.sha256(f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{ort.__version__}".encode())
    return cache_dir / "piper" / f"{model.stem}.aligned-{key.hexdigest()[:12]}.ort.onnx"


def _aligned(model: Path) -> bytes | str:
    """The model with its alignment output added, in memory (or its path when it has one already, or cannot)."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    proto = onnx.load(str(model))
    try:
        add_alignment_output(proto)
    except ValueError:
        return str(model)
    serialized: bytes = proto.SerializeToString()
    return serialized


def _session(model: Path, cache_dir: Path) -> Any:
    """An onnxruntime session for the aligned `model`: from the cached optimised graph, made on first use."""
    import onnxruntime as ort

    prepared = _prepared_path(model, cache_dir)
    options = ort.SessionOptions()
    if prepared.is_file():
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(prepared), options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file (onnxruntime raises its own types): prepare it again
            logger.warning("the prepared voice %s could not be opened; preparing it again", prepared)
            prepared.unlink(missing_ok=True)
    prepared.parent.mkdir(parents=True, exist_ok=True)
    partial = prepared.with_name(f"{prepared.name}.{os.getpid()}.{threading.get_ident()}.part")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(partial)
    session = ort.InferenceSession(_aligned(model), options, providers=["CPUExecutionProvider"])
    if partial.is_file():
        partial.replace(prepared)
    return session


def load_voice(package: PiperPackage, cache_dir: Path) -> _LoadedVoice:
    """The loaded voice for `package`, loading (and patching) it on first use."""
    with _CACHE_LOCK:
        loaded = _VOICES.get(package.module)
        if loaded is not None:
            return loaded
        from piper import PiperVoice
        from piper.config import PiperConfig

        model, config = _package_paths(package)
        settings = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        loaded = _LoadedVoice(PiperVoice(config=settings, session=_session(model, cache_dir),
                                         download_dir=cache_dir))
        _VOICES[package.module] = loaded
        return loaded


def synthesize(package: PiperPackage, text: str, *, length_scale: float, cache_dir: Path) -> PiperResult:
    """Speak `text`; `length_scale` multiplies the voice's own phoneme durations (>1 is slower)."""
    from piper import SynthesisConfig

    loaded = load_voice(package, cache_dir)
    voice = loaded.voice
    config = SynthesisConfig(length_scale=voice.config.length_scale * length_scale)
    rate = int(voice.config.sample_rate)
    pieces: list[np.ndarray] = []
    phonemes: list[tuple[str, float, float]] = []
    position = 0
    with loaded.lock:
        for chunk in voice.synthesize(text, syn_config=config, include_alignments=True):
            audio = np.asarray(chunk.audio_float_array, np.float32)
            alignments = chunk.phoneme_alignments or []
            total = sum(int(a.num_samples) for a in alignments)
            # Alignment counts are whole hops; stretch them onto the chunk if they disagree.
            scale = len(audio) / total if total else 0.0
            cursor = float(position)
            for alignment in alignments:
                span = int(alignment.num_samples) * scale
                phonemes.append((alignment.phoneme, cursor / rate, (cursor + span) / rate))
                cursor += span
            pieces.append(audio)
            position += len(audio)
    if not pieces:
        raise RenderError("Piper produced no audio for this text (nothing speakable in it?).")
    return PiperResult(samples=np.concatenate(pieces), sample_rate=rate, phonemes=merge_marks(phonemes))


def phonemize_word(package: PiperPackage, word: str, cache_dir: Path) -> str:
    """The voice's phonemes for one written word (used to place words on the phoneme timeline)."""
    voice = load_voice(package, cache_dir).voice
    return "".join("".join(sentence) for sentence in voice.phonemize(word))


def merge_marks(phonemes: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """Fold stress marks into the next phoneme and length marks into the previous one; drop BOS/EOS."""
    out: list[tuple[str, float, float]] = []
    pending: float | None = None
    for phoneme, start, end in phonemes:
        if phoneme in STRESS_MARKS:
            pending = start if pending is None else pending
            continue
        if phoneme == LENGTH_MARK and out:
            out[-1] = (out[-1][0], out[-1][1], end)
            continue
        if phoneme in ("^", "$"):
            phoneme = "_"
        if pending is not None:
            start, pending = pending, None
        out.append((phoneme, start, end))
    return out
