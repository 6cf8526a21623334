"""Compact JSON schemas for tools/list: every chat pays for the listing in tokens before its first word.

Pydantic's schemas say many things twice. `compact` removes only what carries no information for a model or a
validator:
- generated titles ("Video Path" for video_path);
- `anyOf: [X, {type: null}]` with `default: null` becomes X: an optional field is simply left out (answers
  never carry nulls: structured content is dumped without None values);
- `type: string` beside an enum of strings (the enum already says it);
- `$defs` used once, inlined where they are used;
- `maxLength` of 100 or more (names, ids, paths, scripts): the server still refuses a longer value by name.
Descriptions, enums, bounds and non-null defaults stay.
"""

from __future__ import annotations

from typing import Any, get_args

from avatar_mcp.models import AnswerStatus

_NULL = {"type": "null"}
LONG_TEXT = 100


def compact(schema: dict[str, Any]) -> dict[str, Any]:
    """A smaller schema that accepts the same non-null documents."""
    result = _node(schema)
    assert isinstance(result, dict)
    return _inline_single_use(result)


def _refs(value: Any, counts: dict[str, int]) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            counts[ref.removeprefix("#/$defs/")] = counts.get(ref.removeprefix("#/$defs/"), 0) + 1
        for item in value.values():
            _refs(item, counts)
    elif isinstance(value, list):
        for item in value:
            _refs(item, counts)


def _inline_single_use(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs")
    if not defs:
        return schema
    counts: dict[str, int] = {}
    _refs(schema, counts)
    once = {name for name, n in counts.items() if n == 1 and name in defs}

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in once:
            target = walk(defs[ref.removeprefix("#/$defs/")])
            return {**target, **{k: walk(v) for k, v in value.items() if k != "$ref"}}
        return {k: walk(v) for k, v in value.items()}

    kept = {name: walk(body) for name, body in defs.items() if name not in once}
    out = {k: walk(v) for k, v in schema.items() if k != "$defs"}
    if kept:
        out["$defs"] = kept
    return out


def _node(value: Any) -> Any:
    if isinstance(value, list):
        return [_node(v) for v in value]
    if not isinstance(value, dict):
        return value
    node = dict(value)
    node.pop("title", None)
    variants = node.get("anyOf")
    if isinstance(variants, list) and _NULL in variants:
        rest = [v for v in variants if v != _NULL]
        node.pop("anyOf")
        if node.get("default", 0) is None:
            node.pop("default")
        if len(rest) == 1 and isinstance(rest[0], dict):
            merged = {**rest[0], **node}
            node = merged
        else:
            node["anyOf"] = rest
    if isinstance(node.get("maxLength"), int) and node["maxLength"] >= LONG_TEXT:
        node.pop("maxLength")
    enum = node.get("enum")
    if node.get("type") == "string" and isinstance(enum, list) and all(isinstance(v, str) for v in enum):
        node.pop("type")
    out: dict[str, Any] = {}
    for key, item in node.items():
        if key in ("properties", "$defs", "patternProperties"):
            out[key] = {name: _node(sub) for name, sub in item.items()}
        else:
            out[key] = _node(item)
    return out


_STR: dict[str, Any] = {"type": "string"}
_NUM: dict[str, Any] = {"type": "number"}
_LIST: dict[str, Any] = {"type": "array"}
_OBJECT: dict[str, Any] = {"type": "object"}

JOB_HANDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "job_id": _STR,
        "kind": _STR,
        "provider": _STR,
        "status": {"enum": list(get_args(AnswerStatus))},
        "progress": {"type": "number", "description": "0..1"},
        "message": _STR,
        "poll_after_seconds": _NUM,
        "result": {
            "type": "object",
            "description": "Once succeeded: *_path local files, *_url links (expire), avatar_id, candidates, "
                           "consent_url, outputs, cost.",
            "properties": {"duration_seconds": _NUM, "candidates": _LIST, "outputs": _LIST, "cost": _OBJECT,
                           "warnings": _LIST},
            "additionalProperties": _STR,
        },
        "error": _OBJECT,
        "missing": {"type": "array", "description": "needs_input: [{field, question, allowed_values, default}]"},
        "defaults_applied": _OBJECT,
        "estimated_cost": _OBJECT,
        "confirmation_code": _STR,
    },
}
"""The one output schema of the eleven tools that answer a job handle: models.JobHandle, written small. Every
field of JobResult not typed here is a string (tests/tools/test_schema.py holds this to the model)."""

JOB_LIST_SCHEMA: dict[str, Any] = {"type": "object", "required": ["jobs"],
                                   "properties": {"jobs": {"type": "array", "items": JOB_HANDLE_SCHEMA}}}
"""list_jobs: job handles, newest first (models.JobList)."""
