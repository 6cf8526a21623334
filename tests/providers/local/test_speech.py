from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from avatar_mcp.errors import MediaRejected, RenderError
from avatar_mcp.providers.local import _piper, speech

from .conftest import SCRIPT

DATA = Path(__file__).resolve().parents[2] / "data"
PIPER = speech._piper_entries()


def _dominant_pitch(samples: np.ndarray, rate: int) -> float:
    """Median autocorrelation pitch (Hz) of the loudest 40 ms frames."""
    size = int(0.04 * rate)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    loud = frames[np.argsort((frames ** 2).mean(1))[-30:]]
    lo, hi = rate // 400, rate // 60
    pitches = []
    for frame in loud:
        frame = frame - frame.mean()
        corr = np.correlate(frame, frame, "full")[size - 1:]
        pitches.append(rate / (lo + int(np.argmax(corr[lo:hi]))))
    return float(np.median(pitches))


def test_voices_are_listed_without_importing_numpy_or_engines():
    code = ("import sys; from avatar_mcp.providers.local import speech; v = speech.voices(); "
            "print(sorted(m for m in ('numpy', 'cv2', 'dlib', 'piper', 'onnxruntime') if m in sys.modules)); "
            "print(len(v))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert int(out[1]) >= 2


def test_espeak_voices_include_us_english_male_and_female():
    espeak = [v for v in speech.voices() if v.engine == "espeak" and v.language == "en-US"]
    assert {v.gender for v in espeak} >= {"male", "female"}


def test_default_voice_follows_gender_and_language():
    assert speech.default_voice_id("female") == "espeak-en-us-female"
    assert speech.default_voice_id("male", "fr") == "espeak-fr-male"
    expected_male = "piper-joe-en-us" if PIPER else "espeak-en-us-male"
    assert speech.default_voice_id() == expected_male
    assert speech.default_voice_id("male", "en-US") == expected_male


def test_espeak_words_match_the_script_as_written(espeak_speech):
    assert [w for w, _, _ in espeak_speech.words] == SCRIPT.split()
    starts = [s for _, s, _ in espeak_speech.words]
    assert starts == sorted(starts)
    assert all(s <= e <= espeak_speech.duration + 0.01 for _, s, e in espeak_speech.words)
    assert espeak_speech.phonemes and espeak_speech.samples.dtype == np.float32


def test_espeak_speaks_when_piper_is_not_installed():
    code = ("import sys; sys.modules['piper'] = None; from pathlib import Path; "
            "from avatar_mcp.providers.local import speech; "
            "assert all(v.engine == 'espeak' for v in speech.voices()); "
            "vid = speech.default_voice_id(); "
            "s = speech.synthesize('Still talking without piper.', vid, cache_dir=Path('/nonexistent')); "
            "print(vid, round(s.duration, 2), ' '.join(w for w, _, _ in s.words))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "espeak-en-us-male"
    assert float(out[1]) > 0.5
    assert out[2:] == ["Still", "talking", "without", "piper."]


def test_speed_changes_duration_on_espeak():
    text = "This sentence is spoken at three different speeds."
    durations = [speech.synthesize(text, "espeak-en-us-male", speed=s, cache_dir=Path("/x")).duration
                 for s in (0.5, 1.0, 1.5)]
    assert durations[0] > 1.5 * durations[1]
    assert durations[2] < 0.8 * durations[1]


def test_pitch_raises_the_espeak_voice():
    text = "Listen to how high or low this voice sounds."
    low = speech.synthesize(text, "espeak-en-us-male", pitch=-50, cache_dir=Path("/x"))
    high = speech.synthesize(text, "espeak-en-us-male", pitch=50, cache_dir=Path("/x"))
    assert _dominant_pitch(high.samples, high.sample_rate) > 1.2 * _dominant_pitch(low.samples, low.sample_rate)


@pytest.mark.skipif(not PIPER, reason="piper or its voice package is not installed")
def test_piper_words_match_the_script_and_speed_changes_duration(cache_dir):
    text = "Welcome back! Today we look at three numbers, 12, 40 and 2024."
    normal = speech.synthesize(text, "piper-joe-en-us", cache_dir=cache_dir)
    assert [w for w, _, _ in normal.words] == text.split()
    assert normal.sample_rate == 22050 and normal.phonemes
    assert list(cache_dir.glob("piper/*.aligned-*.onnx")), "the patched model is cached"
    fast = speech.synthesize(text, "piper-joe-en-us", speed=1.5, cache_dir=cache_dir)
    slow = speech.synthesize(text, "piper-joe-en-us", speed=0.5, cache_dir=cache_dir)
    assert fast.duration < 0.8 * normal.duration < 0.8 * 0.8 * slow.duration


@pytest.mark.skipif(not PIPER, reason="piper or its voice package is not installed")
def test_piper_pitch_moves_the_voice_but_keeps_the_length(cache_dir):
    text = "Listen to how high or low this voice sounds."
    low = speech.synthesize(text, "piper-joe-en-us", pitch=-50, cache_dir=cache_dir)
    high = speech.synthesize(text, "piper-joe-en-us", pitch=50, cache_dir=cache_dir)
    assert _dominant_pitch(high.samples, high.sample_rate) > 1.2 * _dominant_pitch(low.samples, low.sample_rate)
    assert abs(high.duration - low.duration) < 0.2 * low.duration
    assert high.words[-1][2] <= high.duration + 0.01


def test_unknown_voice_is_refused_naming_the_valid_ids():
    with pytest.raises(RenderError) as caught:
        speech.synthesize("Hi.", "no-such-voice", cache_dir=Path("/x"))
    assert "espeak-en-us-female" in str(caught.value)


def test_empty_script_is_refused():
    with pytest.raises(RenderError):
        speech.synthesize("   ", "espeak-en-us-male", cache_dir=Path("/x"))


def test_load_audio_decodes_the_audio_of_a_video_without_words():
    audio = speech.load_audio(DATA / "tiny.mp4")
    assert audio.sample_rate == speech.AUDIO_SAMPLE_RATE
    assert audio.samples.dtype == np.float32 and audio.duration > 0.5
    assert audio.phonemes == [] and audio.words == []


def test_load_audio_rejects_silence(tmp_path):
    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000)
    with pytest.raises(MediaRejected, match="silent"):
        speech.load_audio(path)


def test_load_audio_rejects_files_without_audio(tmp_path):
    with pytest.raises(MediaRejected):
        speech.load_audio(DATA / "tiny.jpg")
    garbage = tmp_path / "noise.mp3"
    garbage.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(MediaRejected):
        speech.load_audio(garbage)


@pytest.mark.skipif(not PIPER, reason="piper or its voice package is not installed")
def test_a_damaged_prepared_voice_is_prepared_again(tmp_path: Path) -> None:
    """A prepared graph that cannot be opened (a disk trouble, a copied data dir) is made again, not a dead voice."""
    model, _ = _piper._package_paths(_piper.PiperPackage(PIPER[0].module))
    damaged = _piper._prepared_path(model, tmp_path)
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"half a file")
    assert _piper._session(model, tmp_path).get_outputs()
    assert damaged.stat().st_size > 1_000_000


def test_the_studios_notes_name_every_language_its_voices_speak():
    # list_providers' notes are what a model reads to choose the studio; they once said "English voices" only.
    from avatar_mcp.providers.local.provider import NOTES

    for voice in speech._ESPEAK:
        language = voice.voice.name.replace(" male", "").replace(" female", "").split()[-1]
        assert language in NOTES, voice.voice.voice_id
