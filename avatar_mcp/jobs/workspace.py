"""Where a job's files are made and where they are kept.

Every attempt at a job's work (a render, a download) writes only into its own folder, `<media>/jobs/<id>/.attempt-N`
(N = the lease's epoch). When the work is done, the lease holder moves what it made into the job's folder with
renames (atomic on one file system) and only then records the result. So a process never deletes or overwrites
files of work it does not own: an abandoned attempt leaves only its own folder, which the next holder of the lease
(or the periodic sweep, once nobody holds the lease) removes.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from avatar_mcp.jobs.store import Lease
from avatar_mcp.models import JobResult, MediaOutput

logger = logging.getLogger(__name__)

ATTEMPT_PREFIX = ".attempt-"
LEGACY_TEMP = ".render-"
"""Temporary folders renders made in the job's folder itself before attempts had their own."""
TEMP_SUFFIXES = (".part", ".download")
"""Partial files (downloads in progress): never moved into place."""


def job_folder(media_dir: Path, job_id: str) -> Path:
    return media_dir / "jobs" / job_id


def open_attempt(media_dir: Path, lease: Lease) -> Path:
    """A fresh, empty folder for this lease's attempt. Other attempts' folders of the job are removed: holding the
    lease means their processes are dead, or fenced off (whatever they would still record is refused)."""
    folder = job_folder(media_dir, lease.job_id)
    mine = folder / f"{ATTEMPT_PREFIX}{lease.epoch}"
    if folder.is_dir():
        for old in folder.glob(f"{ATTEMPT_PREFIX}*"):
            shutil.rmtree(old, ignore_errors=True)
    mine.mkdir(parents=True, exist_ok=True)
    return mine


def discard(attempt: Path) -> None:
    """Remove an attempt's own folder (what it made was moved into place already, or is not wanted)."""
    shutil.rmtree(attempt, ignore_errors=True)


def place(result: JobResult, attempt: Path) -> JobResult:
    """Move every finished file of `attempt` into the job's folder (its parent) and return `result` pointing at
    the new paths. Call only while holding the lease (renew it first): the renames are the commit of the files."""
    target = attempt.parent
    moved: dict[str, str] = {}
    for entry in sorted(attempt.iterdir()):
        if entry.name.startswith(".") or entry.suffix in TEMP_SUFFIXES:
            continue
        final = target / entry.name
        if entry.is_dir() and final.is_dir():
            shutil.rmtree(final)  # an earlier attempt of this same job, which the lease holder owns now
        entry.replace(final)
        moved[str(entry)] = str(final)
    return repoint(result, moved)


def repoint(result: JobResult, moved: dict[str, str]) -> JobResult:
    """`result` with every local path found in `moved` replaced by its new place."""
    fresh = result.model_copy(deep=True)
    outputs: list[MediaOutput] = [fresh, *(fresh.outputs or [])]
    for output in outputs:
        for name in ("video_path", "captions_path", "thumbnail_path"):
            value = getattr(output, name)
            if value in moved:
                setattr(output, name, moved[value])
    for candidate in fresh.candidates or []:
        if candidate.image_path in moved:
            candidate.image_path = moved[candidate.image_path]
    if fresh.preview_image_path in moved:
        fresh.preview_image_path = moved[fresh.preview_image_path]
    return fresh


def attempts(media_dir: Path, min_age: float) -> Iterator[tuple[str, Path]]:
    """(job id, folder) of every attempt folder not touched for `min_age` seconds (candidates for the sweep)."""
    root = media_dir / "jobs"
    if not root.is_dir():
        return
    now = time.time()
    for folder in [*root.glob(f"*/{ATTEMPT_PREFIX}*"), *root.glob(f"*/{LEGACY_TEMP}*")]:
        try:
            age = now - folder.stat().st_mtime
        except OSError:
            continue
        if age >= min_age:
            yield folder.parent.name, folder
