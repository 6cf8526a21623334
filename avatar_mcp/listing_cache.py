"""A cache of the tools/list answer, so a new session is answered before the tools are built.

Building the tools (importing their modules, deriving ~30 JSON schemas) costs more than the rest of the server's
start, and every chat starts the server. The answer only changes when the code does, so it is kept in the data
dir under a fingerprint of the package's files (path, size, mtime) and of the library versions; any change
makes the cache miss, and the tools are then built before answering, as without a cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from mcp_types import Tool

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
FORMAT = 1


def fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for dist in ("mcp", "mcp-types", "pydantic"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(dist.encode())
    for path in sorted(package_dir.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package_dir)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


class ToolListCache:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "tools-list.json"
        self._key: str | None = None

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = fingerprint()
        return self._key

    def load(self) -> list[Tool] | None:
        """The cached tools/list answer, or None when there is none for this exact code."""
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("key") != self.key:
                return None
            return [Tool.model_validate(t) for t in data["tools"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, tools: list[Tool]) -> None:
        payload = {"key": self.key, "tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True)
                                              for t in tools]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            logger.info("could not write the tools cache: %s", exc)
