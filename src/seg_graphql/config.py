"""Settings from the environment (prefix SEG_), created in create_app / the CLI, never at import."""

from __future__ import annotations

from pathlib import Path
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
    # issue 15: a served store stays responsive during imports
    import_batch_seconds: float = Field(
        default=2.0,
        gt=0,
        description="About how long one import batch may take: a slower store gets smaller "
        "batches, so checkpoints and a graceful stop stay this frequent",
    )
    # Clients (issue 10): browser origins, persisted queries
    cors_origins: str = Field(
        default="",
        description="Browser origins allowed to call the API, comma-separated (none = same origin)",
    )
    apq_max_entries: int = Field(
        default=1000,
        ge=0,
        description="Automatic persisted queries remembered per process (0 = protocol off)",
    )

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    # Local use of the embedded store: tenants made at start-up, a data directory, the demo.
    tenants: list[str] = Field(
        default_factory=list,
        description="Tenants `serve` makes on the embedded store, one printed ADMIN key each "
        "(none = dev_tenant); set by `serve --tenant`",
    )
    data_dir: Path | None = Field(
        default=None, description="Directory the embedded store is kept in; none = memory only"
    )
    persist_interval_seconds: float = Field(
        default=10.0, gt=0, description="How often the embedded store is written to data_dir"
    )
    demo: bool = Field(default=False, description="Load the demo tenant at start-up")
    embedded_user_warning: int = Field(
        default=10_000, ge=1, description="Users in one tenant beyond which serve warns once"
    )
    # Compiled execution (issue 14): hot query documents run from a plan built once;
    # false sends every request through Strawberry's generic execution, for diagnosis.
    compiled_execution: bool = Field(
        default=True, description="Run repeated query documents from a compiled plan"
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
