"""create_app(settings) -> Starlette. The store is opened in the lifespan, never at import."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route

from seg_graphql.config import Settings
from seg_graphql.domain.clock import utc_now
from seg_graphql.embedded_start import EmbeddedServe
from seg_graphql.graphql.limits import QueryLimits
from seg_graphql.graphql.schema import build_schema
from seg_graphql.jobs.estimates import EstimateRefresher
from seg_graphql.jobs.imports import ImportWorker
from seg_graphql.jobs.list_expiry import ListExpirySweeper
from seg_graphql.services.auth import Authenticator
from seg_graphql.store.api_keys import ApiKeyStore
from seg_graphql.store.client import Store, connect, prepare
from seg_graphql.store.import_queue import ImportQueue
from seg_graphql.store.leases import Leases, new_owner_id
from seg_graphql.web.compression import MINIMUM_SIZE, GZipWhenAccepted
from seg_graphql.web.graphiql import MOUNT, graphiql_assets
from seg_graphql.web.graphql_endpoint import GraphQLEndpoint
from seg_graphql.web.health import healthz, readyz
from seg_graphql.web.metrics import Metrics
from seg_graphql.web.persisted_queries import PersistedQueries
from seg_graphql.web.uploads import PREFLIGHT_HEADERS

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
        local = EmbeddedServe(opened, settings, schema) if opened.embedded and owned else None
        if local is not None:
            local.open()  # before the indexes: loads the data directory, if any
        try:
            await prepare(opened)
        except BaseException:
            if local is not None:
                local.close()
            raise
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
        if local is not None:
            await local.start()
        sweeper = ListExpirySweeper(opened, interval_seconds=settings.expiry_sweep_seconds)
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
            batch_seconds=settings.import_batch_seconds,
        )
        app.state.wake_imports = importer.wake
        sweeping, estimates, importing = (
            sweeper.periodic(),
            refresher.periodic(),
            importer.periodic(),
        )
        app.state.wake_estimates = estimates.wake
        for job in (sweeping, estimates, importing):
            job.on_success = metrics.job_succeeded
        try:
            async with (
                local.running() if local else contextlib.nullcontext(),  # stops last
                sweeping.running(),
                estimates.running(),
                importing.running(),
            ):
                yield
        finally:
            if owned:
                await opened.close()
            if local is not None:
                local.close()

    graphql = GraphQLEndpoint(
        schema=schema,
        runtime=None,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.import_max_bytes,
        graphiql=settings.graphiql,
        persisted_queries=PersistedQueries(settings.apq_max_entries),
        compiled_execution=settings.compiled_execution,
        request_timeout_seconds=settings.request_timeout_seconds,
        max_concurrent_requests=settings.max_concurrent_requests,
    )
    routes = [
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
    ]
    if settings.graphiql:
        routes.append(Mount(MOUNT, app=graphiql_assets()))
    app = Starlette(lifespan=lifespan, routes=routes, middleware=_middleware(settings))
    graphql.runtime = app.state
    app.state.schema = schema
    app.state.settings = settings
    app.state.metrics = metrics
    return app


# Headers a browser app may send: the key, JSON, and the ones Apollo's clients, uploads and
# persisted queries add (some only to force a CORS preflight, see web/uploads.py).
_CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Request-ID",
    "apollographql-client-name",
    "apollographql-client-version",
    *PREFLIGHT_HEADERS,
]


def _middleware(settings: Settings) -> list[Middleware]:
    middleware = [Middleware(GZipWhenAccepted, minimum_size=MINIMUM_SIZE)]
    if origins := settings.cors_origin_list:
        # Outermost, so preflights and errors carry the CORS headers too. Keys travel in the
        # Authorization header, never in cookies: no credentials mode.
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=_CORS_HEADERS,
                expose_headers=["X-Request-ID"],
                max_age=600,
            ),
        )
    return middleware
