"""The command-line helpers: `avatar-mcp heygen-webhook` and `avatar-mcp doctor --online`, against the emulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatar_mcp.cli import main
from tests.fakes._harness import serve
from tests.fakes._heygen_common import HeyGenFakeBase
from tests.providers.heygen.conftest import APIS, KEY, make_fake


def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: HeyGenFakeBase, api: str) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", KEY)
    monkeypatch.setenv("HEYGEN_API_VERSION", api)
    monkeypatch.setenv("HEYGEN_BASE_URL", fake.base_url)
    monkeypatch.setenv("HEYGEN_UPLOAD_URL", fake.base_url)
    monkeypatch.setenv("AVATAR_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AVATAR_MCP_PUBLIC_URL", "https://avatars.example.com")


@pytest.mark.parametrize("api", APIS)
def test_the_webhook_command_registers_once_and_prints_the_secret_not_the_key(
        api: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = make_fake(api)
    with serve(fake):
        environment(monkeypatch, tmp_path, fake, api)
        first = main(["heygen-webhook"])
        created = capsys.readouterr().out
        second = main(["heygen-webhook"])
        repeated = capsys.readouterr().out
        doctor = main(["doctor", "--online"])
        report = capsys.readouterr().out
    [endpoint] = fake.webhook_endpoints.values()
    assert first == second == doctor == 0
    assert endpoint["url"] == "https://avatars.example.com/webhooks/heygen"
    assert f"HEYGEN_WEBHOOK_SECRET={endpoint['secret']}" in created and "already registered" in repeated
    assert "HeyGen remaining credits: 100" in report and "avatar-mcp heygen-webhook" in report
    assert KEY not in created + repeated + report


def test_the_webhook_command_says_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", KEY)
    monkeypatch.setenv("AVATAR_MCP_DATA_DIR", str(tmp_path / "data"))
    assert main(["heygen-webhook"]) == 2
    assert "AVATAR_MCP_PUBLIC_URL" in capsys.readouterr().err
