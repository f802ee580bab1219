"""create_app(settings) -> Starlette. The store is opened in the lifespan, never at import."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Route

from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.graphql.limits import QueryLimits
from seg_graphql.graphql.schema import build_schema
from seg_graphql.jobs.estimates import EstimateRefresher
from seg_graphql.jobs.imports import ImportWorker
from seg_graphql.jobs.leases import Leases, new_owner_id
from seg_graphql.jobs.list_expiry import ListExpirySweeper
from seg_graphql.services.auth import Authenticator, mint_key
from seg_graphql.services.clock import utc_now
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import Store, connect, prepare
from seg_graphql.store.import_queue import ImportQueue
from seg_graphql.web.graphql_endpoint import GraphQLEndpoint
from seg_graphql.web.health import healthz, readyz
from seg_graphql.web.metrics import Metrics

log = logging.getLogger("seg_graphql")


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    limits: QueryLimits | None = None,
) -> Starlette:
    """`store` lets tests and benchmarks hand in an already-open store (closed by them)."""
    settings = settings or Settings()
    metrics = Metrics()
    schema = build_schema(limits, introspection=settings.introspection)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = store is None
        opened = store or connect(
            settings.mongodb_url,
            settings.database,
            server_timeout_ms=settings.server_selection_timeout_ms,
        )
        await prepare(opened)
        if opened.capabilities.server == "ferretdb":
            log.warning(
                "the store is FerretDB %s: a test lane, not a production store; it is not "
                "atomic and loses concurrent writes to one document (use MongoDB)",
                opened.capabilities.version,
            )
        opened.counter.observer = metrics.store_command
        queue = ImportQueue(opened.db, owner="metrics")
        metrics.queue_probe = lambda: queue.backlog(utc_now())
        app.state.store = opened
        app.state.authenticator = Authenticator(
            ApiKeyStore(opened.db), ttl_seconds=settings.auth_cache_seconds
        )
        if opened.embedded and owned:
            await _announce_embedded(opened, settings)
        sweeper = ListExpirySweeper(opened.db, interval_seconds=settings.expiry_sweep_seconds)
        refresher = EstimateRefresher(
            opened,
            Leases(opened.db, new_owner_id()),
            interval_seconds=settings.estimate_interval_seconds,
        )
        importer = ImportWorker(
            opened,
            new_owner_id(),
            lease_seconds=settings.import_lease_seconds,
            poll_seconds=settings.import_poll_seconds,
            batch_lines=settings.import_batch_lines,
        )
        app.state.wake_imports = importer.wake
        jobs = [sweeper.periodic(), refresher.periodic(), importer.periodic()]
        for job in jobs:
            job.on_success = metrics.job_succeeded
        try:
            async with jobs[0].running(), jobs[1].running(), jobs[2].running():
                yield
        finally:
            if owned:
                await opened.close()

    graphql = GraphQLEndpoint(
        schema=schema,
        runtime=None,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.import_max_bytes,
        graphiql=settings.graphiql,
        request_timeout_seconds=settings.request_timeout_seconds,
        max_concurrent_requests=settings.max_concurrent_requests,
    )
    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
        ],
    )
    graphql.runtime = app.state
    app.state.schema = schema
    app.state.settings = settings
    app.state.metrics = metrics
    return app


async def _announce_embedded(store: Store, settings: Settings) -> None:
    minted = await mint_key(
        ApiKeyStore(store.db),
        tenant=settings.dev_tenant,
        role=Role.ADMIN,
        name="development key",
        key=settings.dev_api_key,
    )
    url = f"http://{settings.host}:{settings.port}/graphql"
    print(
        f"seg-graphql on the embedded store: data lives in memory and is gone at exit.\n"
        f"  GraphiQL:        {url}\n"
        f"  Development key: {minted.key}  (tenant '{settings.dev_tenant}', role ADMIN)\n"
        f"  Send it as the header  Authorization: Bearer {minted.key}",
        flush=True,
    )
