"""Napster against reference D where our emulator's defaults could hide a misreading: error bodies whose shape the
reference leaves open (the consent refusal named without a `code`), pages numbered from 0 or 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.config import Settings
from tests.conftest import make_settings
from tests.fakes._harness import serve
from tests.fakes.napster import ErrorStyle, NapsterFake
from tests.providers._vendors import call, fails
from tests.providers.napster.case import NAPSTER

pytestmark = pytest.mark.anyio
CASE = NAPSTER
POLLS = 3
KEY = "test-napster-key"
TWIN = {"provider": "napster", "name": "Robin Avery", "video": "https://cdn.example.com/robin.mp4",
        "description": "Robin, our head of sales.", "gender": "male", "ethnicity": "caucasian"}


@pytest.mark.parametrize("style", ["problem", "message", "message_list"])
@pytest.mark.parametrize("status", [400, 403, 409])
async def test_the_consent_refusal_is_recognised_wherever_the_body_names_it(settings: Settings, fake: NapsterFake,
                                                                           style: ErrorStyle, status: int) -> None:
    """Reference D: a twin 'fails with DigitalTwinConsentRequired' (no field, no status given). Wherever the name is,
    the user is told to record consent, never that the API key was refused or to 'fix the request'."""
    fake.error_style, fake.consent_coded, fake.consent_error_status = style, False, status
    async with Client(CASE.server(settings), mode="auto") as client:
        refused = await fails(client, "create_digital_twin", TWIN)
        jobs = (await call(client, "list_jobs", {}))["jobs"]
    assert "Napster Companion dashboard" in refused and "'robin-avery'" in refused, refused
    assert "API key" not in refused and jobs == []


@pytest.mark.parametrize("page_zero", ["refuse", "first"])
async def test_list_avatars_lists_every_companion_once_when_pages_are_numbered_from_one(
        tmp_path: Path, media_root: Path, page_zero: str) -> None:
    """Reference D does not say where pageIndex starts. Numbered from 1, page 0 is either refused or read as page 1:
    either way every companion is listed once, none twice, none left out."""
    fake = NapsterFake(first_page=1, page_zero=page_zero)  # type: ignore[arg-type]
    made = fake.seed(250)
    with serve(fake):
        settings = make_settings(tmp_path, media_root, napster_api_key=SecretStr(KEY), napster_base_url=fake.base_url)
        async with Client(CASE.server(settings), mode="auto") as client:
            listed: dict[str, Any] = await call(client, "list_avatars", {"provider": "napster", "limit": 500})
    ids = [a["avatar_id"] for a in listed["avatars"]]
    assert [i for i in ids if i in set(made)] == made
    assert len(ids) == len(set(ids)) == 250 + len(fake.stock)
