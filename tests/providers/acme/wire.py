"""Acme's requests, answers and error bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from avatar_mcp.providers._http import VendorErrorInfo, body_or_none
from avatar_mcp.providers.wire import Answer, Wire

if TYPE_CHECKING:
    import httpx


class VideoRequest(Wire):
    avatar: str
    script: str
    voice: str | None = None


class Video(Answer):
    id: str
    status: str
    progress: float = 0.0
    url: str | None = None
    error: dict[str, str] | None = None


def parse_error(response: httpx.Response) -> VendorErrorInfo | None:
    if response.is_success:
        return None
    body = body_or_none(response)
    error = body.get("error") or {} if isinstance(body, dict) else {}
    return VendorErrorInfo(response.status_code, str(error.get("message") or response.reason_phrase),
                           code=error.get("code"), param=error.get("param"))
