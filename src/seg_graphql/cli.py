"""`seg-graphql serve | export-schema | create-api-key | import` (typer)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import typer
from pydantic import ValidationError

from seg_graphql.config import Settings
from seg_graphql.domain.imports import DocumentType
from seg_graphql.domain.models import Role
from seg_graphql.importer.parsers import Format

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="seg-graphql: one GraphQL API for user segments.",
)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default SEG_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default SEG_PORT or 8000)"),
) -> None:
    """Start the server (embedded in-memory store unless SEG_MONGODB_URL is set)."""
    from seg_graphql.app import create_app
    from seg_graphql.logs import configure_logging
    from seg_graphql.web import serving

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        typer.echo(f"invalid settings:\n{exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    if not settings.mongodb_url and not settings.allow_embedded:
        typer.echo(
            "SEG_MONGODB_URL is not set and SEG_ALLOW_EMBEDDED is false: the embedded store "
            "keeps data in memory only and is for development. Set SEG_MONGODB_URL, or "
            "SEG_ALLOW_EMBEDDED=1 to run on it anyway.",
            err=True,
        )
        raise typer.Exit(2)
    serving.run(
        create_app(settings),
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


@app.command("create-api-key")
def create_api_key(
    tenant: str = typer.Option(..., help="Tenant the key belongs to"),
    role: Role = typer.Option(..., case_sensitive=False, help="ADMIN, EDITOR or VIEWER"),
    user_id: str = typer.Option(None, "--user-id", help="Acting user id (for editableBy ASSIGNED)"),
    team: list[str] = typer.Option(None, "--team", help="Team id of the acting user (repeatable)"),
    name: str = typer.Option(None, help="A label to recognise the key by"),
) -> None:
    """Create an API key in the database at SEG_MONGODB_URL; the key is printed once."""
    settings = Settings()
    if not settings.mongodb_url:
        typer.echo(
            "SEG_MONGODB_URL is not set: the embedded store lives inside 'serve', which "
            "prints its own development key.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        key = asyncio.run(_create_key(settings, tenant, role, user_id, team or [], name))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(key)


async def _create_key(
    settings: Settings,
    tenant: str,
    role: Role,
    user_id: str | None,
    teams: list[str],
    name: str | None,
) -> str:
    from seg_graphql.services.auth import mint_key
    from seg_graphql.store.api_keys import ApiKeyStore
    from seg_graphql.store.client import connect, prepare

    store = await prepare(connect(settings.mongodb_url, settings.database))
    try:
        minted = await mint_key(
            ApiKeyStore(store.db),
            tenant=tenant,
            role=role,
            user_id=user_id,
            team_ids=teams,
            name=name,
        )
    finally:
        await store.close()
    return minted.key


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
