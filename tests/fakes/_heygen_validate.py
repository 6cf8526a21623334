"""Field checks shared by the HeyGen emulators: each raises 400 invalid_parameter naming the field (as `param`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tests.fakes._heygen_common import bad, is_url

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def _name(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def req_str(obj: dict[str, Any], key: str, path: str = "", *, max_len: int | None = None) -> str:
    name = _name(path, key)
    value = obj.get(key)
    if value is None:
        raise bad(name, f"{name} is required.")
    if not isinstance(value, str) or not value.strip():
        raise bad(name, f"{name} must be a non-empty string.")
    if max_len is not None and len(value) > max_len:
        raise bad(name, f"{name} must be at most {max_len} characters (got {len(value)}).")
    return value


def opt_str(obj: dict[str, Any], key: str, path: str = "", *, max_len: int | None = None) -> str | None:
    if obj.get(key) is None:
        return None
    name = _name(path, key)
    value = obj[key]
    if not isinstance(value, str):
        raise bad(name, f"{name} must be a string.")
    if max_len is not None and len(value) > max_len:
        raise bad(name, f"{name} must be at most {max_len} characters (got {len(value)}).")
    return value


def opt_num(obj: dict[str, Any], key: str, path: str = "", *, lo: float | None = None, hi: float | None = None,
            integer: bool = False, default: float | None = None) -> float | None:
    if obj.get(key) is None:
        return default
    name = _name(path, key)
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(name, f"{name} must be a number.")
    if integer and value != int(value):
        raise bad(name, f"{name} must be an integer.")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad(name, f"{name} must be between {lo:g} and {hi:g} (got {value}).")
    return float(value)


def req_num(obj: dict[str, Any], key: str, path: str = "", **kw: Any) -> float:
    if obj.get(key) is None:
        raise bad(_name(path, key), f"{_name(path, key)} is required.")
    value = opt_num(obj, key, path, **kw)
    assert value is not None
    return value


def opt_enum(obj: dict[str, Any], key: str, values: Iterable[str], path: str = "",
             default: str | None = None) -> str | None:
    if obj.get(key) is None:
        return default
    allowed = list(values)
    if obj[key] not in allowed:
        name = _name(path, key)
        raise bad(name, f"{name} must be one of {', '.join(map(repr, allowed))} (got {obj[key]!r}).")
    return str(obj[key])


def req_enum(obj: dict[str, Any], key: str, values: Iterable[str], path: str = "") -> str:
    if obj.get(key) is None:
        raise bad(_name(path, key), f"{_name(path, key)} is required.")
    value = opt_enum(obj, key, values, path)
    assert value is not None
    return value


def opt_bool(obj: dict[str, Any], key: str, path: str = "", default: bool | None = None) -> bool | None:
    if obj.get(key) is None:
        return default
    if not isinstance(obj[key], bool):
        raise bad(_name(path, key), f"{_name(path, key)} must be a boolean.")
    return bool(obj[key])


def opt_obj(obj: dict[str, Any], key: str, path: str = "") -> dict[str, Any] | None:
    if obj.get(key) is None:
        return None
    if not isinstance(obj[key], dict):
        raise bad(_name(path, key), f"{_name(path, key)} must be an object.")
    return dict(obj[key])


def req_obj(obj: dict[str, Any], key: str, path: str = "") -> dict[str, Any]:
    value = opt_obj(obj, key, path)
    if value is None:
        raise bad(_name(path, key), f"{_name(path, key)} is required.")
    return value


def req_list(obj: dict[str, Any], key: str, path: str = "", *, lo: int = 0, hi: int | None = None) -> list[Any]:
    name = _name(path, key)
    value = obj.get(key)
    if value is None:
        raise bad(name, f"{name} is required.")
    if not isinstance(value, list):
        raise bad(name, f"{name} must be an array.")
    if len(value) < lo or (hi is not None and len(value) > hi):
        raise bad(name, f"{name} must contain between {lo} and {hi} items (got {len(value)}).")
    return value


def opt_url(obj: dict[str, Any], key: str, path: str = "") -> str | None:
    value = opt_str(obj, key, path)
    if value is not None and not is_url(value):
        raise bad(_name(path, key), f"{_name(path, key)} must be an http(s) URL.")
    return value


def opt_color(obj: dict[str, Any], key: str, path: str = "") -> str | None:
    value = opt_str(obj, key, path)
    if value is not None and not HEX_COLOR.match(value):
        raise bad(_name(path, key), f"{_name(path, key)} must be a hex color like #f6f6fc (got {value!r}).")
    return value


def one_of(obj: dict[str, Any], keys: tuple[str, str], path: str = "", *, required: bool = True) -> str | None:
    """Exactly one of two alternative fields (e.g. url | image_asset_id); returns the key given."""
    given = [k for k in keys if obj.get(k) not in (None, "")]
    if len(given) > 1:
        raise bad(_name(path, keys[0]), f"{_name(path, keys[0])} and {keys[1]} are mutually exclusive.")
    if not given and required:
        raise bad(_name(path, keys[0]), f"Either {_name(path, keys[0])} or {_name(path, keys[1])} must be provided.")
    return given[0] if given else None


def only(obj: dict[str, Any], allowed: set[str] | frozenset[str], path: str = "") -> None:
    """Refuse the first property `obj` has that `allowed` does not list (sorted, so the answer is stable): the
    emulators do this wherever the reference lists a variant's properties."""
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        name = _name(path, unknown[0])
        raise bad(name, f"{name} is not a property of this object (allowed: {', '.join(sorted(allowed))}).")
