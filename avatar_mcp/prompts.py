"""MCP prompts loaded from markdown files (prompts/ at the top of the project, packaged as avatar_mcp/_prompts).

A prompt file starts with a small front matter between `---` lines:

    name: talking-photo-video
    title: Talking-photo video
    description: Turn one photo and a script into a talking video.
    argument photo: required | The photo: a local path inside the media roots or an https URL.
    argument voice: optional | A voice name, language or gender to prefer.

The body is the message sent to the model; `{argument}` placeholders are filled (missing optional ones
become "(not given)").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument, UserMessage

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: tuple[PromptArgument, ...]
    body: str

    def render(self, values: dict[str, Any]) -> str:
        known = {a.name for a in self.arguments}

        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in known:
                return match.group(0)
            value = values.get(key)
            return str(value) if value not in (None, "") else "(not given)"

        return _PLACEHOLDER.sub(fill, self.body)


def parse_prompt(text: str, source: str = "<prompt>") -> PromptFile:
    """Parse one prompt file; raises ValueError naming the file and the problem."""
    match = re.match(r"\A---\n(.*?)\n---\n(.*)\Z", text, re.S)
    if match is None:
        raise ValueError(f"{source}: a prompt file starts with front matter between '---' lines")
    meta: dict[str, str] = {}
    arguments: list[PromptArgument] = []
    for line in match.group(1).splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{source}: cannot read front matter line {line!r}")
        key, value = key.strip(), value.strip()
        if key.startswith("argument "):
            flag, _, description = value.partition("|")
            if flag.strip() not in ("required", "optional"):
                raise ValueError(f"{source}: argument lines read 'argument NAME: required|optional | description'")
            arguments.append(PromptArgument(name=key.split(None, 1)[1].strip(), description=description.strip(),
                                            required=flag.strip() == "required"))
        else:
            meta[key] = value
    for needed in ("name", "description"):
        if needed not in meta:
            raise ValueError(f"{source}: front matter needs '{needed}'")
    return PromptFile(name=meta["name"], title=meta.get("title", meta["name"]), description=meta["description"],
                      arguments=tuple(arguments), body=match.group(2).strip() + "\n")


def prompt_dirs() -> list[Path]:
    """The packaged copy first, then the source tree's prompts/ (editable installs)."""
    here = Path(__file__).resolve().parent
    return [d for d in (here / "_prompts", here.parent / "prompts") if d.is_dir()]


def load_prompts(dirs: Iterable[Path] | None = None) -> list[PromptFile]:
    found: dict[str, PromptFile] = {}
    for directory in dirs if dirs is not None else prompt_dirs():
        for path in sorted(directory.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            prompt = parse_prompt(path.read_text(encoding="utf-8"), str(path))
            found.setdefault(prompt.name, prompt)
    return list(found.values())


def as_mcp_prompt(prompt: PromptFile) -> Prompt:
    def render(**values: Any) -> list[UserMessage]:
        return [UserMessage(prompt.render(values))]

    return Prompt(name=prompt.name, title=prompt.title, description=prompt.description,
                  arguments=list(prompt.arguments), fn=render, context_kwarg=None)
