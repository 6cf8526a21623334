from __future__ import annotations

from pathlib import Path

import pytest

from avatar_mcp.providers.local import speech
from avatar_mcp.providers.local.face import load_image
from avatar_mcp.providers.local.studio import Portrait

PORTRAITS = Path(__file__).resolve().parents[3] / "avatar_mcp" / "assets" / "portraits"
SCRIPT = "Hello there. This is the local studio speaking, with a mouth that moves."


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-cache")


@pytest.fixture(scope="session")
def portrait() -> Portrait:
    return Portrait.from_image(load_image(PORTRAITS / "grace_hopper.jpg"))


@pytest.fixture(scope="session")
def espeak_speech() -> speech.Speech:
    return speech.synthesize(SCRIPT, "espeak-en-us-female", cache_dir=Path("/nonexistent"))
