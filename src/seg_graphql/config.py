"""Settings from the environment (prefix SEG_), created in create_app / the CLI, never at import."""

from __future__ import annotations

from pydantic import Field
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
    log_level: str = "info"
    # Compiled execution (issue 14): hot query documents run from a plan built once;
    # false sends every request through Strawberry's generic execution, for diagnosis.
    compiled_execution: bool = Field(
        default=True, description="Run repeated query documents from a compiled plan"
    )
