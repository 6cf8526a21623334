"""What the MCP registry checks before it lists the server: server.json agrees with the package and the README."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from avatar_mcp import __version__
from avatar_mcp.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_server_json_names_the_pypi_package_its_version_and_the_readme_marker() -> None:
    server = json.loads((ROOT / "server.json").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    marker = re.search(r"mcp-name: (\S+)", (ROOT / "README.md").read_text())
    assert marker is not None and marker.group(1) == server["name"]
    assert re.fullmatch(r"io\.github\.[A-Za-z0-9-]+/avatar-mcp", server["name"])
    assert server["version"] == project["version"] == __version__
    assert len(server["description"]) <= 100
    (package,) = server["packages"]
    assert package["registryType"] == "pypi" and package["identifier"] == project["name"]
    assert package["version"] == project["version"] and package["transport"] == {"type": "stdio"}
    secret = {name: "SecretStr" in str(field.annotation) for name, field in Settings.model_fields.items()}
    settings = {**{name.upper(): s for name, s in secret.items()},
                **{"AVATAR_MCP_" + name.upper(): s for name, s in secret.items()}}
    for variable in package["environmentVariables"]:
        assert variable["name"] in settings, variable["name"]
        assert variable["isSecret"] == settings[variable["name"]], variable["name"]  # as config.py keeps it


def test_the_license_file_matches_the_package_metadata() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_every_setting_is_in_the_readmes_settings_table() -> None:
    """A setting the code reads but the README does not name is one a user cannot find."""
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    names = {str(choice) for field in Settings.model_fields.values()
             for choice in getattr(field.validation_alias, "choices", [])}
    assert names, "the settings have environment names"
    assert sorted(n for n in names if f"`{n}`" not in table) == []
