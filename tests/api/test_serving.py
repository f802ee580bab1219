"""The HTTP surface: health, readiness, metrics, GraphiQL, and the schema file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from seg_graphql.graphql.schema import schema_sdl

ROOT = Path(__file__).resolve().parents[2]


async def test_healthz(http):
    response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_pings_the_store(http, store):
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readyz_reports_an_unreachable_store(http, store, monkeypatch):
    async def down():
        return False

    monkeypatch.setattr(store, "ping", down)
    response = await http.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


async def test_metrics_count_requests_by_operation(admin, http):
    await admin.post("query Who { viewer { tenant } }", operationName="Who")
    await admin.post("query Who { viewer { tenant } }", operationName="Who")
    await http.post("/graphql", json={"query": "{ viewer { tenant } }"})
    text = (await http.get("/metrics")).text
    assert 'seg_graphql_requests_total{operation="Who",outcome="ok"} 2.0' in text
    assert 'seg_graphql_requests_total{operation="anonymous",outcome="unauthenticated"} 1.0' in text
    assert 'seg_graphql_request_seconds_count{operation="Who"} 2.0' in text


async def test_graphiql_on_browser_get(http):
    response = await http.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_schema_file_equals_served_schema():
    assert (ROOT / "schema.graphql").read_text() == schema_sdl()


def test_export_schema_command_prints_the_schema():
    result = subprocess.run(
        [sys.executable, "-m", "seg_graphql", "export-schema"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == schema_sdl()
