"""Plumbing of the HeyGen v3 emulator: auth, `{data}`/`{error}` envelopes, X-Request-Id, Idempotency-Key replay,
cursor pagination, AssetInput resolution, and the /v3/assets routes (multipart upload, direct uploads)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from typing import Any

import httpx
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes._heygen_common import ApiError, Handler, HeyGenFakeBase, bad, image_size, is_url, new_id, sniff
from tests.fakes._heygen_v3_schema import COMPLETE_UPLOAD, DIRECT_UPLOAD, asset_input_properties
from tests.fakes._heygen_validate import only, opt_str, req_num, req_str

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_:.\-]{1,255}")
MB = 1024 * 1024
ASSET_TYPES = {"image/png": "image", "image/jpeg": "image", "video/mp4": "video", "video/webm": "video",
               "audio/mpeg": "audio", "audio/wav": "audio", "application/pdf": "document",
               "application/x-subrip": "subtitle"}
ALIASES = {"image/jpg": "image/jpeg", "audio/mp3": "audio/mpeg", "audio/x-wav": "audio/wav", "audio/wave": "audio/wav",
           "text/srt": "application/x-subrip", "application/srt": "application/x-subrip"}
EXTENSIONS = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4",
              ".webm": "video/webm", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".pdf": "application/pdf",
              ".srt": "application/x-subrip"}
KIND_LIMITS = {"video": 100 * MB, "image": 50 * MB, "audio": 50 * MB, "document": 32 * MB, "subtitle": 32 * MB}


def normalize_mime(value: str | None) -> str:
    mime = (value or "").split(";")[0].strip().lower()
    return ALIASES.get(mime, mime)


class V3Base(HeyGenFakeBase):
    """Shared v3 behaviour; `HeyGenV3Fake` adds the resource routes."""

    def __init__(self, api_key: str = "test-heygen-key", *, max_asset_bytes: int = 32 * MB,
                 processing_delay: float = 0.0, fetch_urls: bool = False, **options: Any) -> None:
        self.max_asset_bytes = max_asset_bytes
        self.processing_delay = processing_delay
        self.fetch_urls = fetch_urls
        self.assets: dict[str, dict[str, Any]] = {}
        self.idempotent: dict[tuple[str, str, str], tuple[int, bytes]] = {}
        self._in_flight: set[tuple[str, str, str]] = set()
        super().__init__(api_key, **options)

    # ------------------------------------------------------------ plumbing
    def authorized(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        return self.api_key in (request.headers.get("x-api-key"), bearer)

    def decorate(self, response: Response) -> Response:
        response.headers["X-Request-Id"] = new_id()
        return response

    async def dispatch(self, request: Request, handler: Handler, path: str) -> Response:
        """Idempotency-Key: replay a finished 2xx answer, 409 while the first is still running."""
        if request.method != "POST":
            return await handler(request)
        key = request.headers.get("idempotency-key")
        if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
            raise bad("Idempotency-Key", "Idempotency-Key must be 1-255 characters of [A-Za-z0-9_:.-].")
        scope = (request.method, request.url.path, key or "")
        if key is not None:
            if scope in self._in_flight:
                raise ApiError(409, "request_in_progress",
                               "A request with this Idempotency-Key is still being processed; retry later.")
            if scope in self.idempotent:
                status, body = self.idempotent[scope]
                return Response(body, status_code=status, media_type="application/json",
                                headers={"Idempotent-Replayed": "true"})
            self._in_flight.add(scope)
        try:
            if self.processing_delay:
                await asyncio.sleep(self.processing_delay)
            response = await handler(request)
        finally:
            self._in_flight.discard(scope)
        if key is not None and 200 <= response.status_code < 300:
            self.idempotent[scope] = (response.status_code, bytes(response.body))
        return response

    def data(self, payload: Any, status: int = 200) -> JSONResponse:
        return self.ok(payload, "v3", status)

    def page(self, request: Request, items: list[Any], *, hi: int = 50, default: int = 20) -> JSONResponse:
        """Cursor pagination: `limit` (1..hi) and `token` (a previous `next_token`)."""
        raw = request.query_params.get("limit")
        try:
            limit = default if raw is None else int(raw)
        except ValueError:
            raise bad("limit", f"limit must be an integer between 1 and {hi}.") from None
        if not 1 <= limit <= hi:
            raise bad("limit", f"limit must be between 1 and {hi} (got {limit}).")
        offset = 0
        token = request.query_params.get("token")
        if token:
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["o"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise bad("token", "Invalid pagination token.") from None
        more = offset + limit < len(items)
        next_token = base64.urlsafe_b64encode(json.dumps({"o": offset + limit}).encode()).decode() if more else None
        return JSONResponse({"data": items[offset:offset + limit], "has_more": more, "next_token": next_token})

    def not_found(self, what: str, ident: str, param: str | None = None) -> ApiError:
        code = {"video": "video_not_found", "avatar": "avatar_not_found", "voice": "voice_not_found"}
        return ApiError(404, code.get(what, "not_found"), f"{what.capitalize()} {ident} not found.", param=param)

    # ------------------------------------------------------------ AssetInput
    async def resolve(self, value: Any, param: str, want: tuple[str, ...] = ()) -> dict[str, Any]:
        """Resolve an AssetInput (`url` | `asset_id` | `base64`) to {mime, kind, data, width, height}."""
        if not isinstance(value, dict):
            raise bad(param, f"{param} must be an AssetInput object with a type of url, asset_id or base64.")
        asset_input_properties(value, param)
        kind = value.get("type")
        data: bytes | None = None
        mime: str | None = None
        if kind == "url":
            url = req_str(value, "url", param)
            if not is_url(url):
                raise bad(f"{param}.url", f"{param}.url must be an http(s) URL.")
            data = await self._download(url, param)
            mime = sniff(data) if data else EXTENSIONS.get("." + url.split("?")[0].rsplit(".", 1)[-1].lower())
        elif kind == "asset_id":
            asset_id = req_str(value, "asset_id", param)
            asset = self.assets.get(asset_id)
            if asset is None:
                raise self.not_found("asset", asset_id, f"{param}.asset_id")
            if asset["status"] != "ready":
                raise ApiError(400, "asset_not_available", f"Asset {asset_id} is not uploaded yet.",
                               param=f"{param}.asset_id")
            data, mime = self.media[asset["_media"]][0], asset["mime_type"]
        elif kind == "base64":
            declared = normalize_mime(req_str(value, "media_type", param))
            try:
                data = base64.b64decode(req_str(value, "data", param), validate=True)
            except (binascii.Error, ValueError):
                raise bad(f"{param}.data", f"{param}.data is not valid base64.") from None
            mime = sniff(data)
            if mime != declared:
                raise bad(f"{param}.media_type", f"{param}.media_type {declared} does not match the data "
                                                 f"({mime or 'unknown'}).")
        else:
            raise bad(f"{param}.type", f"{param}.type must be one of 'url', 'asset_id', 'base64'.")
        family = ASSET_TYPES.get(mime or "")
        if want and mime is not None and family not in want:
            raise bad(param, f"{param} must be {' or '.join(want)} (got {mime}).")
        if data is not None and family and len(data) > KIND_LIMITS[family]:
            raise ApiError(413, "payload_too_large", f"{param} exceeds the {family} size limit.", param=param)
        size = image_size(data) if data else None
        return {"mime": mime, "kind": family, "data": data, "width": size[0] if size else None,
                "height": size[1] if size else None}

    async def _download(self, url: str, param: str) -> bytes | None:
        """Bytes behind a URL: the fake's own media are looked up; others fetched only with `fetch_urls`."""
        own = f"{self.base_url}/_media/"
        if self.base_url and url.startswith(own):
            item = self.media.get(url[len(own):].split("?")[0])
            if item is None:
                raise ApiError(400, "download_failed", f"Could not download {url} (404).", param=param)
            return item[0]
        if not self.fetch_urls:
            return None
        try:
            async with httpx.AsyncClient(timeout=5.0, follow_redirects=True) as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            raise ApiError(400, "download_failed", f"Could not download {url}: {exc!r}", param=param) from exc
        if response.status_code >= 400:
            raise ApiError(400, "download_failed", f"Could not download {url} ({response.status_code}).", param=param)
        return response.content

    # ------------------------------------------------------------ assets
    def asset_routes(self) -> list[BaseRoute]:
        a = self.api
        return [a("/v3/assets", self.upload_asset, ["POST"], "v3"),
                a("/v3/assets/direct-uploads", self.direct_upload, ["POST"], "v3"),
                a("/v3/assets/{asset_id}/complete", self.complete_upload, ["POST"], "v3"),
                a("/v3/assets/{asset_id}", self.get_asset, ["GET"], "v3"),
                a("/v3/assets/{asset_id}", self.delete_asset, ["DELETE"], "v3"),
                Route("/_upload/{asset_id}", self.put_upload, methods=["PUT"])]

    def _store(self, asset_id: str, name: str, mime: str, data: bytes) -> dict[str, Any]:
        ext = next((e for e, m in EXTENSIONS.items() if m == mime), ".bin")
        media = f"asset/{asset_id}/original{ext}"
        url = self.put_media(media, data, mime)
        record = self.assets.setdefault(asset_id, {"id": asset_id})
        record.update({"name": name, "type": ASSET_TYPES[mime], "owner": "fake-user", "space_id": "space_fake",
                       "uploaded_at": int(time.time()), "url": url, "folder_id": None, "mime_type": mime,
                       "size_bytes": len(data), "status": "ready", "_media": media})
        return record

    async def upload_asset(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise bad("file", "Send multipart/form-data with one part named 'file'.")
        if len(await request.body()) > self.max_asset_bytes + MB:
            raise ApiError(413, "payload_too_large", f"File exceeds {self.max_asset_bytes} bytes.", param="file")
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise bad("file", "A part named 'file' with the file content is required.")
        data = await upload.read()
        if len(data) > self.max_asset_bytes:
            raise ApiError(413, "payload_too_large", f"File exceeds {self.max_asset_bytes} bytes.", param="file")
        if not data:
            raise bad("file", "The file is empty.")
        declared = normalize_mime(upload.content_type)
        actual = sniff(data)
        if declared in ("", "application/octet-stream"):
            declared = actual or ""
        if declared not in ASSET_TYPES:
            raise bad("file", f"Unsupported file type {declared or 'unknown'}; allowed: png, jpeg, mp4, webm, mp3, "
                              "wav, pdf, srt.")
        if actual != declared:
            raise bad("file", f"File content ({actual or 'unknown'}) does not match its type {declared}.")
        with self.state_lock:
            record = self._store(new_id(), upload.filename or "upload", declared, data)
            return self.data({"asset_id": record["id"], "url": record["url"], "mime_type": declared,
                              "size_bytes": len(data)})

    async def direct_upload(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, DIRECT_UPLOAD)
        filename = req_str(body, "filename")
        mime = normalize_mime(req_str(body, "content_type"))
        if mime not in ASSET_TYPES:
            raise bad("content_type", f"Unsupported content_type {mime}.")
        size = int(req_num(body, "size_bytes", lo=1, integer=True))
        checksum = opt_str(body, "checksum_sha256")
        if checksum is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", checksum):
            raise bad("checksum_sha256", "checksum_sha256 must be 64 hex characters.")
        limit = KIND_LIMITS[ASSET_TYPES[mime]]
        if size > limit:
            raise ApiError(413, "payload_too_large", f"size_bytes exceeds the limit of {limit}.", param="size_bytes")
        with self.state_lock:
            asset_id, token = new_id(), secrets.token_hex(16)
            self.assets[asset_id] = {"id": asset_id, "name": filename, "type": ASSET_TYPES[mime], "owner": "fake-user",
                                     "space_id": "space_fake", "uploaded_at": None, "url": None, "folder_id": None,
                                     "mime_type": mime, "size_bytes": size, "status": "pending_upload",
                                     "_token": token, "_checksum": checksum, "_uploaded": None}
            return self.data({"asset_id": asset_id, "status": "pending_upload", "expires_in_seconds": 3600,
                              "upload_url": f"{self.base_url}/_upload/{asset_id}?X-Amz-Expires=3600"
                                            f"&X-Amz-Signature={token}",
                              "upload_headers": {"Content-Type": mime}, "max_bytes": limit})

    async def put_upload(self, request: Request) -> Response:
        """The presigned PUT target (storage, not the API: no API key, S3-style errors)."""
        asset = self.assets.get(request.path_params["asset_id"])
        if asset is None or request.query_params.get("X-Amz-Signature") != asset.get("_token"):
            return Response(b"<Error><Code>AccessDenied</Code></Error>", 403, media_type="application/xml")
        if normalize_mime(request.headers.get("content-type")) != asset["mime_type"]:
            return Response(b"<Error><Code>SignatureDoesNotMatch</Code></Error>", 403, media_type="application/xml")
        data = await request.body()
        asset["_uploaded"] = data
        return Response(b"", 200, headers={"ETag": f'"{hashlib.md5(data).hexdigest()}"'})

    async def complete_upload(self, request: Request) -> Response:
        body = await self.read_json(request) if (await request.body()).strip() else {}
        only(body, COMPLETE_UPLOAD)
        with self.state_lock:
            asset = self.assets.get(request.path_params["asset_id"])
            if asset is None:
                raise self.not_found("asset", request.path_params["asset_id"])
            if asset["status"] != "ready":
                data = asset.get("_uploaded")
                if data is None:
                    raise bad("asset_id", "Nothing was uploaded to upload_url yet.")
                if len(data) != asset["size_bytes"]:
                    raise bad("size_bytes", f"Uploaded {len(data)} bytes, declared {asset['size_bytes']}.")
                checksum = opt_str(body, "checksum_sha256") or asset.get("_checksum")
                if checksum and hashlib.sha256(data).hexdigest() != checksum.lower():
                    raise bad("checksum_sha256", "checksum_sha256 does not match the uploaded bytes.")
                if sniff(data) != asset["mime_type"]:
                    raise bad("content_type", f"Uploaded bytes are not {asset['mime_type']}.")
                self._store(asset["id"], asset["name"], asset["mime_type"], data)
            return self.data({k: asset[k] for k in ("url", "mime_type", "size_bytes", "status")}
                             | {"asset_id": asset["id"]})

    def _asset(self, request: Request) -> dict[str, Any]:
        asset = self.assets.get(request.path_params["asset_id"])
        if asset is None:
            raise self.not_found("asset", request.path_params["asset_id"])
        return asset

    async def get_asset(self, request: Request) -> Response:
        with self.state_lock:
            asset = self._asset(request)
            return self.data({k: asset[k] for k in ("id", "name", "type", "owner", "space_id", "uploaded_at", "url",
                                                    "folder_id")})

    async def delete_asset(self, request: Request) -> Response:
        with self.state_lock:
            asset = self.assets.pop(self._asset(request)["id"])
            self.media.pop(asset.get("_media", ""), None)
            return self.data({"id": asset["id"]})
