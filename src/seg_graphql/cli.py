"""`seg-graphql serve | export-schema | create-api-key | import` (typer)."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import typer
from pydantic import ValidationError

from seg_graphql.config import Settings
from seg_graphql.domain.imports import DocumentType, Format
from seg_graphql.domain.models import Role

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="seg-graphql: one GraphQL API for user segments.",
)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default SEG_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default SEG_PORT or 8000)"),
    tenant: list[str] = typer.Option(
        None,
        "--tenant",
        help="Embedded store: a tenant to make, with one printed ADMIN key (repeatable; "
        "default SEG_DEV_TENANT or 'dev')",
    ),
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        file_okay=False,
        help="Embedded store: keep the data in this directory (default SEG_DATA_DIR; none = "
        "memory only)",
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Embedded store: load the demo tenant 'demo' (its key is printed)"
    ),
) -> None:
    """Start the server (the embedded store, in memory or kept with --data-dir, unless
    SEG_MONGODB_URL is set)."""
    from seg_graphql.app import create_app
    from seg_graphql.logs import configure_logging
    from seg_graphql.web import serving

    options = {
        "host": host,
        "port": port,
        "tenants": tenant or None,
        "data_dir": data_dir,
        "demo": demo or None,
    }
    overrides = {k: v for k, v in options.items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        typer.echo(f"invalid settings:\n{exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    if not settings.mongodb_url and not settings.allow_embedded:
        typer.echo(
            "SEG_MONGODB_URL is not set and SEG_ALLOW_EMBEDDED is false: the embedded store "
            "is for development. Set SEG_MONGODB_URL, or SEG_ALLOW_EMBEDDED=1 to run on it "
            "anyway.",
            err=True,
        )
        raise typer.Exit(2)
    if settings.data_dir is not None and not settings.mongodb_url:
        from seg_graphql.store.data_dir import DataDir, DataDirError

        try:
            DataDir.check(settings.data_dir)
        except DataDirError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    application = create_app(settings)
    # Start-up objects (schema, types, modules) live as long as the process: frozen out of
    # the collector, full collections stop rescanning them, which trims latency spikes.
    gc.collect()
    gc.freeze()
    serving.run(
        application,
        host=settings.host,
        port=settings.port,
        idle_timeout=settings.idle_timeout_seconds,
        log_level=settings.log_level,
    )


@app.command("export-schema")
def export_schema() -> None:
    """Print the served schema (SDL); schema.graphql at the repo root must equal it."""
    from seg_graphql.graphql.schema import schema_sdl

    sys.stdout.write(schema_sdl())


_URL_HELP = (
    "A running server's GraphQL URL: work through its API with an ADMIN --key "
    "(the embedded store lives inside 'serve'). Without it: the database at SEG_MONGODB_URL."
)
_KEY_HELP = "An ADMIN key of the server's tenant (with --url)"


@app.command("create-api-key")
def create_api_key(
    role: Role = typer.Option(..., case_sensitive=False, help="ADMIN, EDITOR or VIEWER"),
    tenant: str = typer.Option(None, help="Tenant the key belongs to (on the database)"),
    user_id: str = typer.Option(None, "--user-id", help="Acting user id (for editableBy ASSIGNED)"),
    team: list[str] = typer.Option(None, "--team", help="Team id of the acting user (repeatable)"),
    name: str = typer.Option(None, help="A label to recognise the key by"),
    expires_at: datetime = typer.Option(
        None, "--expires-at", help="When the key stops working (UTC, e.g. 2027-01-01T00:00:00)"
    ),
    url: str = typer.Option(None, help=_URL_HELP),
    key: str = typer.Option(None, envvar="SEG_API_KEY", help=_KEY_HELP),
) -> None:
    """Create an API key; the key is printed once (only its hash is stored)."""
    from seg_graphql.key_commands import key_input

    data = key_input(
        name=name or f"{role.value.lower()} key",
        role=role,
        user_id=user_id,
        teams=team or [],
        expires_at=expires_at,
    )
    created, secret = _run_key_command(url, key, tenant, lambda keys: keys.create(data))
    typer.echo(f"created key {created['id']} ({created['role']}, {created['name']})", err=True)
    typer.echo(secret)


@app.command("revoke-api-key")
def revoke_api_key(
    key_id: str = typer.Argument(..., help="The key's id (see list-api-keys)"),
    tenant: str = typer.Option(None, help="Tenant the key belongs to (on the database)"),
    url: str = typer.Option(None, help=_URL_HELP),
    key: str = typer.Option(None, envvar="SEG_API_KEY", help=_KEY_HELP),
) -> None:
    """Revoke an API key. Servers refuse it within SEG_AUTH_CACHE_SECONDS."""
    revoked = _run_key_command(url, key, tenant, lambda keys: keys.revoke(key_id))
    typer.echo(f"revoked key {revoked['id']} ({revoked['name']})")


@app.command("list-api-keys")
def list_api_keys(
    tenant: str = typer.Option(None, help="Tenant whose keys to list (on the database)"),
    url: str = typer.Option(None, help=_URL_HELP),
    key: str = typer.Option(None, envvar="SEG_API_KEY", help=_KEY_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
) -> None:
    """List a tenant's API keys (never their secrets)."""
    keys = _run_key_command(url, key, tenant, lambda k: k.list())
    if as_json:
        for item in keys:
            typer.echo(json.dumps(item))
        return
    columns = ("id", "prefix", "role", "name", "userId", "createdAt", "lastUsedAt", "expiresAt")
    typer.echo("\t".join([*columns, "teamIds", "revoked"]))
    for item in keys:
        cells = [str(item[c] or "-") for c in columns]
        typer.echo("\t".join([*cells, ",".join(item["teamIds"]) or "-", str(item["revoked"])]))


