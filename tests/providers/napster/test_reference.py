"""Napster against reference D where our emulator's defaults could hide a misreading: error bodies whose shape the
reference leaves open (the consent refusal named without a `code`), pages numbered from 0 or 1."""

from __future__ import annotations

import pytest
from mcp.client import Client

from avatar_mcp.config import Settings
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
