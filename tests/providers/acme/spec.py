"""Acme Avatars, a fictitious sixth vendor kept in the tests (tests/fakes/acme.py is its API): the light facts."""

from __future__ import annotations

import re

from avatar_mcp.providers.spec import IdRule, Limits, VendorSpec
from avatar_mcp.providers.timing import Timing

IDS = IdRule("Acme", re.compile(r"av_[a-z0-9]{1,40}"), "'av_ava1'")
TIMING = Timing(video_overhead_seconds=30.0, render_factor=2.0)
SPEC = VendorSpec(name="acme", title="Acme Avatars", env_vars=("ACME_API_KEY",), operations=frozenset({"create_video"}),
                  provider="tests.providers.acme.provider:AcmeProvider.from_settings", ids=IDS,
                  limits=Limits(max_scenes=1, max_script_chars=2000), urls=("ACME_BASE_URL",))
