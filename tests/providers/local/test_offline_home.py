"""The offline studio writes nothing outside its data dir: no onnxruntime telemetry under ~/.cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SETTINGS_ENV

SPEAK = """
from pathlib import Path
import sys
from avatar_mcp.providers.local import speech
out = Path(sys.argv[1])
speech.synthesize("Hello from the offline studio.", "piper-joe-en-us", cache_dir=out)
"""


@pytest.mark.render
def test_a_piper_voice_leaves_the_home_folder_untouched(tmp_path: Path) -> None:
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV and not k.startswith(("ORT_", "XDG_"))}
    done = subprocess.run([sys.executable, "-c", SPEAK, str(cache)], env={**env, "HOME": str(home)},
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert list(home.rglob("*")) == []
    assert list(cache.iterdir())
