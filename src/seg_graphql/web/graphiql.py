"""GraphiQL, served from the package: its page and its pinned assets (static/graphiql/,
copied from the npm registry; see LICENSES.txt there), so it works with no third-party host."""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "static" / "graphiql"
MOUNT = "/graphiql"


def graphiql_page() -> str:
    return (ASSETS / "index.html").read_text(encoding="utf-8")


def graphiql_assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS)
