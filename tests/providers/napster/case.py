"""Napster Companions as a case of the provider contract suite (tests/providers/contract.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.providers.base import Provider
from avatar_mcp.providers.napster.provider import NapsterProvider
from avatar_mcp.providers.napster.spec import TIMING
from avatar_mcp.providers.timing import Timing
from tests.conftest import make_settings
from tests.fakes.napster import NapsterFake
from tests.providers.contract import Driver, IdArgument, Vendor

KEY = "test-napster-key"
PICTURE = "https://cdn.example.com/ava.jpg"


def build(settings: Settings, http: SharedHTTP, media: MediaPolicy, timing: Timing) -> Provider:
    return NapsterProvider.from_settings(settings, http, media, timing=timing)


def companion(fake: Any) -> tuple[str, dict[str, Any]]:
    return "create_companion", {"provider": "napster", "description": "A warm support agent.", "version": "v1",
                                "picture": PICTURE, "first_name": "Ava", "last_name": "Stone", "gender": "female",
                                "ethnicity": "Asian"}


def ids(fake: Any) -> list[IdArgument]:
    """Napster's tools take no vendor id; the job tools take this server's job ids."""
    return [(tool, "job_id", lambda v: {"job_id": v}) for tool in ("check_job", "cancel_job", "download_result")]


async def drive(drive: Driver, fake: Any) -> None:
    fake.grant_consent()
    listed = await drive.ok("list_avatars", {"provider": "napster", "limit": 100})
    assert len(listed["avatars"]) == len(fake.stock)
    made = await drive.done(await drive.ok("create_companion", {
        "provider": "napster", "description": "A warm support agent.", "version": "v1", "picture": PICTURE,
        "first_name": "Ava", "last_name": "Stone", "gender": "female", "ethnicity": "asian"}))
    await drive.done(await drive.ok("create_companion", {
        "provider": "napster", "description": "Our sales lead.", "version": "v2",
        "video": "https://cdn.example.com/sam.mp4", "first_name": "Sam"}))
    await drive.done(await drive.ok("create_digital_twin", {
        "provider": "napster", "name": "Robin Avery", "video": "https://cdn.example.com/robin.mp4",
        "description": "Robin, our head of sales.", "gender": "male", "ethnicity": "Caucasian"}))
    await drive.jobs_tools(made["job_id"], ("create_companion", {
        "provider": "napster", "description": "Another one.", "picture": "https://cdn.example.com/b.jpg",
        "version": "v1"}))


NAPSTER = Vendor("napster", "napster", lambda polls: NapsterFake(polls_to_complete=polls),
                 lambda tmp, root, fake: make_settings(tmp, root, napster_api_key=SecretStr(KEY),
                                                       napster_base_url=fake.base_url),
                 build, replace(TIMING, poll_after=0.05), companion, "^/public/companions$",
                 ("GET", "^/public/companions/(?!ethnicities$)"), lambda fake: len(fake.companions), KEY,
                 recovers=True, ids=ids, drive=drive, downloads=False)
