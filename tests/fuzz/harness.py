"""A server for fuzzing: the app on one event loop that the (synchronous) Hypothesis tests
drive request by request, with the checks every fuzzed response must pass.

Hypothesis runs synchronous test functions, so the app's loop is an `asyncio.Runner` kept
open for the whole module; the app's lifespan (store, background jobs) runs on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import httpx
import orjson

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.services.auth import mint_key
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import Store, connect, prepare
from tests.conftest import QUIET_BACKGROUND

# Written by background jobs on their own schedule, not by the request under test.
_BACKGROUND_COLLECTIONS = frozenset({"leases", "count_cache"})
# Written by the server on its own: estimates, and a key's coarse lastUsedAt (once a minute).
_BACKGROUND_FIELDS = ("estimatedSize", "estimatedSizeUpdatedAt", "lastUsedAt")
# Mutations that store everything or nothing: a userError means nothing was stored.
ALL_OR_NOTHING = frozenset(
    {"createSegment", "updateSegment", "deleteSegment", "attachSegmentLink", "detachSegmentLink"}
)


class FuzzServer:
    def __init__(self, url: str | None) -> None:
        self.database = f"seg_fuzz_{uuid.uuid4().hex[:12]}"
        self.url = url
        self.runner = asyncio.Runner()
        self.requests = 0
        self.store: Store | None = None
        self.key = ""

    def start(self) -> FuzzServer:
        self.runner.__enter__()
        self.runner.run(self._start())
        return self

    async def _start(self) -> None:
        self.store = connect(self.url, self.database, server_timeout_ms=5_000)
        await prepare(self.store)
        # No background work while fuzzing: an import job or an estimate refresh running
        # between two fingerprints would look like a refused mutation that stored something.
        # Jobs still run their first cycle at start-up, before anything is submitted.
        self.app = create_app(Settings(**QUIET_BACKGROUND), store=self.store)
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self.app.state.wake_imports = None
        self.app.state.wake_estimates = None
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://fuzz")
        minted = await mint_key(ApiKeyStore(self.store.db), tenant="fuzz", role=Role.ADMIN)
        self.key = minted.key
        await self._seed()

    async def _seed(self) -> None:
        """A few real objects, so generated ids and names sometimes hit something."""
        for n in range(3):
            await self.graphql(
                "mutation($i: CreateSegmentInput!) { createSegment(input: $i) { segment { id } } }",
                {"i": {"name": f"seed {n}", **({"type": "STATIC"} if n else {"matchAll": True})}},
            )
        await self.graphql(
            "mutation($u: [UserInput!]!) { upsertUsers(users: $u) { users { id } } }",
            {"u": [{"userId": "1", "email": "a@b.c", "tier": "gold", "points": 5}]},
        )
        await self.graphql(
            "mutation($c: String) { runImport(input: {documentType: USER_PROFILE, format: NDJSON,"
            ' name: "seed", content: $c}) { job { id } } }',
            {"c": '{"userId": "2"}\nnot json\n'},
        )

    def stop(self) -> None:
        async def close() -> None:
            await self.http.aclose()
            await self._lifespan.__aexit__(None, None, None)
            assert self.store is not None
            try:
                await self.store.client.drop_database(self.database)
            finally:
                await self.store.close()

        try:
            self.runner.run(close())
        finally:
            self.runner.__exit__(None, None, None)

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.key}"},
        )
        return response.json()

    def send(self, request: dict[str, Any]) -> httpx.Response:
        """One raw request: {method, path, headers, json | content | params}."""
        self.requests += 1
        headers = dict(request.get("headers") or {})
        if request.get("auth", True) and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = f"Bearer {self.key}"
        # raw bytes, so a corpus can send header values that are not ASCII
        kwargs: dict[str, Any] = {"headers": {k: v.encode() for k, v in headers.items()}}
        for name in ("json", "content", "params"):
            if name in request:
                kwargs[name] = request[name]
        return self.runner.run(
            self.http.request(
                request.get("method", "POST"), request.get("path", "/graphql"), **kwargs
            )
        )

    def fingerprint(self) -> str:
        """A digest of everything stored, to prove a refused request changed nothing."""
        return self.runner.run(self._fingerprint())

    async def _fingerprint(self) -> str:
        assert self.store is not None
        digest = hashlib.sha256()
        for name in sorted(await self.store.db.list_collection_names()):
            if name in _BACKGROUND_COLLECTIONS:
                continue
            docs = (
                await self.store.db[name].find({}, {f: 0 for f in _BACKGROUND_FIELDS}).to_list(None)
            )
            rows = sorted(orjson.dumps(d, default=str, option=orjson.OPT_SORT_KEYS) for d in docs)
            digest.update(name.encode())
            for row in rows:
                digest.update(row)
        return digest.hexdigest()


def check_response(response: httpx.Response) -> dict[str, Any]:
    """What every answer to any input must satisfy; returns the parsed body."""
    assert response.status_code < 500, (response.status_code, response.text[:2000])
    body = response.json()
    assert isinstance(body, dict), body
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and code, error
        assert code != "INTERNAL_SERVER_ERROR", (error, response.request.content[:2000])
    for payload in (body.get("data") or {}).values():
        for user_error in _user_errors(payload):
            assert user_error.get("code", "selected"), user_error
    return body


def _user_errors(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and isinstance(payload.get("userErrors"), list):
        return payload["userErrors"]
    return []


def refused(body: dict[str, Any], root_fields: list[str]) -> bool:
    """Whether a mutation request was refused as a whole (so must have stored nothing)."""
    data = body.get("data")
    if data is None:
        return True
    if len(root_fields) == 1 and root_fields[0] in ALL_OR_NOTHING:
        payload = next(iter(data.values()), None)
        return payload is None or bool(_user_errors(payload))
    return False
