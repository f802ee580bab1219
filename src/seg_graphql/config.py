"""Settings from the environment (prefix SEG_), created in create_app / the CLI, never at import."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEG_", extra="ignore")

    mongodb_url: str | None = Field(default=None, description="MongoDB URL; none = embedded store")
    database: str = "seg_graphql"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    dev_api_key: str | None = Field(
        default=None, description="Key created at start-up on the embedded store (else random)"
    )
    dev_tenant: str = "dev"
    introspection: bool = True
    graphiql: bool = True
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    auth_cache_seconds: float = Field(default=30.0, ge=0)
    expiry_sweep_seconds: float = Field(
        default=60.0, gt=0, description="How often expired list entries are swept"
    )
    estimate_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How old an estimatedSize may grow before a refresh"
    )
    counts_cache_seconds: float = Field(
        default=300.0, ge=0, description="How long segmentCounts results are cached"
    )
    import_max_bytes: int = Field(
        default=1024**3, ge=1_000, description="Largest import file accepted (bytes)"
    )
    import_lease_seconds: float = Field(
        default=60.0, gt=0, description="How long a worker holds an import job between checkpoints"
    )
    import_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often workers look for import jobs to claim or resume"
    )
    import_batch_lines: int = Field(
        default=1000, ge=1, le=10_000, description="Lines applied between two checkpoints"
    )
    # Faults, load and operations (issue 11): bounded work per request, honest outages, logs.
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="Least severe log level written"
    )
    log_format: Literal["json", "text"] = Field(
        default="text", description="json: one JSON object per line; text: for a terminal"
    )
    server_selection_timeout_ms: int = Field(
        default=2_000, ge=100, description="How long a request waits for an unreachable store"
    )
    request_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Deadline of one request, its database work included"
    )
    max_concurrent_requests: int = Field(
        default=64, ge=1, description="GraphQL requests served at once; beyond, 503 at once"
    )
    idle_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Idle and slow-header connections are closed after this"
    )
    allow_embedded: bool = Field(
        default=True, description="Whether serve may run on the embedded store (images: no)"
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value
