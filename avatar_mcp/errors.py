"""The one exception tree of avatar-mcp.

Every error the package raises on purpose derives from `AvatarError`. Tool handlers turn these into
`ToolError`s whose text is `str(exc)`: a sentence saying what went wrong and what to do next. The
fields carry the same facts for code (retry timing, status codes, the providers that can help).

    AvatarError
    ├── ProviderError                   a vendor API did not do what was asked (field: provider)
    │   ├── ProviderConnectionError     no answer: DNS, refused, reset (field: request_sent)
    │   │   └── ProviderTimeout         the answer did not come in time
    │   └── ProviderStatusError         the vendor answered with an error (status_code, code)
    │       ├── InvalidRequest          400/422: the vendor rejected a field (param)
    │       ├── AuthError               401/403: key missing, wrong or not allowed
    │       ├── InsufficientCredit      402: the account cannot pay for this
    │       ├── NotFound                404: unknown id
    │       ├── Conflict                409: e.g. the same idempotency key still in progress
    │       ├── RateLimited             429: slow down (retry_after seconds)
    │       └── ServerError             5xx: the vendor failed
    ├── ProviderNotConfigured           no API key for the provider asked for
    ├── ProviderUnavailable             the provider's software is not installed (the `local` extra)
    ├── CapabilityMissing               the provider cannot do this operation (providers_with)
    ├── JobNotFound                     unknown job id
    ├── ChecklistIncomplete             required fields are missing and could not be asked
    ├── InvalidInput                    an argument is wrong before anything is sent (field)
    ├── MediaRejected                   a file or URL breaks the media policy or the photo rules
    ├── AvatarNotReady                  a video would use an avatar that is still training
    ├── DiskFull                        the disk under the data dir is full (field: folder)
    └── RenderError                     the local studio failed to render

`request_sent` on connection errors matters for money: a create call whose request may have reached
the vendor is never retried blindly (the job becomes `unknown` instead).
"""

from __future__ import annotations

from collections.abc import Sequence


class AvatarError(Exception):
    """Base of every error avatar-mcp raises on purpose. `str(exc)` is written for the end user."""

    code: str = "error"
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProviderError(AvatarError):
    """A vendor API call failed."""

    code = "provider_error"

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        self.provider = provider


class ProviderConnectionError(ProviderError):
    """The vendor could not be reached, or the connection broke before an answer came."""

    code = "connection_error"
    retryable = True

    def __init__(self, message: str, *, provider: str, request_sent: bool = False) -> None:
        super().__init__(message, provider=provider)
        self.request_sent = request_sent


class ProviderTimeout(ProviderConnectionError):
    """The vendor did not answer within the configured timeout."""

    code = "timeout"


class ProviderStatusError(ProviderError):
    """The vendor answered with an error status or an error envelope."""

    code = "vendor_error"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int,
        vendor_code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider)
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.param = param


class InvalidRequest(ProviderStatusError):
    code = "invalid_request"


class AuthError(ProviderStatusError):
    code = "unauthorized"


class InsufficientCredit(ProviderStatusError):
    code = "insufficient_credit"


class NotFound(ProviderStatusError):
    code = "not_found"


class Conflict(ProviderStatusError):
    code = "conflict"
    retryable = True


class RateLimited(ProviderStatusError):
    code = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, provider: str, status_code: int = 429, retry_after: float | None = None,
                 vendor_code: str | None = None) -> None:
        super().__init__(message, provider=provider, status_code=status_code, vendor_code=vendor_code)
        self.retry_after = retry_after


class ServerError(ProviderStatusError):
    code = "server_error"
    retryable = True


class ProviderNotConfigured(AvatarError):
    code = "provider_not_configured"

    def __init__(self, provider: str, env_vars: Sequence[str]) -> None:
        names = " and ".join(env_vars)
        super().__init__(
            f"The {provider} provider is not configured: set {names} in the server's environment and restart it, "
            f"or call again with provider='local' (offline, free) or another provider from list_providers."
        )
        self.provider = provider
        self.env_vars = tuple(env_vars)


class ProviderUnavailable(AvatarError):
    """The provider's software is not installed here (the local studio without the `local` extra)."""

    code = "provider_unavailable"

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(reason)
        self.provider = provider


class CapabilityMissing(AvatarError):
    code = "capability_missing"

    def __init__(self, provider: str, operation: str, providers_with: Sequence[str]) -> None:
        others = ", ".join(providers_with) if providers_with else "none"
        super().__init__(
            f"The {provider} provider cannot {operation.replace('_', ' ')}. Providers that can: {others}. "
            f"Call again with provider set to one of them."
        )
        self.provider = provider
        self.operation = operation
        self.providers_with = tuple(providers_with)


class JobNotFound(AvatarError):
    code = "job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"No job with id {job_id!r}. Call list_jobs to see the jobs this server knows "
            f"(ids look like 'job_...')."
        )
        self.job_id = job_id


class ChecklistIncomplete(AvatarError):
    code = "checklist_incomplete"

    def __init__(self, message: str, fields: Sequence[str]) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


class InvalidInput(AvatarError):
    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MediaRejected(AvatarError):
    code = "media_rejected"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class AvatarNotReady(AvatarError):
    code = "avatar_not_ready"
    retryable = True

    def __init__(self, message: str, *, avatar_id: str, status: str) -> None:
        super().__init__(message)
        self.avatar_id = avatar_id
        self.status = status


class DiskFull(AvatarError):
    """Writing into `folder` failed with ENOSPC or EDQUOT; whatever was being written has been removed."""

    code = "disk_full"

    def __init__(self, folder: object) -> None:
        super().__init__(
            f"The disk is full: nothing more can be written into {folder} (no space left, or the quota is used "
            f"up). Free some space on the disk holding the data dir (finished media live in its media/jobs "
            f"folder), then try again."
        )
        self.folder = str(folder)


class RenderError(AvatarError):
    code = "render_error"
