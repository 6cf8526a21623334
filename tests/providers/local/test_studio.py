from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest

from avatar_mcp.errors import MediaRejected
from avatar_mcp.providers.local import speech as speech_mod
from avatar_mcp.providers.local.encode import write_wav
from avatar_mcp.providers.local.layout import card_box, crop_transform, face_crop
from avatar_mcp.providers.local.studio import (
    BackgroundPlan,
    Footage,
    Portrait,
    RenderCancelled,
    RenderPlan,
    ScenePlan,
    prepare_footage,
    probe_video,
    render,
)
from avatar_mcp.providers.local.tracks import frame_loudness

from . import _video
from .conftest import PORTRAITS, SCRIPT

pytestmark = pytest.mark.render

W, H, FPS = 320, 180, 15
DATA = Path(__file__).resolve().parents[2] / "data"


def _mouth_box(portrait: Portrait, width: int, height: int) -> tuple[int, int, int, int]:
    """Where the layout puts the portrait's mouth and chin in the frame (the region the rig animates)."""
    box = card_box("normal", width, height)
    image_h, image_w = portrait.image.shape[:2]
    crop = face_crop(portrait.points, "normal", box.w / box.h, image_w, image_h)
    x0, y0, sx, sy = crop_transform(crop, (box.w, box.h))
    points = (portrait.points - [x0, y0]) * [sx, sy] + [box.x, box.y]
    lo, hi = points[48:68].min(0), points[48:68].max(0)
    pad = (hi - lo) * 0.25
    return int(lo[0] - pad[0]), int(lo[1] - pad[1]), int(hi[0] + pad[0]) + 1, int(points[8, 1]) + 1


def _bgr(hex_colour: str) -> np.ndarray:
    value = hex_colour.lstrip("#")
    return np.array([int(value[4:6], 16), int(value[2:4], 16), int(value[0:2], 16)], float)


def _corners(frame: np.ndarray) -> list[np.ndarray]:
    return [frame[2:8, 2:8].reshape(-1, 3).mean(0), frame[2:8, -8:-2].reshape(-1, 3).mean(0),
            frame[-8:-2, 2:8].reshape(-1, 3).mean(0), frame[-8:-2, -8:-2].reshape(-1, 3).mean(0)]


def test_render_writes_h264_and_aac_lasting_the_speech(tmp_path, portrait, espeak_speech):
    out = render(RenderPlan([ScenePlan(portrait, espeak_speech)], W, H, tmp_path / "talk.mp4", fps=FPS))
    info = _video.streams(out.video_path)
    assert (info.video, info.audio) == ("h264", "aac")
    assert (info.width, info.height) == (W, H)
    assert abs(info.duration - espeak_speech.duration) < 0.05 * espeak_speech.duration
    assert abs(out.duration_seconds - espeak_speech.duration) < 1.0 / FPS
    assert out.frames == len(_video.frames(out.video_path, W, H))
    assert out.thumbnail_path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert out.captions_path == tmp_path / "talk.srt"


def test_mouth_moves_while_speaking_and_rests_in_a_silence_scene(tmp_path, portrait, espeak_speech):
    scenes = [ScenePlan(portrait, espeak_speech), ScenePlan(portrait, None, silence_seconds=1.5)]
    out = render(RenderPlan(scenes, W, H, tmp_path / "talk.mp4", fps=FPS))
    clip = _video.frames(out.video_path, W, H)
    cut = round(espeak_speech.duration * FPS)
    change = _video.region_change(clip, _mouth_box(portrait, W, H))
    speaking = change[: cut - 1]
    silent = change[cut + 1:]
    assert speaking.mean() > 1.5
    assert silent.mean() < 0.25 * speaking.mean()
    assert np.percentile(silent, 90) < 1.0  # the encoder may refresh a skipped block once in a while
    assert _video.streams(out.video_path).audio == "aac"


