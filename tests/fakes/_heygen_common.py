"""Shared machinery of the HeyGen emulators (`heygen_v2.HeyGenV2Fake`, `heygen_v3.HeyGenV3Fake`).

- `ApiError` and the three error/success envelopes (legacy `{code, data, message}`, v2 `{error, data}`, v3 `{data}`);
- `HeyGenFakeBase`: auth, per-route token buckets, poll-driven status machines, credits, forced failures,
  `complete_all()`, webhook fan-out (signed to registered endpoints, unsigned to per-job callback URLs);
- byte helpers: MIME sniffing, image size, silent MP3, signed-looking media URLs, captions.
Catalogue data lives in `_heygen_catalogue.py`, request validation helpers in `_heygen_validate.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes._harness import FakeVendor, sample_jpeg, sample_mp4

Envelope = Literal["old", "new", "v3"]
Handler = Callable[[Request], Awaitable[Response]]

LEGACY_CODES = {"unauthorized": 40102, "video_not_found": 40104, "rate_limit_exceeded": 400123,
                "invalid_parameter": 400, "insufficient_credit": 40201, "payload_too_large": 413}
"""Integer codes of the legacy `{code, message}` envelope, by the string code used elsewhere."""

AUDIO_SECONDS = 10.0
"""Duration the fakes assume for a supplied audio track (they do not decode audio)."""

# A 1x1 transparent GIF (the smallest real GIF), served as gif_url previews.
GIF_1X1 = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


class ApiError(Exception):
    """A vendor error: HTTP status, string code (v2 new envelope / v3), message, optional param and legacy int code."""

    def __init__(self, status: int, code: str, message: str, *, param: str | None = None,
                 legacy: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.legacy = legacy if legacy is not None else LEGACY_CODES.get(code, status)
        self.headers = dict(headers or {})


def bad(param: str, message: str) -> ApiError:
    """400 invalid_parameter naming the offending field."""
    return ApiError(400, "invalid_parameter", message, param=param)


# ---------------------------------------------------------------- bytes
def sniff(data: bytes) -> str | None:
    """The MIME type the bytes really are (magic numbers), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"GIF8":
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "application/x-subrip" if "-->" in text else None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG or PNG, read from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def mp3_silence(seconds: float) -> bytes:
    """A real MPEG-1 Layer III stream of silence lasting about `seconds` (128 kb/s, 44.1 kHz)."""
    frame = b"\xff\xfb\x90\x00" + bytes(413)  # 417-byte frames of 1152 samples; zero side info decodes as silence
    return frame * max(1, round(seconds * 44100 / 1152))


def words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def speech_seconds(text: str, speed: float = 1.0) -> float:
    """How long the fake says `text` takes: 150 words a minute at speed 1, at least one second."""
    return round(max(1.0, len(words(text)) * 0.4 / max(speed, 0.1)), 2)


