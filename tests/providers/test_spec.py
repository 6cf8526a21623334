"""The light half of every vendor home: limits, id shapes and settings, importable without any client."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from pydantic import SecretStr

from avatar_mcp import operations
from avatar_mcp.errors import InvalidInput
from avatar_mcp.providers import VENDORS, option_support, spec, specs
from avatar_mcp.providers.spec import IdRule, Limits, setting
from tests.conftest import make_settings


def test_every_spec_module_loads_without_httpx_pydantic_models_or_any_client() -> None:
    modules = [f"avatar_mcp.providers.{name}.spec" for name in VENDORS]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules) +
            "heavy = [m for m in sys.modules if m.split('.')[0] == 'httpx' or m in ('avatar_mcp.models', "
            "'avatar_mcp.providers.base', 'avatar_mcp.operations') or m.endswith(('.provider', '.wire'))]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_vendor_declares_only_known_operations_and_one_fallback() -> None:
    assert [s.name for s in specs()] == list(VENDORS)
    for vendor in specs():
        assert vendor.operations <= operations.ALL, vendor.name
        assert vendor.provider.startswith(f"avatar_mcp.providers.{vendor.name}."), vendor.name
    assert [s.name for s in specs() if s.fallback] == ["local"]
    assert sorted((s.preference, s.name) for s in specs() if s.preference is not None)[0][1] == "heygen"


def test_options_are_named_by_the_vendors_that_take_them() -> None:
    support = option_support()
    assert support["quality"] == ("runware",) and support["fit"] == ("heygen", "runware")
    assert all("creatify" not in names and "napster" not in names for names in support.values())


def test_limits_say_what_a_video_breaks() -> None:
    two = {"scenes": [{"script": "a"}, {"script": "b"}]}
    assert spec("runware").limits.problems("runware", two) and not spec("heygen").limits.problems("heygen", two)
    [long] = Limits().problems("heygen", {"scenes": [{"script": "x" * 5001}]})
    assert long.startswith("scenes.0.script has 5001 characters")


@pytest.mark.parametrize("hostile", ["../../users/me", "a?b", "a#b", "a b", ".", ""])
def test_an_id_of_the_wrong_shape_is_refused_naming_the_field(hostile: str) -> None:
    rule = IdRule("Acme", re.compile(r"[a-z0-9][a-z0-9_-]{0,20}"), "'abc_1'")
    with pytest.raises(InvalidInput, match=r"^scenes\.0\.avatar_id: ") as refused:
        rule.check(hostile, "scenes.0.avatar_id")
    assert refused.value.field == "scenes.0.avatar_id" and rule.check("abc_1", "x") == "abc_1"


def test_a_vendor_setting_comes_from_settings_or_else_the_environment(tmp_path: object, media_root: object,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, media_root, runware_api_key=SecretStr("rw-key"))  # type: ignore[arg-type]
    monkeypatch.setenv("ACME_API_KEY", "acme-key")
    assert setting(settings, "RUNWARE_API_KEY") == "rw-key" and setting(settings, "ACME_API_KEY") == "acme-key"
    assert setting(settings, "NOBODY_API_KEY") is None
    assert spec("runware").configured(settings) and not spec("heygen").configured(settings)
