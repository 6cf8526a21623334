from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from avatar_mcp.config import Settings
from tests.postgres import database  # noqa: F401 - a fixture for every test module

SETTINGS_ENV = [
    "HEYGEN_API_KEY", "HEYGEN_API_VERSION", "RUNWARE_API_KEY", "CREATIFY_API_ID", "CREATIFY_API_KEY", "NAPSTER_API_KEY",
    "HEYGEN_BASE_URL", "HEYGEN_UPLOAD_URL", "RUNWARE_BASE_URL", "CREATIFY_BASE_URL", "NAPSTER_BASE_URL",
    "AVATAR_MCP_PUBLIC_URL", "HEYGEN_WEBHOOK_SECRET", "HEYGEN_WEBHOOK_SIGNATURE_HEADER", "HEYGEN_WEBHOOK_SIGNING_INPUT",
    "AVATAR_MCP_DATA_DIR",
    "AVATAR_MCP_MEDIA_ROOTS", "AVATAR_MCP_DEFAULT_PROVIDER", "AVATAR_MCP_CONFIRM_SPEND", "AVATAR_MCP_MAX_MEDIA_BYTES",
    "AVATAR_MCP_POLL_TICK", "AVATAR_MCP_LOG_LEVEL", "AVATAR_MCP_HTTP_TOKEN", "AVATAR_MCP_ALLOWED_HOSTS",
    "AVATAR_MCP_ALLOWED_ORIGINS", "AVATAR_MCP_OUTBOUND_ALLOW_HOSTS", "AVATAR_MCP_MEDIA_DIR", "AVATAR_MCP_DATABASE_URL",
    "AVATAR_MCP_DATABASE_SCHEMA", "AVATAR_MCP_WORK", "AVATAR_MCP_HTTP_TOKENS", "AVATAR_MCP_REQUEST_STATE_KEYS",
    "AVATAR_MCP_WORKER_CONCURRENCY", "AVATAR_MCP_RENDER_CONCURRENCY", "AVATAR_MCP_LEASE_SECONDS",
]
PORTRAITS = Path(__file__).resolve().parent.parent / "avatar_mcp" / "assets" / "portraits"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never see the developer's keys or .env file."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def settings(tmp_path: Path, media_root: Path) -> Settings:
    return make_settings(tmp_path, media_root)


def make_settings(tmp_path: Path, media_root: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "data", "media_roots": [media_root],
                                 "poll_interval_seconds": 0.05}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def env_for(settings: Settings) -> dict[str, str]:
    """The environment a server subprocess needs to see the same settings."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env["AVATAR_MCP_DATA_DIR"] = str(settings.data_dir)
    env["AVATAR_MCP_MEDIA_ROOTS"] = os.pathsep.join(str(p) for p in settings.media_roots)
    env["AVATAR_MCP_POLL_TICK"] = str(settings.poll_interval_seconds)
    return env
