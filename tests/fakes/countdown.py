"""A test provider whose jobs finish after N status polls, with its state in a file (so it survives restarts).

Run as `python -m tests.fakes.countdown` to serve the real server over stdio with this provider added.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from avatar_mcp.config import Settings
from avatar_mcp.media import MediaPolicy
from avatar_mcp.models import AvatarInfo, CatalogQuery, Cost, JobRecord, JobResult, Voice
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.operations import CREATE_VIDEO, GENERATE_PHOTO, LIST_AVATARS, LIST_VOICES
from avatar_mcp.providers.base import BaseProvider, Capabilities, JobUpdate, Submission, SubmitContext
from avatar_mcp.providers.spec import ProviderEntry
from avatar_mcp.specs import PhotoGenerationSpec, VideoSpec

POLLS = 3
VOICES = [Voice(voice_id="cd-ann", name="Ann", provider="countdown", language="en-US", gender="female"),
          Voice(voice_id="cd-bob", name="Bob", provider="countdown", language="en-US", gender="male")]
AVATAR = AvatarInfo(avatar_id="cd-avatar", name="Countdown presenter", provider="countdown", status="completed",
                    default_voice_id="cd-bob")


class CountdownProvider(BaseProvider):
    name = "countdown"
    title = "Countdown (test vendor)"
    capabilities = Capabilities(operations=frozenset({CREATE_VIDEO, GENERATE_PHOTO, LIST_VOICES, LIST_AVATARS}))

    def __init__(self, folder: Path, polls: int = POLLS) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.state_file = folder / "countdown.json"
        self.polls = polls
        self._lock = threading.Lock()
        self.creates = 0
        self.voice_lists = 0
        self.estimates = 0
        """Cost estimates made: one per plan."""

    def _update(self, vendor_id: str, delta: int) -> int:
        with self._lock:
            state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
            state[vendor_id] = state.get(vendor_id, 0) + delta
            self.state_file.write_text(json.dumps(state))
            return int(state[vendor_id])

    async def create_video(self, spec: VideoSpec, ctx: SubmitContext) -> Submission:
        vendor_id = "cd_" + secrets.token_hex(4)
        self._update(vendor_id, 0)
        self.creates += 1
        return Submission(vendor_id=vendor_id, status="queued", expected_seconds=0.2)

    async def generate_photo(self, spec: PhotoGenerationSpec, ctx: SubmitContext) -> Submission:
        self.creates += 1
        return Submission(vendor_id="cdg_" + secrets.token_hex(4), status="queued", expected_seconds=0.2)

    async def get_job(self, job: JobRecord) -> JobUpdate:
        assert job.vendor_id is not None
        seen = self._update(job.vendor_id, 1)
        if seen >= self.polls:
            video = self.folder / f"{job.vendor_id}.mp4"
            video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
            return JobUpdate(status="succeeded", result=JobResult(video_path=str(video), duration_seconds=1.5))
        return JobUpdate(status="processing", progress=seen / self.polls, message=f"poll {seen} of {self.polls}",
                         poll_after=0.1)

    async def list_voices(self, query: CatalogQuery) -> list[Voice]:
        self.voice_lists += 1
        return list(VOICES)

    async def list_avatars(self, query: CatalogQuery) -> list[AvatarInfo]:
        return [AVATAR]

    async def avatar_status(self, avatar_id: str) -> AvatarInfo | None:
        return AVATAR if avatar_id == AVATAR.avatar_id else None

    def estimate_cost(self, operation: str, spec: BaseModel) -> Cost | None:
        self.estimates += 1
        return Cost(amount=1.0, basis="1 credit per video (test rate)")


def entries(settings: Settings, http: SharedHTTP, media: MediaPolicy) -> Sequence[ProviderEntry]:
    provider = CountdownProvider(settings.data_dir / "countdown")
    return [ProviderEntry.of(provider)]


if __name__ == "__main__":
    from avatar_mcp.cli import configure_logging
    from avatar_mcp.server import build_server

    settings = Settings()
    configure_logging("INFO")
    build_server(settings, provider_factory=entries).run("stdio")
