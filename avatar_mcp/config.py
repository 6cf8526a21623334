"""Settings, read from the environment (and an optional .env file) by pydantic-settings.

Vendor keys keep their vendors' own names (HEYGEN_API_KEY, ...); everything of the server itself is
prefixed AVATAR_MCP_. Secrets are SecretStr: they print as '**********' and never reach a log or a job row.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def default_data_dir() -> Path:
    """The platform's per-user data folder, as platformdirs would choose it."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "avatar-mcp"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def _split_list(value: Any) -> Any:
    """Accept a JSON-less list from the environment: os.pathsep (paths) or commas (hosts)."""
    if isinstance(value, str):
        sep = "," if "," in value else os.pathsep
        return [part.strip() for part in value.split(sep) if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    # Vendor credentials
    heygen_api_key: SecretStr | None = Field(default=None, validation_alias=_env("HEYGEN_API_KEY"))
    heygen_api_version: Literal["v3", "v2"] = Field(default="v3", validation_alias=_env("HEYGEN_API_VERSION"))
    runware_api_key: SecretStr | None = Field(default=None, validation_alias=_env("RUNWARE_API_KEY"))
    creatify_api_id: SecretStr | None = Field(default=None, validation_alias=_env("CREATIFY_API_ID"))
    creatify_api_key: SecretStr | None = Field(default=None, validation_alias=_env("CREATIFY_API_KEY"))
    napster_api_key: SecretStr | None = Field(default=None, validation_alias=_env("NAPSTER_API_KEY"))

    # Vendor endpoints (tests and proxies point these elsewhere)
    heygen_base_url: str = Field(default="https://api.heygen.com", validation_alias=_env("HEYGEN_BASE_URL"))
    heygen_upload_url: str = Field(default="https://upload.heygen.com", validation_alias=_env("HEYGEN_UPLOAD_URL"))
    runware_base_url: str = Field(default="https://api.runware.ai/v1", validation_alias=_env("RUNWARE_BASE_URL"))
    creatify_base_url: str = Field(default="https://api.creatify.ai", validation_alias=_env("CREATIFY_BASE_URL"))
    napster_base_url: str = Field(default="https://companion-api.napster.com",
                                  validation_alias=_env("NAPSTER_BASE_URL"))

    # Webhooks (HTTP transport only)
    public_url: str | None = Field(default=None, validation_alias=_env("AVATAR_MCP_PUBLIC_URL"),
                                   description="The https URL vendors can reach this server at, for webhooks.")
    heygen_webhook_secret: SecretStr | None = Field(default=None, validation_alias=_env("HEYGEN_WEBHOOK_SECRET"))
    heygen_webhook_signature_header: str = Field(default="Heygen-Signature",
                                                 validation_alias=_env("HEYGEN_WEBHOOK_SIGNATURE_HEADER"))
    heygen_webhook_signing_input: Literal["auto", "body", "timestamp.body"] = Field(
        default="auto", validation_alias=_env("HEYGEN_WEBHOOK_SIGNING_INPUT"),
        description="What HeyGen's signature covers: the raw body, '<Heygen-Timestamp>.<body>', or auto (either).")

    # The server itself
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias=_env("AVATAR_MCP_DATA_DIR"))
    media_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list,
                                                          validation_alias=_env("AVATAR_MCP_MEDIA_ROOTS"))
    default_provider: str | None = Field(default=None, validation_alias=_env("AVATAR_MCP_DEFAULT_PROVIDER"))
    confirm_spend: bool = Field(default=False, validation_alias=_env("AVATAR_MCP_CONFIRM_SPEND"),
                                description="Ask the user to confirm every paid submission with its estimated cost.")
    max_media_bytes: int = Field(default=200 * 1024 * 1024, validation_alias=_env("AVATAR_MCP_MAX_MEDIA_BYTES"))
    outbound_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("AVATAR_MCP_OUTBOUND_ALLOW_HOSTS"),
        description="Host names downloads may reach although they resolve to private addresses (self-hosted "
                    "media). https is still required.")
    poll_interval_seconds: float = Field(default=1.0, gt=0, validation_alias=_env("AVATAR_MCP_POLL_TICK"))
    lease_seconds: float = Field(
        default=12.0, ge=0.5, le=300, validation_alias=_env("AVATAR_MCP_LEASE_SECONDS"),
        description="How long a server process's claim on a job lasts without renewal (renewed every third of it): "
                    "a crashed process's jobs are taken over by another one after at most this long.")
    log_level: str = Field(default="INFO", validation_alias=_env("AVATAR_MCP_LOG_LEVEL"))
    media_dir_setting: Path | None = Field(
        default=None, validation_alias=_env("AVATAR_MCP_MEDIA_DIR"),
        description="Where finished media and the local studio's avatars go (default <data dir>/media): a "
                    "directory every replica and worker of a cluster mounts.")

    # Beyond one machine (docs/deployment.md)
    database_url: SecretStr | None = Field(
        default=None, validation_alias=_env("AVATAR_MCP_DATABASE_URL"),
        description="postgresql://user:password@host:port/db: jobs live in PostgreSQL (the 'postgres' extra) "
                    "instead of the data dir's SQLite file.")
    database_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$",
                                        validation_alias=_env("AVATAR_MCP_DATABASE_SCHEMA"),
                                        description="A PostgreSQL schema of its own (default: the search path's).")
    work: Literal["here", "workers"] = Field(
        default="here", validation_alias=_env("AVATAR_MCP_WORK"),
        description="'here': this process submits, polls, renders and downloads (the in-process poller). "
                    "'workers' (PostgreSQL only): that work is queued for `avatar-mcp worker` processes.")
    worker_concurrency: int = Field(default=8, ge=1, le=256, validation_alias=_env("AVATAR_MCP_WORKER_CONCURRENCY"),
                                    description="Submissions, polls and downloads one worker runs at once.")
    render_concurrency: int = Field(default=1, ge=1, le=64, validation_alias=_env("AVATAR_MCP_RENDER_CONCURRENCY"),
                                    description="Local renders one worker runs at once (each takes a core).")

    # HTTP transport
    http_token: SecretStr | None = Field(default=None, validation_alias=_env("AVATAR_MCP_HTTP_TOKEN"))
    http_tokens: SecretStr | None = Field(
        default=None, validation_alias=_env("AVATAR_MCP_HTTP_TOKENS"),
        description="token=principal pairs, comma separated: each bearer token is a tenant that sees only its own "
                    "jobs (AVATAR_MCP_HTTP_TOKEN is the principal 'local', the same as stdio's).")
    request_state_keys: SecretStr | None = Field(
        default=None, validation_alias=_env("AVATAR_MCP_REQUEST_STATE_KEYS"),
        description="Comma-separated secrets (32+ characters; the first seals, all open) that seal the 2026-07-28 "
                    "request state, shared by every replica so a form's answer may reach any of them.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                           validation_alias=_env("AVATAR_MCP_ALLOWED_HOSTS"))
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                             validation_alias=_env("AVATAR_MCP_ALLOWED_ORIGINS"))

    _split = field_validator("media_roots", "allowed_hosts", "allowed_origins", "outbound_allow_hosts",
                             mode="before")(_split_list)

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("media_dir_setting", mode="after")
    @classmethod
    def _absolute_media(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @property
    def media_dir(self) -> Path:
        """Where uploads, generated portraits and finished videos go (always a media root)."""
        return self.media_dir_setting or self.data_dir / "media"

    @property
    def studio_dir(self) -> Path:
        """The local studio's avatars and caches: beside the media when the media dir is shared."""
        return self.media_dir_setting / "studio" if self.media_dir_setting else self.data_dir / "local"

    @property
    def distributed(self) -> bool:
        """Work goes to `avatar-mcp worker` processes through the queue (PostgreSQL only)."""
        return self.work == "workers" and self.database_url is not None

    def token_principals(self) -> dict[str, str]:
        """Bearer token -> principal: AVATAR_MCP_HTTP_TOKENS' pairs, plus AVATAR_MCP_HTTP_TOKEN as 'local' (the one
        user of stdio: a single-user server shares its jobs between stdio and HTTP, as before tenants)."""
        found: dict[str, str] = {}
        raw = self.http_tokens.get_secret_value() if self.http_tokens else ""
        for pair in filter(None, (p.strip() for p in raw.split(","))):
            token, sep, principal = pair.partition("=")
            if not sep or not token.strip() or not principal.strip():
                raise ValueError("AVATAR_MCP_HTTP_TOKENS takes token=principal pairs separated by commas.")
            found[token.strip()] = principal.strip()
        if self.http_token is not None and self.http_token.get_secret_value():
            found.setdefault(self.http_token.get_secret_value(), "local")
        return found

    def state_keys(self) -> list[str]:
        """The request-state keys, first one sealing; each must be at least 32 characters."""
        raw = self.request_state_keys.get_secret_value() if self.request_state_keys else ""
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        if any(len(k) < 32 for k in keys):
            raise ValueError("Each key of AVATAR_MCP_REQUEST_STATE_KEYS must be at least 32 characters (e.g. "
                             "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`).")
        return keys

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    def effective_media_roots(self) -> list[Path]:
        """The configured roots, plus the data dir's media folder (finished media live there)."""
        roots = [p.expanduser().resolve() for p in self.media_roots]
        if self.media_dir.resolve() not in roots:
            roots.append(self.media_dir.resolve())
        return roots

    def secrets(self) -> list[str]:
        """Every secret value, for redaction."""
        values = [self.heygen_api_key, self.runware_api_key, self.creatify_api_id, self.creatify_api_key,
                  self.napster_api_key, self.heygen_webhook_secret, self.http_token]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        raw_keys = self.request_state_keys.get_secret_value() if self.request_state_keys else ""
        found += [k.strip() for k in raw_keys.split(",") if k.strip()]
        found += [*self._token_secrets(), *self._database_password()]
        return found

    def _token_secrets(self) -> list[str]:
        try:
            return list(self.token_principals())
        except ValueError:
            return []

    def _database_password(self) -> list[str]:
        """The database URL's password as written (percent-encoded or not) and as libpq reads it, from the userinfo
        or a `password` query parameter."""
        if self.database_url is None:
            return []
        from urllib.parse import parse_qs, unquote, urlsplit

        parts = urlsplit(self.database_url.get_secret_value())
        written = [parts.password or "", *parse_qs(parts.query).get("password", [])]
        return list(dict.fromkeys(form for p in written if p for form in (p, unquote(p))))
