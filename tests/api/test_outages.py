"""Outages, deadlines and overload, through HTTP: an unreachable store is 503 UNAVAILABLE with
Retry-After, fast; a request past its deadline is TIMEOUT; beyond the concurrency bound a
request is refused at once. None of them is INTERNAL_SERVER_ERROR.

The unreachable store is a real PyMongo client pointed at a closed loopback port, swapped in
after start-up (the e2e test in tests/e2e/test_outage.py kills a real server instead)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.store.segments import SegmentStore
from tests.e2e.processes import free_port

COUNT = "{ segments { totalCount } }"


@pytest.fixture
async def unreachable(store, monkeypatch):
    """Makes the app's store unreachable (until monkeypatch.undo())."""
    client = AsyncMongoClient(f"mongodb://127.0.0.1:{free_port()}/", serverSelectionTimeoutMS=2000)
    try:
        yield lambda: (
            monkeypatch.setattr(store, "client", client),
            monkeypatch.setattr(store, "db", client["seg_unreachable"]),
            monkeypatch.setattr(store, "server_selection_seconds", 1.0),
        )
    finally:
        await client.close()


async def test_an_unreachable_store_is_503_unavailable_with_retry_after(
    admin, http, unreachable, monkeypatch
):
    assert (await admin.data(COUNT))["segments"]["totalCount"] == 0  # the key is now cached
    unreachable()
    started = time.monotonic()
    response = await http.post(
        "/graphql", json={"query": COUNT}, headers={"Authorization": f"Bearer {admin.key}"}
    )
    took = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert error["message"] == "the database is unavailable; retry later"
    assert took < 2.0, took

    started = time.monotonic()
    ready = await http.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 1.0

    monkeypatch.undo()  # the store is back: the next request works, nothing to restart
    assert (await admin.data(COUNT))["segments"]["totalCount"] == 0
    assert (await http.get("/readyz")).status_code == 200


async def test_a_mutation_during_an_outage_is_unavailable(admin, unreachable, monkeypatch):
    segment = 'mutation { createSegment(input: {name: "n", matchAll: true}) { segment { id } userErrors { code } } }'
    await admin.data(COUNT)
    unreachable()
    body = await admin.post(segment)
    monkeypatch.undo()
    assert body["_status"] == 503
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]
    assert (await admin.data(COUNT))["segments"]["totalCount"] == 0


async def _serve(store, **settings: Any):
    app = create_app(Settings(**settings), store=store)
    return app, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    )


async def test_a_request_past_its_deadline_is_timeout(store, make_key, monkeypatch):
    async def slow(self, where):
        await asyncio.sleep(5)
        return 0

    monkeypatch.setattr(SegmentStore, "count", slow)
    app, http = await _serve(store, request_timeout_seconds=0.2)
    async with app.router.lifespan_context(app), http:
        key = await make_key()
        started = time.monotonic()
        response = await http.post(
            "/graphql", json={"query": COUNT}, headers={"Authorization": f"Bearer {key}"}
        )
        assert time.monotonic() - started < 2.0
    assert response.status_code == 200
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["TIMEOUT"]


async def test_beyond_the_concurrency_bound_requests_are_refused_at_once(
    store, make_key, monkeypatch
):
    entered, release = asyncio.Event(), asyncio.Event()

    async def held(self, where):
        entered.set()
        await release.wait()
        return 0

    monkeypatch.setattr(SegmentStore, "count", held)
    app, http = await _serve(store, max_concurrent_requests=1)
    async with app.router.lifespan_context(app), http:
        headers = {"Authorization": f"Bearer {await make_key()}"}
        first = asyncio.ensure_future(http.post("/graphql", json={"query": COUNT}, headers=headers))
        await asyncio.wait_for(entered.wait(), 5)
        second = await http.post(
            "/graphql", json={"query": "{ viewer { tenant } }"}, headers=headers
        )
        assert (await http.get("/healthz")).status_code == 200  # health is never refused
        release.set()
        assert (await first).status_code == 200
        third = await http.post(
            "/graphql", json={"query": "{ viewer { tenant } }"}, headers=headers
        )
    assert second.status_code == 503 and second.headers["Retry-After"] == "1"
    assert second.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert third.status_code == 200
