"""The public API on a fresh embedded store, called with an admin key: what the measuring
scripts (import_walk.py, write_round_trips.py) run their writes through."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.services.auth import mint_key
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import Store, connect, prepare

Data = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

RUN_IMPORT = """mutation I($input: RunImportInput!) { runImport(input: $input) {
  job { id } userErrors { message } } }"""
IMPORT_JOB = """query J($id: ID!) { importJob(id: $id) { status applied failed } }"""


@contextlib.asynccontextmanager
async def embedded_api() -> AsyncIterator[tuple[Store, Data]]:
    store = connect(None, f"script_{uuid.uuid4().hex[:8]}", server_timeout_ms=5_000)
    await prepare(store)
    key = (await mint_key(ApiKeyStore(store.db), tenant="acme", role=Role.ADMIN)).key
    app = create_app(Settings(), store=store)
    async with app.router.lifespan_context(app):
        app.state.wake_estimates = None  # no estimate refresh in the middle of a measure
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://script", headers=headers
        ) as http:

            async def data(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                reply = await http.post("/graphql", json={"query": query, "variables": variables})
                body = reply.json()
                assert "errors" not in body, body
                return body["data"]

            yield store, data
    await store.close()


async def submit_import(data: Data, lines: list[dict[str, Any]]) -> str:
    content = "".join(json.dumps(line) + "\n" for line in lines)
    variables = {
        "input": {
            "documentType": "USER_SEGMENT",
            "format": "NDJSON",
            "name": "script",
            "content": content,
        }
    }
    return (await data(RUN_IMPORT, variables))["runImport"]["job"]["id"]


async def finished_job(data: Data, job_id: str) -> dict[str, Any]:
    for _ in range(2000):
        job = (await data(IMPORT_JOB, {"id": job_id}))["importJob"]
        if job["status"] not in ("PENDING", "RUNNING"):
            return job
        await asyncio.sleep(0.01)
    raise TimeoutError(job)
