"""Fixtures: every store and API test runs on the embedded store, and also on a real
MongoDB-wire server when SEG_MONGODB_URL is set (CI starts FerretDB for that lane).

A real-server test never passes silently when the server is unreachable: preparing the
store does a round trip, and its failure fails the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from seg_graphql.app import create_app
from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.services.auth import mint_key
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import Store, connect, prepare

REAL_URL = os.environ.get("SEG_MONGODB_URL")
LANES = ["embedded", *(["real"] if REAL_URL else [])]


@pytest.fixture(params=LANES)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    database = f"seg_test_{uuid.uuid4().hex[:12]}"
    url = REAL_URL if request.param == "real" else None
    opened = connect(url, database, server_timeout_ms=5_000)
    try:
        await prepare(opened)
        yield opened
    finally:
        try:
            await opened.client.drop_database(database)
        finally:
            await opened.close()


@pytest.fixture
async def app(store: Store, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    settings = Settings()
    if "quiet_background" in request.fixturenames:
        settings = Settings(**QUIET_BACKGROUND)
    application = create_app(settings, store=store)
    async with application.router.lifespan_context(application):
        if "estimate_wakeups" not in request.fixturenames:
            # Creating or changing a dynamic segment wakes the estimate refresh at once. In
            # tests, that refresh would write segments while the test writes them too (FerretDB
            # v1 loses one of two concurrent updates of a document) and add its commands to
            # round-trip counts: it runs at start-up and on its interval only, as before.
            application.state.wake_estimates = None
        yield application


@pytest.fixture
def estimate_wakeups() -> None:
    """Keeps the app's estimate wake-ups on (see `app`)."""


# The app's periodic jobs (import polls every 2 s, the expiry sweep every minute) add their
# commands to whichever request is running; tests that compare command counts across runs of a
# slow document (on a loaded machine, longer than a poll interval) ask for them to stay away.
QUIET_BACKGROUND = {
    "import_poll_seconds": 3600,
    "estimate_interval_seconds": 3600,
    "expiry_sweep_seconds": 3600,
}


@pytest.fixture
def quiet_background() -> None:
    """Gives the app's periodic jobs an hour's interval (see `app`)."""


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def make_key(store: Store) -> KeyFactory:
    async def make(
        tenant: str = "acme",
        role: Role = Role.ADMIN,
        user_id: str | None = None,
        teams: list[str] | None = None,
    ) -> str:
        minted = await mint_key(
            ApiKeyStore(store.db), tenant=tenant, role=role, user_id=user_id, team_ids=teams
        )
        return minted.key

    return make


class GraphQLClient:
    """Posts GraphQL to the app as one API key would."""

    def __init__(self, http: httpx.AsyncClient, key: str | None) -> None:
        self.http = http
        self.key = key

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables, **extra}, headers=headers
        )
        body = response.json()
        body["_status"] = response.status_code
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.post(query, variables)
        assert "errors" not in body, body
        return body["data"]


ClientFactory = Callable[..., Awaitable[GraphQLClient]]


@pytest.fixture
def client_for(http: httpx.AsyncClient, make_key: KeyFactory) -> ClientFactory:
    async def make(tenant: str = "acme", role: Role = Role.ADMIN, **kwargs: Any) -> GraphQLClient:
        return GraphQLClient(http, await make_key(tenant, role, **kwargs))

    return make


@pytest.fixture
async def admin(client_for: ClientFactory) -> GraphQLClient:
    return await client_for("acme", Role.ADMIN)
