"""HeyGen v3 status requests with the real service against the v3 emulator (tests/fakes/heygen_v3.py).

1. Batching: 20 open video jobs, every one due in every poller round (the worst case). Prints the status requests
   each round costs: GET /v3/videos/statuses once per round for all of them, plus one GET /v3/videos/{id} per video
   that has just finished (for its signed URLs). Goal: 1 status request per round, not 20.
2. Webhooks: the same 20 videos with the HTTP transport serving /webhooks/heygen and the endpoint registered
   through `avatar-mcp heygen-webhook`'s helper; HeyGen's signed deliveries trigger the refreshes. Prints status
   requests per finished job. Goal: one or none.

    python bench/polling_v3.py [--jobs 20] [--polls 4]
"""

from __future__ import annotations

import argparse
import logging
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp.client import Client  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from avatar_mcp import operations as ops  # noqa: E402
from avatar_mcp.config import Settings  # noqa: E402
from avatar_mcp.models import utcnow  # noqa: E402
from avatar_mcp.providers.heygen.admin import register_webhook  # noqa: E402
from avatar_mcp.providers.heygen.provider import from_settings  # noqa: E402
from avatar_mcp.providers.heygen.spec import SPEC as HEYGEN  # noqa: E402
from avatar_mcp.providers.spec import ProviderEntry  # noqa: E402
from avatar_mcp.runtime import open_service  # noqa: E402
from avatar_mcp.specs import Scene, VideoSpec  # noqa: E402
from tests.fakes._harness import serve  # noqa: E402
from tests.fakes._heygen_catalogue import VOICES  # noqa: E402
from tests.fakes.heygen_v3 import HeyGenV3Fake  # noqa: E402

KEY = "bench-heygen-key"
AVATAR = "josh_lite3_20230714"
VOICE = str(VOICES[0]["voice_id"])


def settings_for(folder: Path, base: str, **extra: Any) -> Settings:
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    return Settings(_env_file=None, data_dir=folder / "data", media_roots=[media],  # type: ignore[call-arg]
                    heygen_api_key=SecretStr(KEY), heygen_base_url=base, heygen_upload_url=base,
                    poll_interval_seconds=0.05, **extra)


def spec(n: int) -> VideoSpec:
    return VideoSpec(scenes=[Scene(avatar_id=AVATAR, script=f"Status bench video number {n}.", voice_id=VOICE)])


def status_requests(fake: HeyGenV3Fake, since: int) -> tuple[int, int]:
    """(batched status requests, single video reads) in the fake's log since index `since`."""
    new = fake.log[since:]
    batched = sum(1 for r in new if r.method == "GET" and r.path == "/v3/videos/statuses")
    single = sum(1 for r in new if r.method == "GET" and re.fullmatch(r"/v3/videos/\w+", r.path)
                 and r.path != "/v3/videos/statuses")
    return batched, single


async def batching(jobs: int, polls: int) -> None:
    fake = HeyGenV3Fake(KEY, polls_to_complete=polls, max_concurrent_jobs=None, credits=10**6)
    with serve(fake) as base, tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp), base)

        def entries(s: Settings, http: Any, media: Any) -> list[ProviderEntry]:
            return [ProviderEntry(spec=HEYGEN, provider=from_settings(s, http, media))]

        async with open_service(settings, entries, poll=False) as service:
            provider = service.entries["heygen"].provider
            assert provider is not None
            submitted = [await service.submit(ops.CREATE_VIDEO, spec(n), provider) for n in range(jobs)]
            print(f"1. {jobs} open video jobs, all due every round (worst case); HeyGen finishes each after "
                  f"{polls + 1} status looks.")
            print(f"{'round':>5} | {'open':>4} | {'statuses batch':>14} | {'reads of finished':>17} | "
                  f"{'one by one would be':>19}")
            rounds = 0
            while True:
                open_jobs = [j for j in await service.list_jobs(status="open", limit=1000)]
                if not open_jobs:
                    break
                for job in open_jobs:  # every job due now: the most a round can cost
                    await service.store.update(job.id, next_poll_at=utcnow())
                since = len(fake.log)
                await service.poll_due()
                batched, single = status_requests(fake, since)
                rounds += 1
                print(f"{rounds:>5} | {len(open_jobs):>4} | {batched:>14} | {single:>17} | {len(open_jobs):>19}")
            done = [await service.get(j.id) for j in submitted]
            print(f"   all {sum(j.status == 'succeeded' for j in done)} succeeded in {rounds} rounds; "
                  f"status requests per round while none finished: 1 (goal 1, not {jobs}).")


async def webhooks(jobs: int) -> None:
    import uvicorn

    from avatar_mcp.server import build_server
    from avatar_mcp.transport import http_app

    fake = HeyGenV3Fake(KEY, polls_to_complete=50, max_concurrent_jobs=None, credits=10**6)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    public = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with serve(fake) as base, tempfile.TemporaryDirectory() as tmp:
        code, text = await register_webhook(settings_for(Path(tmp), base, public_url=public))
        found = re.search(r"HEYGEN_WEBHOOK_SECRET=(\S+)", text)
        assert code == 0 and found is not None, text
        settings = settings_for(Path(tmp), base, public_url=public, heygen_webhook_secret=SecretStr(found.group(1)))
        app = http_app(build_server(settings), settings, "127.0.0.1", sock.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            async with Client(f"{public}/mcp") as client:
                ids = []
                for n in range(jobs):
                    answer = await client.call_tool("create_video", {
                        "provider": "heygen", "orientation": "landscape",
                        "scenes": [{"avatar_id": AVATAR, "script": f"Webhook bench {n}.", "voice_id": VOICE}]})
                    ids.append((answer.structured_content or {})["job_id"])
                await anyio.sleep(2.0)  # the poller runs meanwhile (its safety net is far off)
                since = len(fake.log)
                before = status_requests(fake, 0)
                fake.complete_all()
                await anyio.to_thread.run_sync(fake.wait_for_deliveries, jobs, 30.0)
                batched, single = status_requests(fake, since)
                states = [((await client.call_tool("check_job", {"job_id": i})).structured_content or {})["status"]
                          for i in ids]
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    print(f"\n2. With webhooks: {jobs} videos, HeyGen's signed deliveries to {public}/webhooks/heygen.")
    print(f"   status requests before completion: {sum(before)}; after: {batched} batched + {single} single; "
          f"{sum(s == 'succeeded' for s in states)}/{jobs} succeeded -> "
          f"{(batched + single) / jobs:.2f} status requests per finished job (goal: one or none).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--polls", type=int, default=4, help="status looks before the emulator finishes a video")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("httpx", "avatar_mcp", "mcp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    anyio.run(batching, args.jobs, args.polls)
    anyio.run(webhooks, args.jobs)


if __name__ == "__main__":
    main()
