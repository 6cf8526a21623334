"""Media arguments sorted before any request: a local file (checked now, uploaded later), an https URL, an asset.

`plan` does every check that needs no network (media roots, type from the bytes, size, https), so a request
that would break a rule fails before HeyGen is called at all. The backends then turn each `MediaRef` into what
their API takes (v2: asset id / image_key / URL; v3: an AssetInput).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import LocalMedia, MediaKind, MediaPolicy, classify, require_https


@dataclass(frozen=True)
class MediaRef:
    """One media argument after the offline checks."""

    kind: Literal["path", "url", "asset"]
    value: str
    """The path as given, the https URL, or the asset key without its `asset:` prefix."""
    field: str
    local: LocalMedia | None = None


def plan(media: MediaPolicy, source: str, *, kinds: tuple[MediaKind, ...], max_bytes: int, field: str,
         mimes: tuple[str, ...] | None = None, handed_on: bool = False) -> MediaRef:
    """Check a media argument offline; `mimes` narrows the accepted types of local files (HeyGen's upload list).
    `handed_on`: a URL goes to HeyGen as is (v3), so its host must be a public one (media.require_https)."""
    kind = classify(source)
    if kind == "url":
        vendor = "HeyGen" if handed_on else None
        return MediaRef("url", require_https(source, what=f"{field} URL", vendor=vendor), field)
    if kind == "asset":
        key = source.strip()[len("asset:"):].strip()
        if not key:
            raise MediaRejected(f"{field}: 'asset:' must be followed by the HeyGen asset id or image key.",
                                source=source)
        return MediaRef("asset", key, field)
    local = media.open_local(source, kinds=kinds, max_bytes=max_bytes)
    if mimes is not None and local.mime not in mimes:
        raise MediaRejected(f"{field}: {source!r} is {local.mime}; HeyGen takes {', '.join(mimes)} here. Convert the "
                            f"file and try again.", source=source)
    return MediaRef("path", source, field, local)
