"""The command line: doctor tells what is configured without a secret; an exposed HTTP bind needs a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from avatar_mcp.cli import doctor_report
from tests.conftest import SETTINGS_ENV, make_settings

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-live-doctor-secret-123456"


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    return subprocess.run([sys.executable, "-m", "avatar_mcp", *args], env={**base, **env,
                          "AVATAR_MCP_DATA_DIR": str(tmp_path)}, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_doctor_shows_configured_providers_and_paths_but_never_a_secret(tmp_path: Path) -> None:
    done = run(["doctor"], tmp_path, HEYGEN_API_KEY=KEY, AVATAR_MCP_HTTP_TOKEN="tok-" + KEY)
    assert done.returncode == 0, done.stderr
    assert "heygen    configured" in done.stdout
    assert "RUNWARE_API_KEY" in done.stdout
    assert str(tmp_path) in done.stdout
    assert KEY not in done.stdout + done.stderr


@pytest.mark.parametrize(("tokens", "said"), [
    ({"http_tokens": SecretStr(f"{KEY}-a=alice,{KEY}-b=bob")}, "bearer tokens: 2 principals (alice, bob)"),
    ({"http_token": SecretStr(KEY)}, "bearer tokens: 1 principal (local)"),
    ({}, "bearer tokens: none (only loopback binds allowed)"),
    ({"http_tokens": SecretStr(f"{KEY}-no-principal")}, "bearer tokens: INVALID: AVATAR_MCP_HTTP_TOKENS takes"),
])
def test_doctor_reports_per_tenant_tokens_as_the_http_transport_reads_them(
        tmp_path: Path, tokens: dict[str, SecretStr], said: str) -> None:
    report = doctor_report(make_settings(tmp_path, tmp_path, **tokens))
    assert said in report
    assert KEY not in report


def test_serving_http_on_an_exposed_address_without_a_token_is_refused(tmp_path: Path) -> None:
    done = run(["serve", "--http", "--host", "0.0.0.0", "--port", "8765"], tmp_path)
    assert done.returncode == 2
    assert "AVATAR_MCP_HTTP_TOKEN" in done.stderr


def test_bad_settings_are_reported_clearly(tmp_path: Path) -> None:
    done = run(["doctor"], tmp_path, HEYGEN_API_VERSION="v9")
    assert done.returncode == 2
    assert "HEYGEN_API_VERSION" in done.stderr or "heygen_api_version" in done.stderr


def test_doctor_online_without_a_heygen_key_says_nothing_was_asked(tmp_path: Path) -> None:
    done = run(["doctor", "--online"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "HEYGEN_API_KEY is not set: nothing was asked" in done.stdout


def test_doctor_does_not_call_an_unknown_default_provider_the_default(tmp_path: Path) -> None:
    report = doctor_report(make_settings(tmp_path, tmp_path, default_provider="herygen"))
    assert "default: (first configured vendor, else local); AVATAR_MCP_DEFAULT_PROVIDER='herygen' is no provider" \
        in report


def test_migrate_check_on_a_fresh_data_dir_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    done = subprocess.run([sys.executable, "-m", "avatar_mcp", "migrate", "--check"], cwd=tmp_path, text=True,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**{k: v for k, v in os.environ.items() if k not in SETTINGS_ENV},
                               "AVATAR_MCP_DATA_DIR": str(data)})
    assert done.returncode == 1
    assert "no job store at" in done.stdout and "avatar-mcp migrate" in done.stdout
    assert not data.exists()


@pytest.mark.parametrize("command", ["serve", "doctor", "heygen-webhook", "worker", "migrate", "demo"])
def test_every_command_describes_itself_in_its_own_help(tmp_path: Path, command: str) -> None:
    done = run([command, "--help"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.split("\n\n")[1].strip()[:1].isupper()  # a sentence between the usage and the options
