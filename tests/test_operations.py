"""The operations table is the one definition of an operation: every create tool, kind, spec and provider call."""

from __future__ import annotations

import inspect

from avatar_mcp import operations
from avatar_mcp.models import JobRecord
from avatar_mcp.providers.base import BaseProvider, Provider
from avatar_mcp.tools import avatars, videos
from avatar_mcp.tools._common import CREATES


def test_every_row_is_a_create_tool_and_every_create_tool_a_row_titled_from_it() -> None:
    specs = [*avatars.TOOLS, *videos.TOOLS]
    assert {s.fn.__name__ for s in specs} == operations.NAMES
    for spec in specs:
        op = operations.get(spec.fn.__name__)
        assert spec.title == op.tool_title and spec.annotations == CREATES
        assert op.title[0].islower() and op.tool_title[0].isupper()


def test_every_row_calls_a_method_of_the_provider_protocol() -> None:
    protocol = {name for name, _ in inspect.getmembers(Provider) if not name.startswith("_")}
    for op in operations.TABLE:
        called = {name for name in op.call.__code__.co_names if name in protocol}
        assert len(called) == 1, (op.name, called)
        assert called <= set(dir(BaseProvider))


def test_a_stored_request_reads_back_as_its_spec() -> None:
    op = operations.get(operations.TRAIN_PHOTO_AVATAR)
    spec = op.validate({"avatar_id": "abc", "unrelated": None})
    job = JobRecord(id="job_1", kind=op.kind, provider="local", operation=op.name,
                    request={"arguments": spec.model_dump(mode="json")})
    assert op.stored(job) == spec


def test_a_request_stored_by_an_older_release_reads_back_without_the_fields_since_removed() -> None:
    """An open job outlives upgrades: a companion stored with `tags` (a field since removed) is still followed,
    not failed as a bug or retried for ever because its spec refuses the unknown field."""
    op = operations.get(operations.CREATE_COMPANION)
    arguments = {"description": "A cheerful guide.", "version": "v1", "picture": "https://cdn.example/p.jpg",
                 "tags": []}
    job = JobRecord(id="job_1", kind=op.kind, provider="napster", operation=op.name,
                    request={"arguments": arguments})
    spec = op.stored(job)
    assert spec.model_dump(exclude_unset=True) == {k: v for k, v in arguments.items() if k != "tags"}


def test_speaking_parts_are_the_scenes_the_request_itself_or_nothing() -> None:
    scenes = {"scenes": [{"script": "a"}, {"script": "b"}]}
    assert [w for w, _ in operations.get("create_video").speaking_parts(scenes)] == ["scenes[0].", "scenes[1]."]
    assert operations.get("create_photo_video").speaking_parts({"script": "a"}) == [("", {"script": "a"})]
    assert operations.get("create_companion").speaking_parts({"description": "d"}) == []
