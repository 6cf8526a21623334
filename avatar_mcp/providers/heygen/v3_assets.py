"""HeyGen v3 uploads: multipart `POST /v3/assets` up to 32 MB, the direct-upload flow above that.

Each upload carries an Idempotency-Key derived from the job's key and the field, so replaying a whole submission
(reconcile after a crash) gets the same asset ids back and rebuilds the same create request.
"""

from __future__ import annotations

import hashlib

import anyio.to_thread

from avatar_mcp.media import LocalMedia, MediaKind
from avatar_mcp.providers._http import UPLOAD_TIMEOUT, VendorHTTP
from avatar_mcp.providers.base import ProgressFn
from avatar_mcp.providers.heygen import v3_wire as wire
from avatar_mcp.providers.heygen.common import data_of, decode
from avatar_mcp.providers.heygen.media_refs import MediaRef

MULTIPART_MAX_BYTES = 32 * 1024 * 1024
MB = 1024 * 1024
KIND_MAX_BYTES: dict[MediaKind, int] = {"video": 100 * MB, "image": 50 * MB, "audio": 50 * MB}
"""v3 input limits (usage-limits page)."""
MIMES: dict[MediaKind, tuple[str, ...]] = {"image": ("image/jpeg", "image/png"), "video": ("video/mp4", "video/webm"),
                                           "audio": ("audio/mpeg", "audio/wav")}
"""What /v3/assets takes, by kind (png, jpeg, mp4, webm, mp3, wav)."""


def upload_key(job_key: str, field: str) -> str:
    return f"{job_key}:asset:{field}"


class Uploader:
    """Uploads local files for one backend."""

    def __init__(self, http: VendorHTTP, *, multipart_max_bytes: int = MULTIPART_MAX_BYTES) -> None:
        self.http = http
        self.multipart_max_bytes = multipart_max_bytes

    async def asset(self, ref: MediaRef, job_key: str, report: ProgressFn) -> wire.AssetInput:
        """The AssetInput for a planned media argument, uploading a local file first."""
        if ref.kind == "url":
            return wire.UrlAsset(url=ref.value)
        if ref.kind == "asset":
            return wire.IdAsset(asset_id=ref.value)
        assert ref.local is not None
        await report(0.0, f"Uploading {ref.field} ({ref.local.size / 1e6:.1f} MB) to HeyGen.")
        key = upload_key(job_key, ref.field)
        if ref.local.size > self.multipart_max_bytes:
            return wire.IdAsset(asset_id=await self._direct(ref.local, key))
        return wire.IdAsset(asset_id=await self._multipart(ref.local, key))

    async def _multipart(self, local: LocalMedia, key: str) -> str:
        data = await anyio.to_thread.run_sync(local.read_bytes)
        body = await self.http.json("POST", "/v3/assets", files={"file": (local.path.name, data, local.mime)},
                                    headers={"Idempotency-Key": key}, idempotent=True, timeout=UPLOAD_TIMEOUT)
        return decode(wire.Asset, data_of(body), "the upload").asset_id

    async def _direct(self, local: LocalMedia, key: str) -> str:
        """Declare the file, PUT its bytes to the presigned URL (no API key: it is storage), then complete it."""
        data = await anyio.to_thread.run_sync(local.read_bytes)
        checksum = hashlib.sha256(data).hexdigest()
        declared = wire.DirectUploadRequest(filename=local.path.name, content_type=local.mime, size_bytes=len(data),
                                            checksum_sha256=checksum)
        body = await self.http.json("POST", "/v3/assets/direct-uploads", json=declared.body(),
                                    headers={"Idempotency-Key": key}, idempotent=True)
        target = decode(wire.DirectUpload, data_of(body), "the direct upload")
        await self.http.request("PUT", target.upload_url, content=data, headers=target.upload_headers,
                                authenticate=False, timeout=UPLOAD_TIMEOUT)
        await self.http.json("POST", f"/v3/assets/{target.asset_id}/complete",
                             json=wire.CompleteUpload(checksum_sha256=checksum).body(), idempotent=True)
        return target.asset_id
