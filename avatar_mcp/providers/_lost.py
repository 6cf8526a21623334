"""Finding a create whose answer was lost, at a vendor that cannot replay it (Creatify, Napster: no idempotency key).

A 5xx or a dropped connection after the request went out leaves the job undecided: the vendor may have made it.
Such vendors list what they made, so the provider rebuilds the request it sent and looks for a record made since
the job was created (with some clock skew allowed) that carries the same values. One match is the job; none means
it was most likely never made; several are reported by id, never guessed between. Nothing is ever sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from avatar_mcp.models import JobError
from avatar_mcp.providers.base import JobUpdate

CLOCK_SKEW = timedelta(minutes=2)
"""A vendor's clock may run behind ours: records stamped this much before the job was created still count."""


def stamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (a trailing Z allowed) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _same(record: Mapping[str, Any], key: str, value: Any) -> bool:
    if key not in record:
        return True  # the listing does not show this field: it cannot tell the records apart
    found = record[key]
    if isinstance(value, str) and isinstance(found, str):
        return found.strip().casefold() == value.strip().casefold()
    return bool(found == value)


def candidates(records: Iterable[Mapping[str, Any]], wanted: Mapping[str, Any], since: datetime, *,
               created_key: str, id_key: str = "id") -> list[Mapping[str, Any]]:
    """Records made since `since` (less the clock skew) whose fields equal every value in `wanted` they show."""
    earliest = since - CLOCK_SKEW
    found = []
    for record in records:
        made = stamp(record.get(created_key))
        if not record.get(id_key) or made is None or made < earliest or not any(key in record for key in wanted):
            continue
        if all(_same(record, key, value) for key, value in wanted.items()):
            found.append(record)
    return found


def ambiguous(vendor: str, what: str, ids: Sequence[str]) -> JobUpdate:
    """Several records could be the lost create: say which, and let the user decide (nothing is resent)."""
    listed = ", ".join(ids)
    message = (f"The answer to this submission was lost, and {vendor} now has {len(ids)} {what}s that could be it "
               f"({listed}). It was NOT resubmitted, so nothing is paid twice. Check them in the {vendor} dashboard "
               f"(or with list_avatars) and use the right one.")
    return JobUpdate(status="unknown", message=message,
                     error=JobError(code="submission_ambiguous", message=message, retryable=False))
