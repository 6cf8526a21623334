"""Finished media: downloaded into the data dir, because vendor URLs expire (HeyGen's after 7 days).

Downloads run as leased work of a `finishing` job, into the attempt's own folder (jobs/workspace.py); the lease
holder moves them into place afterwards. A download that fails does not fail the job: the vendor URL stays in
the result with a warning, and download_result tries again (with fresh URLs from the vendor where it gives them).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from avatar_mcp.errors import AvatarError
from avatar_mcp.jobs import lifecycle
from avatar_mcp.media import MIME_EXTENSIONS
from avatar_mcp.models import JobResult, MediaOutput
from avatar_mcp.netclient import SharedHTTP
from avatar_mcp.outbound import download

DOWNLOAD_WARNING = "Could not download"
URL_FIELDS = ("video_url", "thumbnail_url", "captions_url", "preview_image_url")


def pending_downloads(result: JobResult) -> int:
    """How many URLs of `result` have no local copy yet."""
    count = 0
    for output in [result, *(result.outputs or [])]:
        count += sum(1 for url, path in ((output.video_url, output.video_path),
                                         (output.thumbnail_url, output.thumbnail_path),
                                         (output.captions_url, output.captions_path)) if url and not path)
    count += sum(1 for c in result.candidates or [] if c.image_url and not c.image_path)
    return count + int(bool(result.preview_image_url and not result.preview_image_path))


async def download_outputs(http: SharedHTTP, result: JobResult, folder: Path, max_bytes: int, job_id: str) -> None:
    """Fill the *_path fields of `result` for every URL it has that is not downloaded yet, into `folder`."""
    outputs: list[MediaOutput] = [result, *(result.outputs or [])]
    for n, output in enumerate(outputs):
        stem = "video" if n == 0 else f"video_{n}"
        pairs = (("video_url", "video_path", stem), ("thumbnail_url", "thumbnail_path", f"{stem}_thumbnail"),
                 ("captions_url", "captions_path", f"{stem}_captions"))
        for url_field, path_field, name in pairs:
            url = getattr(output, url_field)
            if url and not getattr(output, path_field):
                setattr(output, path_field, await _fetch(http, url, folder / name, max_bytes, result, job_id))
    for candidate in result.candidates or []:
        if candidate.image_url and not candidate.image_path:
            candidate.image_path = await _fetch(http, candidate.image_url, folder / f"candidate_{candidate.index}",
                                                max_bytes, result, job_id)
    if result.preview_image_url and not result.preview_image_path:
        result.preview_image_path = await _fetch(http, result.preview_image_url, folder / "preview", max_bytes,
                                                 result, job_id)


async def _fetch(http: SharedHTTP, url: str, stem: Path, max_bytes: int, result: JobResult,
                 job_id: str) -> str | None:
    tmp = stem.with_suffix(".download")
    lifecycle.reached("downloading", job_id)
    try:
        media = await download(http, url, tmp, max_bytes=max_bytes)
    except AvatarError as exc:
        result.warnings.append(f"{DOWNLOAD_WARNING} {stem.name}: {exc} The vendor URL still works until it "
                               f"expires; call download_result to try again.")
        return None
    final = stem.with_suffix(MIME_EXTENSIONS.get(media.mime) or _text_extension(url))
    media.path.replace(final)
    return str(final)


def _text_extension(url: str) -> str:
    """Captions are text, which has no magic bytes: the URL's extension tells which format."""
    path = urlsplit(url).path.lower()
    for ext in (".srt", ".ass", ".vtt"):
        if path.endswith(ext):
            return ext
    return ".bin"


def with_fresh_urls(old: JobResult, fresh: JobResult) -> JobResult:
    """`old` with the vendor's newly signed URLs (their local copies are fetched again)."""
    merged = old.model_copy(deep=True)
    for name in URL_FIELDS:
        value = getattr(fresh, name)
        if value:
            setattr(merged, name, value)
            setattr(merged, name.replace("_url", "_path"), None)
    return merged
