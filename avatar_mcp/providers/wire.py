"""What every vendor's wire models share: request bodies that refuse unknown fields, answers that ignore new ones, and
one way to read an answer that does not have the expected shape (a temporary server error, never a crash)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from avatar_mcp.errors import ServerError

M = TypeVar("M", bound=BaseModel)


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


VendorId = Annotated[str, BeforeValidator(_text)]
"""A vendor's id: a string, or a number read as its digits."""
Number = Annotated[float | None, BeforeValidator(_number)]
"""A figure a vendor reports for information (credits, seconds): anything that is not a number reads as None."""


class Wire(BaseModel):
    """A request body: an unknown field is a bug here, nulls are left out."""

    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Answer(BaseModel):
    """An answer: fields the vendor adds later are ignored."""

    model_config = ConfigDict(extra="ignore")


def decode(model: type[M], value: Any, what: str, *, provider: str, vendor: str) -> M:
    """A vendor's answer read into its wire model; an answer of an unexpected shape is a (temporary) server error,
    which the job engine retries like any 5xx."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()[:3])
        raise ServerError(f"{vendor} answered {what} in an unexpected shape (fields: {fields}). This is usually "
                          f"temporary; if it persists, {vendor} may have changed its API.", provider=provider,
                          status_code=200) from exc


def decode_all(model: type[M], values: Any, what: str, *, provider: str, vendor: str) -> list[M]:
    """Every item of a listing that reads as `model` (an item of another shape is skipped, not fatal); a listing
    that is not a list at all is a server error."""
    if not isinstance(values, list):
        raise ServerError(f"{vendor} answered {what} with something other than a list. This is usually temporary; "
                          f"if it persists, {vendor} may have changed its API.", provider=provider, status_code=200)
    found: list[M] = []
    for value in values:
        try:
            found.append(model.model_validate(value))
        except ValidationError:
            continue
    return found
