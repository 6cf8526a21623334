"""Fixtures of the vendor tests: a test module naming its vendor case (`CASE = RUNWARE`, from its case.py) gets that
vendor's emulator running (`fake`, finishing jobs after the module's POLLS status polls, 1 by default) and settings
pointing at it (`settings`); other modules get the plain settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avatar_mcp.config import Settings
from tests.conftest import make_settings
from tests.fakes._harness import serve


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[Any]:
    case = request.module.CASE
    emulator = case.make_fake(getattr(request.module, "POLLS", 1))
    with serve(emulator):
        yield emulator


@pytest.fixture
def settings(tmp_path: Path, media_root: Path, request: pytest.FixtureRequest) -> Settings:
    case = getattr(request.module, "CASE", None)
    if case is None:
        return make_settings(tmp_path, media_root)
    settings: Settings = case.settings(tmp_path, media_root, request.getfixturevalue("fake"))
    return settings