def _ts(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_captions(text: str, duration: float) -> bytes:
    return f"1\n{_ts(0, ',')} --> {_ts(duration, ',')}\n{text or '...'}\n".encode()


def ass_captions(text: str, duration: float) -> bytes:
    start, end = _ts(0, ".")[1:-1], _ts(duration, ".")[1:-1]
    return ("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
            "Style: Default,Arial,48\n\n[Events]\nFormat: Layer, Start, End, Style, Text\n"
            f"Dialogue: 0,{start},{end},Default,{text or '...'}\n").encode()


def is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def new_id() -> str:
    return uuid.uuid4().hex


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without the fake's private `_` fields."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


class TokenBucket:
    """`capacity` requests per `per` seconds, refilled continuously."""

    def __init__(self, capacity: int, per: float) -> None:
        self.capacity, self.rate = float(capacity), capacity / per
        self.tokens, self.stamp = float(capacity), time.monotonic()

    def take(self) -> float:
        """0 when allowed, else seconds until a token is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


# ---------------------------------------------------------------- the base emulator
class HeyGenFakeBase(FakeVendor):
    """What both HeyGen generations share. Subclasses fill `STAGES`, `routes()` and `on_finished()`.

    Status machines: a job of kind K starts in STAGES[K][0]; each status poll of it counts one poll and shows the
    intermediate stages; the poll after `polls_for(K)` polls (default `polls_to_complete`, per kind in `polls`)
    shows the terminal status (success, or failure when the job was doomed / `fail_next` was armed).
    """

    STAGES: ClassVar[dict[str, tuple[str, tuple[str, ...], str, str]]] = {}
    """kind -> (initial status, intermediate statuses shown by polls, success status, failure status)."""
    RATE_LIMIT_MESSAGE = "Rate limit exceeded. Please retry later."

    def __init__(self, api_key: str = "test-heygen-key", *, polls_to_complete: int = 2,
                 polls: dict[str, int] | None = None, credits: float = 100.0,
                 rate_limit: tuple[int, float] | dict[str, tuple[int, float]] | None = None,
                 signature_header: str = "Signature", timestamp_header: str | None = None,
                 min_photo_side: int = 512) -> None:
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.polls = dict(polls or {})
        self.credits = float(credits)
        self.used_credits = 0.0
        self.rate_limit = rate_limit
        self.signature_header, self.timestamp_header = signature_header, timestamp_header
        self.min_photo_side = min_photo_side
        self.state_lock = threading.RLock()
        self.deliveries: list[dict[str, Any]] = []
        self.webhook_endpoints: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._fail_next: dict[str, deque[tuple[Any, str]]] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._delivery_done = threading.Condition()
        super().__init__()

    # -- test helpers
    def polls_for(self, kind: str) -> int:
        return self.polls.get(kind, self.polls_to_complete)

    def fail_next(self, kind: str, code: Any = None, message: str = "Job failed") -> None:
        """Make the next job of `kind` created end in failure with this code/message."""
        self._fail_next.setdefault(kind, deque()).append((code, message))

    def fail_next_video(self, code: Any = None, message: str = "Video rendering failed") -> None:
        self.fail_next("video", code, message)

    def jobs(self) -> list[dict[str, Any]]:
        """Every record that runs a status machine (subclasses list their collections)."""
        return []

    def complete_all(self) -> int:
        """Drive every unfinished job to its terminal status now (firing webhooks); returns how many finished."""
        done = 0
        with self.state_lock:
            for rec in self.jobs():
                if rec.get("_kind") and not self.is_terminal(rec) and not rec.get("_held"):
                    self.finish(rec)
                    done += 1
        return done

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `count` webhook deliveries have finished (answered or errored); returns them all."""
        deadline = time.monotonic() + timeout
        with self._delivery_done:
            while sum(1 for d in self.deliveries if d["done"]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} deliveries expected, got {len(self.deliveries)}")
                self._delivery_done.wait(left)
            return list(self.deliveries)

    # -- status machines
    def new_job(self, kind: str, **fields: Any) -> dict[str, Any]:
        rec: dict[str, Any] = {**fields, "status": self.STAGES[kind][0], "_kind": kind, "_polls": 0,
                               "_outcome": None}
        queue = self._fail_next.get(kind)
        if queue:
            code, message = queue.popleft()
            rec["_outcome"] = {"code": code, "message": message}
        return rec

    def is_terminal(self, rec: dict[str, Any]) -> bool:
        _, _, done, failed = self.STAGES[rec["_kind"]]
        return rec["status"] in (done, failed)

    def advance(self, rec: dict[str, Any]) -> bool:
        """Count one status poll of `rec`; True when this poll moved it to a terminal status."""
        if not rec.get("_kind") or self.is_terminal(rec) or rec.get("_held"):
            return False
        _, middle, _, _ = self.STAGES[rec["_kind"]]
        rec["_polls"] += 1
        if rec["_polls"] > self.polls_for(rec["_kind"]):
            self.finish(rec)
            return True
        if middle:
            rec["status"] = middle[min(rec["_polls"] - 1, len(middle) - 1)]
        return False

    def finish(self, rec: dict[str, Any]) -> None:
        _, _, done, failed = self.STAGES[rec["_kind"]]
        rec["status"] = failed if rec["_outcome"] else done
        self.on_finished(rec)

    def on_finished(self, rec: dict[str, Any]) -> None:
        """Kind-specific work at the terminal transition (URLs, refunds, webhooks)."""

    # -- credits
    def charge(self, cost: float) -> None:
        if cost > self.credits + 1e-9:
            raise self.insufficient_credit(cost)
        self.credits -= cost
        self.used_credits += cost

    def refund(self, cost: float) -> None:
        self.credits += cost
        self.used_credits -= cost

    def insufficient_credit(self, cost: float) -> ApiError:
        return ApiError(402, "insufficient_credit",
                        f"Insufficient credit: this job needs {cost:g} credits, {self.credits:g} remaining.")

    @staticmethod
    def per_minute(rate: float, seconds: float) -> float:
        """Credits for `seconds` of video at `rate` credits a minute, billed per started minute."""
        return rate * max(1, math.ceil(seconds / 60))

    # -- media
    def put_media(self, name: str, data: bytes, content_type: str) -> str:
        self.media[name] = (data, content_type)
        return self.media_url(name)

    def finished_video_media(self, video_id: str, text: str, duration: float, captions: str | None,
                             burned: bool) -> None:
        """Register a finished video's files: mp4, thumbnail, gif, captions (.ass/.srt), captioned mp4."""
        self.put_media(f"video/{video_id}.mp4", sample_mp4(), "video/mp4")
        self.put_media(f"thumbnail/{video_id}.jpg", sample_jpeg(), "image/jpeg")
        self.put_media(f"gif/{video_id}.gif", GIF_1X1, "image/gif")
        if captions == "ass":
            self.put_media(f"caption/{video_id}.ass", ass_captions(text, duration), "text/x-ssa")
        elif captions == "srt":
            self.put_media(f"caption/{video_id}.srt", srt_captions(text, duration), "application/x-subrip")
        if burned:
            self.put_media(f"video/{video_id}_caption.mp4", sample_mp4(), "video/mp4")

    def signed(self, name: str, style: Literal["cloudfront", "s3"] = "cloudfront") -> str:
        """A fresh, signed-looking URL for media `name` (valid 7 days), new on every call."""
        expires = int(time.time()) + 7 * 24 * 3600
        sig = secrets.token_hex(16)
        if style == "s3":
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            return (f"{self.media_url(name)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}"
                    f"&X-Amz-Expires=604800&X-Amz-Signature={sig}")
        return f"{self.media_url(name)}?Expires={expires}&Signature={sig}&Key-Pair-Id=KFAKEHEYGEN"

    # -- webhooks
    def signature_for(self, secret: str, body: bytes, timestamp: str) -> str:
        """Hex HMAC-SHA256 of the raw body keyed by the secret (override to change the signing input)."""
        return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def emit(self, event_type: str, event_data: dict[str, Any], callback_url: str | None = None) -> None:
        """Deliver an event to every matching registered endpoint (signed) and to `callback_url` (unsigned)."""
        event = {"event_type": event_type, "event_data": event_data}
        body = json.dumps(event).encode()
        event_id = new_id()
        self.events.append({"event_id": event_id, **event, "created_at": int(time.time())})
        for endpoint in list(self.webhook_endpoints.values()):
            wanted = endpoint.get("events")
            if endpoint.get("status", "enabled") != "enabled" or (wanted and event_type not in wanted):
                continue
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", self.signature_header:
                       self.signature_for(endpoint["secret"], body, ts)}
            if self.timestamp_header:
                headers[self.timestamp_header] = ts
                headers["Heygen-Event-Id"] = event_id
            self._deliver(endpoint["url"], event_type, body, headers, signed=True)
        if callback_url:
            self._deliver(callback_url, event_type, body, {"Content-Type": "application/json"}, signed=False)

    def _deliver(self, url: str, event_type: str, body: bytes, headers: dict[str, str], *, signed: bool) -> None:
        record: dict[str, Any] = {"url": url, "event_type": event_type, "body": body, "json": json.loads(body),
                                  "headers": headers, "signed": signed, "status_code": None, "error": None,
                                  "done": False}
        self.deliveries.append(record)

        def post() -> None:
            try:
                with httpx.Client(timeout=5.0) as client:
                    record["status_code"] = client.post(url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                record["error"] = repr(exc)
            with self._delivery_done:
                record["done"] = True
                self._delivery_done.notify_all()

        threading.Thread(target=post, daemon=True, name=f"heygen-webhook-{event_type}").start()

    # -- HTTP plumbing
    def authorized(self, request: Request) -> bool:
        return request.headers.get("x-api-key") == self.api_key

    def unauthorized(self) -> ApiError:
        return ApiError(401, "unauthorized", "Unauthorized: invalid or missing API key.")

    def check_rate_limit(self, route_path: str) -> None:
        if self.rate_limit is None:
            return
        rules = [(".*", self.rate_limit)] if isinstance(self.rate_limit, tuple) else list(self.rate_limit.items())
        for pattern, (count, per) in rules:
            if re.search(pattern, route_path):
                bucket = self._buckets.setdefault(f"{pattern}|{route_path}", TokenBucket(count, per))
                wait = bucket.take()
                if wait:
                    raise ApiError(429, "rate_limit_exceeded", self.RATE_LIMIT_MESSAGE,
                                   headers={"Retry-After": str(max(1, math.ceil(wait)))})
                return

    def envelope_error(self, error: ApiError, envelope: Envelope, path: str) -> Response:
        body: dict[str, Any]
        if envelope == "old":
            body = {"code": error.legacy, "message": error.message}
        elif envelope == "new":
            body = {"error": {"code": error.code, "message": error.message}, "data": None}
        else:
            body = {"error": {"code": error.code, "message": error.message}}
            if error.param:
                body["error"]["param"] = error.param
        return JSONResponse(body, status_code=error.status, headers=error.headers)

    def ok(self, data: Any, envelope: Envelope, status: int = 200, **extra: Any) -> JSONResponse:
        if envelope == "old":
            return JSONResponse({"code": 100, "data": data, "message": "Success", **extra}, status_code=status)
        if envelope == "new":
            return JSONResponse({"error": None, "data": data, **extra}, status_code=status)
        return JSONResponse({"data": data, **extra}, status_code=status)

    def api(self, path: str, handler: Handler, methods: list[str], envelope: Envelope, *,
            auth: bool = True) -> Route:
        """A Starlette route running auth, the rate limiter and ApiError rendering around `handler`."""

        async def endpoint(request: Request) -> Response:
            try:
                if auth and not self.authorized(request):
                    raise self.unauthorized()
                self.check_rate_limit(f"{request.method} {path}")
                response = await self.dispatch(request, handler, path)
            except ApiError as error:
                response = self.envelope_error(error, envelope, request.url.path)
            return self.decorate(response)

        return Route(path, endpoint, methods=methods)

    def decorate(self, response: Response) -> Response:
        """Last touch on every API response (v3 adds X-Request-Id)."""
        return response

    async def dispatch(self, request: Request, handler: Handler, path: str) -> Response:
        """Hook between the checks and the handler (v3 adds idempotency here)."""
        return await handler(request)

    @staticmethod
    async def read_json(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as exc:
            raise bad("body", f"Request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise bad("body", "Request body must be a JSON object.")
        return body