def test_mouth_is_not_late_against_the_sound(tmp_path, portrait, espeak_speech):
    fps = 25
    silence = ScenePlan(portrait, None, silence_seconds=1.0)
    out = render(RenderPlan([silence, ScenePlan(portrait, espeak_speech)], 480, 270, tmp_path / "sync.mp4", fps=fps))
    clip = _video.frames(out.video_path, 480, 270).astype(np.float32)
    x0, y0, x1, y1 = _mouth_box(portrait, 480, 270)
    closed = clip[fps // 2, y0:y1, x0:x1]
    opening = np.abs(clip[:, y0:y1, x0:x1] - closed).mean(axis=(1, 2, 3))
    sound = _video.audio(out.video_path)
    loud = frame_loudness(sound, 16000, len(clip), fps)
    lags = range(-4, 5)
    scores = [np.corrcoef(loud[max(0, -lag):len(loud) - max(0, lag)],
                          opening[max(0, lag):len(opening) - max(0, -lag)])[0, 1] for lag in lags]
    best = list(lags)[int(np.argmax(scores))]
    assert max(scores) > 0.5
    assert -2 <= best <= 0, f"mouth lag {best} frames (positive = late), correlations {np.round(scores, 2)}"


def test_captions_srt_matches_the_script_and_is_burnt_in(tmp_path, portrait, espeak_speech):
    plain = render(RenderPlan([ScenePlan(portrait, espeak_speech)], W, H, tmp_path / "plain.mp4", fps=FPS))
    burnt = render(RenderPlan([ScenePlan(portrait, espeak_speech)], W, H, tmp_path / "burnt.mp4", fps=FPS,
                              captions=True))
    blocks = burnt.captions_path.read_text(encoding="utf-8").strip().split("\n\n")
    texts = [block.split("\n", 2)[2] for block in blocks]
    assert " ".join(texts).split() == SCRIPT.split()
    assert all(" --> " in block.split("\n")[1] for block in blocks)
    assert plain.captions_path.read_text(encoding="utf-8") == burnt.captions_path.read_text(encoding="utf-8")
    middle = len(_video.frames(plain.video_path, W, H)) // 2
    band = slice(H - 40, H)
    without = _video.frames(plain.video_path, W, H)[middle, band].astype(float)
    with_text = _video.frames(burnt.video_path, W, H)[middle, band].astype(float)
    assert np.abs(with_text - without).mean() > 5
    assert (with_text.min(axis=2) > 220).sum() > 20, "white caption text is drawn"


def test_colour_background_fills_the_corners(tmp_path, portrait, espeak_speech):
    plan = RenderPlan([ScenePlan(portrait, espeak_speech, background=BackgroundPlan("color", color="#20a040"))],
                      W, H, tmp_path / "green.mp4", fps=FPS)
    frame = _video.frames(render(plan).video_path, W, H)[3]
    for corner in _corners(frame):
        assert np.abs(corner - _bgr("#20a040")).max() < 12


def test_image_background_covers_the_frame(tmp_path, portrait, espeak_speech):
    from PIL import Image

    image = Image.new("RGB", (400, 400), (200, 40, 40))
    image.paste((40, 40, 200), (200, 0, 400, 400))
    image.save(tmp_path / "split.png")
    background = BackgroundPlan("image", path=tmp_path / "split.png", fit="cover")
    frame = _video.frames(render(RenderPlan([ScenePlan(portrait, espeak_speech, background=background)], W, H,
                                            tmp_path / "img.mp4", fps=FPS)).video_path, W, H)[3]
    top_left, top_right, _, _ = _corners(frame)
    assert np.abs(top_left - [40, 40, 200]).max() < 15
    assert np.abs(top_right - [200, 40, 40]).max() < 15


def test_contain_fit_pads_with_the_scene_colour(tmp_path, portrait, espeak_speech):
    from PIL import Image

    Image.new("RGB", (100, 100), (250, 250, 250)).save(tmp_path / "square.png")
    background = BackgroundPlan("image", color="#000080", path=tmp_path / "square.png", fit="contain")
    frame = _video.frames(render(RenderPlan([ScenePlan(portrait, espeak_speech, background=background, scale=0.3,
                                                       offset_x=0.35)], W, H, tmp_path / "pad.mp4",
                                            fps=FPS)).video_path, W, H)[3]
    assert np.abs(frame[H // 2, 5] - _bgr("#000080")).max() < 15
    assert frame[H // 2, W // 2 - 40].min() > 230


def test_video_background_plays_behind_the_avatar(tmp_path, portrait, espeak_speech):
    clip = _video.make_video(tmp_path / "bg.mp4", "color=c=0x3060c0:s=160x90:r=25", 1.0, size="160x90")
    background = BackgroundPlan("video", path=clip, fit="cover", play_style="loop")
    frames = _video.frames(render(RenderPlan([ScenePlan(portrait, espeak_speech, background=background)], W, H,
                                             tmp_path / "vbg.mp4", fps=FPS)).video_path, W, H)
    for index in (2, len(frames) - 2):
        for corner in _corners(frames[index]):
            assert np.abs(corner - _bgr("#3060c0")).max() < 15


def test_scenes_play_in_order(tmp_path, portrait, espeak_speech):
    red = BackgroundPlan("color", color="#c02020")
    blue = BackgroundPlan("color", color="#2020c0")
    scenes = [ScenePlan(portrait, None, silence_seconds=1.0, background=red),
              ScenePlan(portrait, espeak_speech, background=blue, style="circle")]
    out = render(RenderPlan(scenes, W, H, tmp_path / "order.mp4", fps=FPS))
    frames = _video.frames(out.video_path, W, H)
    assert len(frames) == FPS + round(espeak_speech.duration * FPS)
    assert np.abs(_corners(frames[FPS - 2])[0] - _bgr("#c02020")).max() < 15
    assert np.abs(_corners(frames[FPS + 2])[0] - _bgr("#2020c0")).max() < 15
    srt = out.captions_path.read_text(encoding="utf-8")
    first_start = srt.split("\n")[1].split(" --> ")[0]
    assert first_start >= "00:00:01,000", "caption times are offset by the scene start"


def test_cancel_stops_the_render_and_leaves_no_file(tmp_path, portrait, espeak_speech):
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 5

    progress: list[tuple[int, int]] = []
    target = tmp_path / "cancel.mp4"
    with pytest.raises(RenderCancelled):
        render(RenderPlan([ScenePlan(portrait, espeak_speech)], W, H, target, fps=FPS),
               on_progress=lambda done, total: progress.append((done, total)), should_stop=should_stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert len(calls) == 6


def test_progress_is_reported_every_ten_frames(tmp_path, portrait, espeak_speech):
    progress: list[tuple[int, int]] = []
    out = render(RenderPlan([ScenePlan(portrait, espeak_speech)], W, H, tmp_path / "p.mp4", fps=FPS),
                 on_progress=lambda done, total: progress.append((done, total)))
    assert progress[-1] == (out.frames, out.frames)
    assert all(b[0] - a[0] <= 10 for a, b in itertools.pairwise(progress))


@pytest.mark.parametrize(("fmt", "video", "audio"), [("webm", "vp9", "opus"), ("mov", "h264", "aac")])
def test_other_formats_have_the_expected_codecs(tmp_path, portrait, espeak_speech, fmt, video, audio):
    out = render(RenderPlan([ScenePlan(portrait, espeak_speech, style="closeUp")], W, H, tmp_path / f"v.{fmt}",
                            fps=FPS, output_format=fmt))
    info = _video.streams(out.video_path)
    assert (info.video, info.audio) == (video, audio)
    assert abs(info.duration - espeak_speech.duration) < 0.05 * espeak_speech.duration + 0.05


def test_user_audio_drives_the_mouth(tmp_path, portrait, espeak_speech):
    wav = tmp_path / "voice.wav"
    write_wav(wav, espeak_speech.samples, espeak_speech.sample_rate)
    audio = speech_mod.load_audio(wav)
    scenes = [ScenePlan(portrait, audio), ScenePlan(portrait, None, silence_seconds=1.0)]
    out = render(RenderPlan(scenes, W, H, tmp_path / "user.mp4", fps=FPS))
    assert out.captions_path is None
    change = _video.region_change(_video.frames(out.video_path, W, H), _mouth_box(portrait, W, H))
    cut = round(audio.duration * FPS)
    assert change[: cut - 1].mean() > 4 * change[cut + 1:].mean()


def _footage_clip(tmp_path: Path, name: str = "twin.mp4", *, faces: int = 1) -> Path:
    """A 2-second 'talking head' made from the portrait, drifting and zooming a little."""
    inputs = ["-loop", "1", "-i", str(PORTRAITS / "grace_hopper.jpg")]
    move = "scale=w='2*trunc(iw*(1+0.04*sin(t*3))/2)':h=-2:eval=frame,crop=480:560"
    layout = "pad=640:560:80:0:color=gray[v]" if faces == 1 else "split[a][b];[a][b]hstack[v]"
    graph = f"[0:v]{move},{layout}"
    cmd = [_video.FFMPEG, "-loglevel", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]",
           "-t", "2", "-r", "25", "-pix_fmt", "yuv420p", "-c:v", "libx264", str(tmp_path / name)]
    subprocess.run(cmd, check=True)
    return tmp_path / name


def test_digital_twin_footage_is_prepared_saved_and_rendered_with_portraits(tmp_path, portrait, espeak_speech):
    progress: list[float] = []
    footage = prepare_footage(_footage_clip(tmp_path), on_progress=progress.append, max_seconds=1.6,
                              work_dir=tmp_path / "work")
    assert footage.frames == 40 and footage.landmarks.shape == (40, 68, 2)
    assert progress[-1] == 1.0 and progress == sorted(progress)
    footage.save(tmp_path / "saved")
    loaded = Footage.load(tmp_path / "saved")
    assert loaded.frames == footage.frames and loaded.reference_index == footage.reference_index
    info = probe_video(loaded.video_path)
    assert not info.has_audio and abs(info.duration - 1.6) < 0.1
    scenes = [ScenePlan(loaded, espeak_speech), ScenePlan(portrait, None, silence_seconds=1.0),
              ScenePlan(loaded, None, silence_seconds=1.0, style="circle")]
    out = render(RenderPlan(scenes, W, H, tmp_path / "twin-out.mp4", fps=FPS))
    streams = _video.streams(out.video_path)
    assert (streams.video, streams.audio) == ("h264", "aac")
    assert abs(streams.duration - (espeak_speech.duration + 2.0)) < 0.15


def test_footage_without_exactly_one_face_is_rejected(tmp_path):
    flat = _video.make_video(tmp_path / "flat.mp4", "color=c=gray:s=320x240:r=25", 1.0)
    with pytest.raises(MediaRejected, match="no face"):
        prepare_footage(flat)
    with pytest.raises(MediaRejected, match="2 faces"):
        prepare_footage(_footage_clip(tmp_path, "two.mp4", faces=2))


def test_probe_video_reads_videos_and_rejects_images():
    info = probe_video(DATA / "tiny.mp4")
    assert (info.width, info.height, info.has_audio) == (160, 90, True)
    assert info.duration > 0.5 and info.fps == 10
    with pytest.raises(MediaRejected):
        probe_video(DATA / "tiny.jpg")
