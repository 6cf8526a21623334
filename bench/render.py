"""Benchmark the local studio: a ~20 s English script, 1280x720 at 25 fps, from a bundled portrait.

    python bench/render.py [--runs 3] [--size 1280x720] [--fps 25] [--voice ID] [--preset veryfast] [--crf 23]

Run 1 is cold (fresh process: numpy/OpenCV imports, Piper voice and dlib model loads); later runs are warm,
as in a long-running server. Prints per run the wall time split (imports, TTS incl. model load, landmarks,
render+encode),
the real-time factor (audio seconds / wall seconds), CPU seconds, peak RSS (this process plus its largest
ffmpeg child, from resource.getrusage) and the measured lag of the mouth against the audio loudness.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRIPT = (
    "Hello and welcome to our quarterly product update. My name is Alex, and today I will walk you through "
    "three new features that our team shipped this month. First, reports now load twice as fast. Second, you "
    "can share dashboards with a single link. Finally, we added dark mode, which many of you requested. "
    "Thanks for watching, and see you again next time. Goodbye for now."
)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_rss_mb() -> tuple[float, float]:
    """getrusage peaks of this process and of its largest waited-for child.

    On Linux a child spawned with vfork/fork inherits the parent's resident pages until it execs, and the
    kernel keeps that high-water mark: the child figure is then about the parent's size, not ffmpeg's.
    ChildWatch below reads ffmpeg's own peak (VmHWM) from /proc instead.
    """
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


class ChildWatch:
    """Polls /proc for this process's children and keeps the largest VmHWM (peak RSS after exec) seen."""

    def __init__(self, interval: float = 0.05) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ChildWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(self._interval):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    if stat.rsplit(")", 1)[1].split()[1] != me:
                        continue
                    for line in (entry / "status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
                except (OSError, IndexError, ValueError):
                    continue


def mouth_lag(video: Path, portrait, width: int, height: int, fps: int) -> tuple[int, float]:
    """Best lag (frames; negative = mouth early) between mouth-region change and audio loudness, and its r."""
    import imageio_ffmpeg
    import numpy as np

    from avatar_mcp.providers.local.layout import card_box, crop_transform, face_crop
    from avatar_mcp.providers.local.tracks import frame_loudness

    box = card_box("normal", width, height)
    crop = face_crop(portrait.points, "normal", box.w / box.h, portrait.image.shape[1], portrait.image.shape[0])
    x0, y0, sx, sy = crop_transform(crop, (box.w, box.h))
    points = (portrait.points - [x0, y0]) * [sx, sy] + [box.x, box.y]
    lo, hi = points[48:68].min(0), points[48:68].max(0)
    pad = (hi - lo) * 0.25
    mx0, my0 = int(lo[0] - pad[0]) // 2 * 2, int(lo[1] - pad[1]) // 2 * 2
    mw, mh = (int(hi[0] + pad[0]) - mx0) // 2 * 2, (int(points[8, 1]) - my0) // 2 * 2
    ff = imageio_ffmpeg.get_ffmpeg_exe()
    raw = subprocess.run([ff, "-loglevel", "error", "-i", str(video), "-vf", f"crop={mw}:{mh}:{mx0}:{my0}",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    clip = np.frombuffer(raw, np.uint8).reshape(-1, mh, mw).astype(np.float32)
    sound = np.frombuffer(subprocess.run([ff, "-loglevel", "error", "-i", str(video), "-vn", "-ac", "1", "-ar",
                                          "16000", "-f", "f32le", "-"], capture_output=True, check=True).stdout,
                          np.float32)
    loud = frame_loudness(sound, 16000, len(clip), fps)
    quiet = loud <= np.percentile(loud, 5)
    rest = np.median(clip[quiet], axis=0)  # the mouth at rest: frames in the pauses
    opening = np.abs(clip - rest).mean(axis=(1, 2))
    scores = {}
    for lag in range(-5, 6):
        a = loud[max(0, -lag):len(loud) - max(0, lag)]
        b = opening[max(0, lag):len(opening) - max(0, -lag)]
        scores[lag] = float(np.corrcoef(a, b)[0, 1])
    best = max(scores, key=lambda k: scores[k])
    return best, scores[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="run 1 is cold, the rest warm (default 3)")
    parser.add_argument("--portrait", type=Path, default=ROOT / "avatar_mcp/assets/portraits/grace_hopper.jpg")
    parser.add_argument("--script", type=Path, help="text file to speak (default: a built-in ~20 s script)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--voice", help="local voice id (default: the studio's default voice)")
    parser.add_argument("--preset", default=None, help="x264 preset (default: the studio's)")
    parser.add_argument("--crf", type=int, default=None)
    parser.add_argument("--captions", action="store_true", help="burn captions in")
    parser.add_argument("--out", type=Path, default=None, help="keep outputs in this directory")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "avatar-mcp-bench-cache",
                        help="where the alignment-patched Piper model is cached (made once)")
    parser.add_argument("--no-lag", action="store_true", help="skip the mouth/audio lag measurement")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    text = args.script.read_text(encoding="utf-8").strip() if args.script else SCRIPT
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="avatar-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    patched = any(args.cache_dir.glob("piper/*.onnx"))

    from avatar_mcp.providers.local import speech  # cheap: no numpy yet

    voice = args.voice or speech.default_voice_id()
    print(f"voice={voice} size={width}x{height} fps={args.fps} cores={os.cpu_count()} "
          f"load={os.getloadavg()[0]:.2f} piper-model-cached={patched}")
    for run in range(1, args.runs + 1):
        cpu0 = _cpu()
        kids_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        kids_cpu0 = kids_usage.ru_utime + kids_usage.ru_stime
        t_import = time.perf_counter()
        from avatar_mcp.providers.local import face, studio  # numpy, OpenCV: paid by the first render only

        t0 = time.perf_counter()
        imports = t0 - t_import
        spoken = speech.synthesize(text, voice, cache_dir=args.cache_dir)
        t1 = time.perf_counter()
        portrait = studio.Portrait.from_image(face.load_image(args.portrait))
        t2 = time.perf_counter()
        settings = studio.EncodeSettings()
        if args.preset or args.crf is not None:
            settings = studio.EncodeSettings(preset=args.preset or settings.preset,
                                             crf=settings.crf if args.crf is None else args.crf)
        plan = studio.RenderPlan([studio.ScenePlan(portrait, spoken)], width, height, out_dir / f"run{run}.mp4",
                                 fps=args.fps, captions=args.captions, encode=settings)
        with ChildWatch() as watch:
            output = studio.render(plan)
        t3 = time.perf_counter()
        cpu_kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = t3 - t_import
        own, kids = _peak_rss_mb()
        lag = "" if args.no_lag else "lag={}f (r={:.2f}) ".format(*mouth_lag(output.video_path, portrait, width,
                                                                            height, args.fps))
        print(f"run {run} ({'cold' if run == 1 else 'warm'}): audio={spoken.duration:.2f}s "
              f"imports={imports:.2f}s tts={t1 - t0:.2f}s landmarks={t2 - t1:.2f}s "
              f"render+encode={t3 - t2:.2f}s total={wall:.2f}s "
              f"realtime={spoken.duration / wall:.2f}x cpu={_cpu() - cpu0:.2f}s "
              f"(ffmpeg {cpu_kids.ru_utime + cpu_kids.ru_stime - kids_cpu0:.2f}s) {lag}"
              f"peak_rss: python={own:.0f}MB ffmpeg={watch.peak_mb:.0f}MB sum={own + watch.peak_mb:.0f}MB "
              f"(getrusage children={kids:.0f}MB) "
              f"size={output.video_path.stat().st_size / 1e6:.1f}MB frames={output.frames}")
    print(f"outputs in {out_dir}")


if __name__ == "__main__":
    main()
