"""HeyGen v3 uploads: multipart `POST /v3/assets` up to 32 MB, the direct-upload flow above that.

Each upload carries an Idempotency-Key derived from the job's key and the field, so replaying a whole submission
(reconcile after a crash) gets the same asset ids back and rebuilds the same create request.

Identical bytes are uploaded once per account: the SHA-256 of a file and the asset id it became are remembered in
the job store (SubmitContext.assets), keyed by an account hash of the base URL and API key (never the key). A
remembered asset is used only after GET /v3/assets/{id} says HeyGen still has it; otherwise it is uploaded again.
"""

from __future__ import annotations

import hashlib
import logging

import anyio.to_thread

from avatar_mcp.errors import AvatarError, NotFound
from avatar_mcp.media import LocalMedia, MediaKind
from avatar_mcp.providers._http import UPLOAD_TIMEOUT, VendorHTTP, segment
from avatar_mcp.providers.base import AssetMemo, ProgressFn
from avatar_mcp.providers.heygen import v3_wire as wire
from avatar_mcp.providers.heygen.common import data_of, decode
from avatar_mcp.providers.heygen.media_refs import MediaRef

logger = logging.getLogger(__name__)

MULTIPART_MAX_BYTES = 32 * 1024 * 1024
MB = 1024 * 1024
KIND_MAX_BYTES: dict[MediaKind, int] = {"video": 100 * MB, "image": 50 * MB, "audio": 50 * MB}
"""v3 input limits (usage-limits page)."""
MIMES: dict[MediaKind, tuple[str, ...]] = {"image": ("image/jpeg", "image/png"), "video": ("video/mp4", "video/webm"),
                                           "audio": ("audio/mpeg", "audio/wav")}
"""What /v3/assets takes, by kind (png, jpeg, mp4, webm, mp3, wav)."""


def upload_key(job_key: str, field: str) -> str:
    return f"{job_key}:asset:{field}"


def account_key(base_url: str, api_key: str) -> str:
    """Who the remembered uploads belong to: a hash of the base URL and the API key (the key is never stored)."""
    return hashlib.sha256(f"heygen-v3\n{base_url.rstrip('/')}\n{api_key}".encode()).hexdigest()


class Uploader:
    """Uploads local files for one backend (one account)."""

    def __init__(self, http: VendorHTTP, *, account: str, multipart_max_bytes: int = MULTIPART_MAX_BYTES) -> None:
        self.http = http
        self.account = account
        self.multipart_max_bytes = multipart_max_bytes

    async def asset(self, ref: MediaRef, job_key: str, report: ProgressFn,
                    memo: AssetMemo | None = None) -> wire.AssetInput:
        """The AssetInput for a planned media argument: a local file is uploaded first, unless the same bytes were
        uploaded before for this account (and HeyGen still has them)."""
        if ref.kind == "url":
            return wire.UrlAsset(url=ref.value)
        if ref.kind == "asset":
            return wire.IdAsset(asset_id=ref.value)
        assert ref.local is not None
        data = await anyio.to_thread.run_sync(ref.local.read_bytes)
        digest = hashlib.sha256(data).hexdigest()
        if memo is not None and (reused := await self._reuse(memo, digest)) is not None:
            await report(0.0, f"{ref.field}: HeyGen already has this file (asset {reused}); not uploading it again.")
            return wire.IdAsset(asset_id=reused)
        await report(0.0, f"Uploading {ref.field} ({ref.local.size / 1e6:.1f} MB) to HeyGen.")
        key = upload_key(job_key, ref.field)
        if len(data) > self.multipart_max_bytes:
            asset_id = await self._direct(ref.local, data, digest, key)
        else:
            asset_id = await self._multipart(ref.local, data, key)
        if memo is not None:
            await memo.remember_asset(self.account, digest, asset_id)
        return wire.IdAsset(asset_id=asset_id)

    async def _reuse(self, memo: AssetMemo, digest: str) -> str | None:
        """A remembered asset id for these bytes that HeyGen still has; None means upload."""
        asset_id = await memo.remembered_asset(self.account, digest)
        if asset_id is None:
            return None
        try:
            await self.http.json("GET", f"/v3/assets/{segment(asset_id)}")
        except NotFound:
            await memo.forget_asset(self.account, digest)
            return None
        except AvatarError as exc:
            logger.info("could not check remembered asset %s: %s", asset_id, exc)
            return None  # cannot tell: uploading again is always safe
        return asset_id

    async def _multipart(self, local: LocalMedia, data: bytes, key: str) -> str:
        body = await self.http.json("POST", "/v3/assets", files={"file": (local.path.name, data, local.mime)},
                                    headers={"Idempotency-Key": key}, idempotent=True, timeout=UPLOAD_TIMEOUT)
        return decode(wire.Asset, data_of(body), "the upload").asset_id

    async def _direct(self, local: LocalMedia, data: bytes, checksum: str, key: str) -> str:
        """Declare the file, PUT its bytes to the presigned URL (no API key: it is storage), then complete it."""
        declared = wire.DirectUploadRequest(filename=local.path.name, content_type=local.mime, size_bytes=len(data),
                                            checksum_sha256=checksum)
        body = await self.http.json("POST", "/v3/assets/direct-uploads", json=declared.body(),
                                    headers={"Idempotency-Key": key}, idempotent=True)
        target = decode(wire.DirectUpload, data_of(body), "the direct upload")
        await self.http.request("PUT", target.upload_url, content=data, headers=target.upload_headers,
                                authenticate=False, timeout=UPLOAD_TIMEOUT)
        await self.http.json("POST", f"/v3/assets/{segment(target.asset_id)}/complete",
                             json=wire.CompleteUpload(checksum_sha256=checksum).body(), idempotent=True)
        return target.asset_id
