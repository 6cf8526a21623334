"""docs/architecture.md names only files that exist: every path in backticks, and every link to another page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def test_every_path_and_link_in_the_architecture_page_exists() -> None:
    text = DOC.read_text()
    paths = {p for p in re.findall(r"`([^`\s]+)`", text) if "/" in p and "<" not in p}
    links = set(re.findall(r"\]\(([^)#\s]+)\)", text))
    assert len(paths) > 40 and links
    missing = sorted(p for p in paths if not (ROOT / p).exists()) + sorted(
        link for link in links if not (DOC.parent / link).exists())
    assert missing == []


def test_every_vendor_home_and_module_of_the_package_is_on_the_page() -> None:
    text = DOC.read_text()
    homes = [p.parent.name for p in (ROOT / "avatar_mcp" / "providers").glob("*/spec.py")]
    assert homes and all(f"`avatar_mcp/providers/{home}/`" in text for home in homes)
    top = [p.name for p in (ROOT / "avatar_mcp").glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert [name for name in top if f"`avatar_mcp/{name}`" not in text] == []
