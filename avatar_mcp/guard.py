"""What every tool call passes through in the server, before and after the tool itself.

Before: arguments holding NUL or other control characters are refused as invalid input, naming the field,
before any resolver, vendor call or job row exists (text may hold tabs and line breaks; nothing else below
U+0020, nor DEL or the C1 range U+0080-U+009F); so are arguments the tool does not take (the schemas say
additionalProperties: false), instead of being dropped.

After: a call that failed because the disk is full (ENOSPC, EDQUOT, or SQLite's "database or disk is full")
answers so, naming the data dir, instead of the SDK's bare "Error executing tool X"; arguments the tool's schema
rejects are named field by field without their values (describe_validation); and the text of every refusal is
redacted of every configured secret (redaction.py).
"""

from __future__ import annotations

import errno
import logging
import re
import sys
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from pydantic import ValidationError

from avatar_mcp.config import Settings
from avatar_mcp.errors import DiskFull
from avatar_mcp.redaction import Redactor, protect_logs

logger = logging.getLogger(__name__)

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Characters no argument may hold: C0 controls but tab, line feed and carriage return; DEL; C1 controls."""
FORM_MODEL = "AvatarRequestForm"
"""The name of every form a tool shows (tools/_flow.form_model): answers that do not fit it are the user's to fix."""
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_MAX_DEPTH = 32


def control_character(value: Any, where: str = "") -> tuple[str, str, int] | None:
    """(field path, character, position) of the first forbidden character in a JSON-like value, or None."""
    return _scan(value, where, 0)


def _scan(value: Any, where: str, depth: int) -> tuple[str, str, int] | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, str):
        found = CONTROL.search(value)
        return (where or "argument", found.group(), found.start()) if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            hit = _scan(str(key), path, depth + 1) or _scan(item, path, depth + 1)
            if hit:
                return hit
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            hit = _scan(item, f"{where}.{index}" if where else str(index), depth + 1)
            if hit:
                return hit
    return None


def refuse_control_characters(tool: str, values: dict[str, Any], where: str = "") -> None:
    """Raise a ToolError naming the field when a value (a tool's arguments, a form's answers) holds a control
    character."""
    hit = control_character(values)
    if hit is None:
        return
    field, char, position = hit
    raise ToolError(
        f"Error executing tool {tool}: invalid input: {where}{field} holds the control character U+{ord(char):04X} "
        f"at position {position}. Remove it and call again (text may hold tabs and line breaks; paths and ids "
        f"no control characters at all). Nothing was submitted.")


def _nested_names(properties: dict[str, Any]) -> dict[str, str]:
    """Field name -> where it goes, for the fields of object (or list of object) arguments: voice_id -> 'each of
    scenes'."""
    found: dict[str, str] = {}
    for name, node in properties.items():
        if not isinstance(node, dict):
            continue
        items = node.get("items")
        inner, where = (items, f"each of {name}") if isinstance(items, dict) else (node, name)
        for field in inner.get("properties", {}) if isinstance(inner, dict) else {}:
            found.setdefault(field, where)
    return found


def form_mismatch(exc: BaseException | None) -> ValidationError | None:
    """The validation error of form answers that do not fit the form they answer, anywhere in `exc`'s causes."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ValidationError) and exc.title == FORM_MODEL:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or anything in its chain of causes, is the disk (or the quota) being full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
            return True
        sqlite = sys.modules.get("sqlite3")  # not imported: no SQLite error can have happened
        if sqlite is not None and isinstance(exc, sqlite.Error) and \
                getattr(exc, "sqlite_errorcode", None) == sqlite.SQLITE_FULL:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class ToolGuard:
    """The checks around every tool call of one server (built from its settings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redact = Redactor(settings.secrets())
        protect_logs(self.redact.secrets)

    def check_arguments(self, tool: str, arguments: dict[str, Any]) -> None:
        """Raise a ToolError naming the field when an argument holds a control character."""
        refuse_control_characters(tool, arguments)

    @staticmethod
    def check_names(tool: str, arguments: dict[str, Any], schema: dict[str, Any]) -> None:
        """Raise a ToolError naming every argument the tool's input schema does not have (a misspelt `voice` would
        otherwise be dropped, and a paid job submitted with a default voice in its place)."""
        properties: dict[str, Any] = schema.get("properties", {})
        unknown = [name for name in arguments if name not in properties]
        if not unknown:
            return
        import difflib  # only on this refusal: the start-up path stays light

        nested = _nested_names(properties)
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, [*properties, *nested], n=1, cutoff=0.6)
            if name in nested:
                hints.append(f"{name!r} (it belongs inside {nested[name]})")
            elif close and close[0] in properties:
                hints.append(f"{name!r} (did you mean {close[0]!r}?)")
            elif close:
                hints.append(f"{name!r} (did you mean {close[0]!r}, inside {nested[close[0]]}?)")
            else:
                hints.append(repr(name))
        raise ToolError(
            f"Error executing tool {tool}: invalid input: {tool} takes no argument {', '.join(hints)}. Its arguments: "
            f"{', '.join(sorted(properties)) or 'none'}. Rename or remove it and call again. Nothing was submitted.")

    def disk_full(self, tool: str) -> ToolError:
        data = self.settings.data_dir
        return ToolError(
            f"Error executing tool {tool}: the disk holding the data dir ({data}) is full (no space left, or the "
            f"quota is used up), so nothing more could be written. Free some space there (finished media live in "
            f"{self.settings.media_dir / 'jobs'}), then call again; check list_jobs first, so a paid job that was "
            f"already started is not started twice.")

    def explain(self, tool: str, exc: ToolError) -> ToolError:
        """The error to answer with: a full disk said so, secrets redacted, anything else unchanged."""
        if is_disk_full(exc):
            logger.warning("%s failed: the disk under %s is full", tool, self.settings.data_dir, exc_info=exc)
            return self.disk_full(tool)
        if isinstance(exc, UnexpectedToolError):
            return exc
        mismatch = form_mismatch(exc)
        if mismatch is not None:
            # The SDK's text names its resolver (our internals) and not the field.
            from avatar_mcp.tools._common import describe_validation

            problems = describe_validation(mismatch).removeprefix("Invalid arguments: ").split(". Fix these")[0]
            return ToolError(f"Error executing tool {tool}: the answers from the form did not fit its questions "
                             f"({problems}). Nothing was submitted: call again to show the form again, or pass "
                             f"the values as arguments.")
        if isinstance(exc.__cause__, ValidationError):
            # The SDK's own text names its internal model, echoes the rejected values and links pydantic's docs.
            from avatar_mcp.tools._common import describe_validation  # built with the tools: already imported

            named = ToolError(f"Error executing tool {tool}: {describe_validation(exc.__cause__)}")
            named.__cause__ = exc.__cause__  # the SDK logs the rejected field names from it
            return named
        text = str(exc)
        clean = self.redact(text)
        return exc if clean == text else ToolError(clean)
