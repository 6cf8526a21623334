"""Napster's answers read whatever their shape: error reasons in every body shape reference D lists, and listings
paged by totalCount (no totalPages needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from pydantic import SecretStr

from avatar_mcp.config import Settings
from tests.conftest import make_settings
from tests.fakes._harness import serve
from tests.fakes.napster import NapsterFake
from tests.providers._vendors import call, fails
from tests.providers.napster.case import NAPSTER
from tests.providers.napster.test_provider import COMPANION, KEY

pytestmark = pytest.mark.anyio
CASE = NAPSTER
POLLS = 3


@pytest.fixture(params=["problem", "message", "message_list"])
def fake(request: pytest.FixtureRequest) -> Iterator[NapsterFake]:
    vendor = NapsterFake(error_style=request.param)
    with serve(vendor):
        yield vendor


async def test_napsters_reasons_reach_the_assistant_whatever_the_shape_of_its_error_body(
        settings: Settings, fake: NapsterFake) -> None:
    refused_picture = {**COMPANION, "picture": "https://cdn.example.com/my photo.jpg"}  # Napster refuses the space
    async with Client(CASE.server(settings), mode="auto") as client:
        picture = await fails(client, "create_companion", refused_picture)
        fake.api_key = "rotated"
        key = await fails(client, "list_avatars", {"provider": "napster"})
    assert "pictureUrl" in picture and "must be a publicly reachable absolute https URL" in picture
    assert "Fix the request" in picture
    assert "A valid X-Api-Key header is required" in key and "API key was refused" in key


@pytest.mark.parametrize("paging", [{"total_pages": False}, {"total_pages": True},
                                    {"first_page": 1, "page_zero": "refuse"}, {"first_page": 1, "page_zero": "first"}])
async def test_list_avatars_returns_all_250_companions_paging_by_total_count(
        tmp_path: Path, media_root: Path, paging: dict[str, Any]) -> None:
    """250 of 250, once each, in Napster's order; with or without totalPages, and whether pageIndex starts at 0 or
    (reference D does not say) at 1, where page 0 is either refused or read as page 1."""
    fake = NapsterFake(**paging)
    made = fake.seed(250)
    with serve(fake):
        settings = make_settings(tmp_path, media_root, napster_api_key=SecretStr(KEY), napster_base_url=fake.base_url)
        async with Client(CASE.server(settings), mode="auto") as client:
            listed: dict[str, Any] = await call(client, "list_avatars", {"provider": "napster", "limit": 500})
    ids = [a["avatar_id"] for a in listed["avatars"]]
    assert [i for i in ids if i in set(made)] == made
    assert len(ids) == len(set(ids)) == 250 + len(fake.stock)
    if "first_page" not in paging:
        pages = [int(r.query["pageIndex"]) for r in fake.requests("GET", "^/public/companions$")]
        assert pages == [0, 1, 2]  # 100 + 100 + 50: no fourth request


async def test_without_the_stock_catalog_route_list_avatars_still_lists_the_organisations_companions(
        tmp_path: Path, media_root: Path) -> None:
    """Reference D names only GET /public/companions: an API without /napster-stock answers it as an unknown id."""
    fake = NapsterFake(catalog_routes=False)
    made = fake.seed(3)
    with serve(fake):
        settings = make_settings(tmp_path, media_root, napster_api_key=SecretStr(KEY), napster_base_url=fake.base_url)
        async with Client(CASE.server(settings), mode="auto") as client:
            listed: dict[str, Any] = await call(client, "list_avatars", {"provider": "napster"})
    assert [a["avatar_id"] for a in listed["avatars"]] == made