def _run_key_command(
    url: str | None,
    key: str | None,
    tenant: str | None,
    act: Callable[[Any], Any],
) -> Any:
    """Runs `act` on ServerKeys (with --url) or DatabaseKeys: both offer create, revoke and
    list, the server's synchronously, the database's as coroutines."""
    from seg_graphql.key_commands import DatabaseKeys, KeyCommandError, ServerKeys

    def fail(message: str) -> typer.Exit:
        typer.echo(f"error: {message}", err=True)
        return typer.Exit(2)

    try:
        if url:
            if not key:
                raise fail("--url needs an ADMIN key: --key or SEG_API_KEY")
            if tenant:
                raise fail("--tenant is for the database; with --url the key's tenant is used")
            keys = ServerKeys(url, key)
            try:
                return act(keys)
            except httpx.HTTPError as exc:
                raise fail(f"cannot reach {url}: {exc}") from None
            finally:
                keys.close()
        settings = Settings()
        if not settings.mongodb_url:
            raise fail(
                "SEG_MONGODB_URL is not set: give the database, or --url and an ADMIN --key "
                "of a running server (the embedded store lives inside 'serve')."
            )
        if not tenant:
            raise fail("--tenant is required on the database")

        async def run() -> Any:
            async with DatabaseKeys(settings, tenant) as keys:
                return await act(keys)

        return asyncio.run(run())
    except (KeyCommandError, ValueError) as exc:
        raise fail(str(exc)) from None


_EXIT = {"SUCCEEDED": 0, "PARTIAL": 1, "FAILED": 2}


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    type: DocumentType = typer.Option(..., "--type", case_sensitive=False, help="Document type"),
    format: Format = typer.Option(..., "--format", case_sensitive=False, help="NDJSON or CSV"),
    name: str = typer.Option(None, help="Job name (default: the file name)"),
    url: str = typer.Option(
        "http://127.0.0.1:8000/graphql", envvar="SEG_API_URL", help="The server's GraphQL URL"
    ),
    key: str = typer.Option(..., envvar="SEG_API_KEY", help="API key (ADMIN or EDITOR)"),
    poll: float = typer.Option(0.5, help="Seconds between progress checks"),
) -> None:
    """Upload FILE to a running server as an import job, show its progress until it ends,
    then a summary with the first errors. Exit code: 0 SUCCEEDED, 1 PARTIAL, 2 FAILED."""
    from tqdm import tqdm

    from seg_graphql.importer.client import ImportClient, ImportClientError

    client = ImportClient(url, key)
    try:
        job = client.submit(
            file, document_type=type.value, format=format.value, name=name or file.name
        )
        typer.echo(f"import {job['id']} submitted ({job['sizeBytes']:,.0f} bytes)", err=True)
        with tqdm(
            total=100,
            desc="importing",
            file=sys.stderr,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}{postfix}]",
        ) as bar:

            def show(current: dict) -> None:
                bar.n = round(current["progress"] * 100)
                bar.set_postfix(applied=current["applied"], failed=current["failed"])
                bar.refresh()

            job = client.wait(job["id"], poll_seconds=poll, on_progress=show)
    except ImportClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3) from None
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach {url}: {exc}", err=True)
        raise typer.Exit(3) from None
    finally:
        client.close()
    typer.echo(
        f"{job['status']}: {job['total']} lines, {job['applied']} applied, {job['failed']} failed"
    )
    if job["error"]:
        typer.echo(f"  {job['error']['code']}: {job['error']['message']}")
    for error in job["errors"]:
        typer.echo(f"  line {error['line']}: {error['code']}: {error['message']}")
    if job["failed"] > len(job["errors"]):
        typer.echo(f"  ... and {job['failed'] - len(job['errors'])} more (see importJob)")
    raise typer.Exit(_EXIT[job["status"]])


def main() -> None:
    app()
