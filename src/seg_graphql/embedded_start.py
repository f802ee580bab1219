"""What `serve` does on the embedded store at start: one printed ADMIN key per tenant, the
demo tenant if asked, the banner, and a warning once the store outgrows its envelope.

The operator path to a tenant's first key: `serve --tenant NAME` (repeatable; default
SEG_DEV_TENANT) makes one ADMIN key per tenant at start-up and prints it.

With a data directory the store outlives the process, so each start replaces the keys the
previous start printed (they are revoked): one printed key per tenant works at a time.
Keys made through the API or the CLI are kept. SEG_DEV_API_KEY fixes the first tenant's key
across restarts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import strawberry
from pymongo.errors import DuplicateKeyError

from seg_graphql.config import Settings
from seg_graphql.demo import DEMO_TENANT, load_demo
from seg_graphql.domain.clock import utc_now
from seg_graphql.domain.models import Role
from seg_graphql.jobs.periodic import Periodic
from seg_graphql.services.auth import hash_key, mint_key
from seg_graphql.store.api_keys import ApiKeyStore, TenantApiKeyStore
from seg_graphql.store.client import Store
from seg_graphql.store.data_dir import DataDir

log = logging.getLogger("seg_graphql")

SERVE = "serve"  # createdBy of the keys serve prints
ENVELOPE_CHECK_SECONDS = 60.0


@dataclass(frozen=True)
class TenantKey:
    tenant: str
    key: str


async def make_tenant_keys(
    store: Store, tenants: list[str], fixed_key: str | None
) -> list[TenantKey]:
    made = []
    for index, tenant in enumerate(dict.fromkeys(tenants)):
        fixed = fixed_key if index == 0 else None
        existing = await ApiKeyStore(store.db).find_by_hash(hash_key(fixed)) if fixed else None
        if existing is not None and existing.tenant == tenant:
            key = fixed
        else:
            try:
                minted = await mint_key(
                    ApiKeyStore(store.db),
                    tenant=tenant,
                    role=Role.ADMIN,
                    name="development key",
                    key=fixed,
                    created_by=SERVE,
                )
            except DuplicateKeyError:
                raise ValueError(
                    f"SEG_DEV_API_KEY is revoked or belongs to another tenant than '{tenant}'"
                ) from None
            key = minted.key
        await TenantApiKeyStore(store.db, tenant).revoke_made_by(
            SERVE, utc_now(), keep_hash=hash_key(key)
        )
        made.append(TenantKey(tenant, key))
    return made


def tenants_to_make(settings: Settings, *extra: str) -> list[str]:
    return list(dict.fromkeys([*(settings.tenants or [settings.dev_tenant]), *extra]))


class EmbeddedServe:
    """The embedded store as `serve` runs it: `open` before the indexes are ensured (loading
    into an indexed mock would check uniqueness document by document), `start` once they are,
    `running` around the server's life, `close` at the very end."""

    def __init__(self, store: Store, settings: Settings, schema: strawberry.Schema) -> None:
        self.store = store
        self.settings = settings
        self.schema = schema
        self.data_dir = DataDir(settings.data_dir, store.client) if settings.data_dir else None
        self.watch = EnvelopeWatch(store, settings.embedded_user_warning)

    def open(self) -> None:
        if self.data_dir is not None:
            loaded = self.data_dir.open()
            log.info("embedded store: %d documents loaded from %s", loaded, self.data_dir.file)

    async def start(self) -> None:
        settings = self.settings
        demo = [DEMO_TENANT] if settings.demo else []
        if demo and await load_demo(self.store, self.schema):
            log.info("demo tenant '%s' loaded (its import job runs in the background)", DEMO_TENANT)
        tenants = tenants_to_make(settings, *demo)
        keys = await make_tenant_keys(self.store, tenants, settings.dev_api_key)
        print(banner(settings, keys, storage_line(settings)), flush=True)
        await self.watch.check()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if self.data_dir is not None:
                await stack.enter_async_context(
                    kept(self.data_dir, self.settings.persist_interval_seconds)
                )
            await stack.enter_async_context(self.watch.periodic().running())
            yield

    def close(self) -> None:
        if self.data_dir is not None:
            self.data_dir.close()


def banner(settings: Settings, keys: list[TenantKey], storage: str) -> str:
    url = f"http://{settings.host}:{settings.port}/graphql"
    lines = [f"seg-graphql on the embedded store: {storage}", f"  GraphiQL:        {url}"]
    lines += [f"  Development key: {k.key}  (tenant '{k.tenant}', role ADMIN)" for k in keys]
    lines.append(f"  Send it as the header  Authorization: Bearer {keys[0].key}")
    return "\n".join(lines)


def storage_line(settings: Settings) -> str:
    interval = settings.persist_interval_seconds
    if settings.data_dir is None:
        return "data lives in memory and is gone at exit (keep it with --data-dir DIR)."
    return (
        f"data is kept in {settings.data_dir}, written every {interval:g} s and at a "
        f"graceful stop (a crash loses at most the last {interval:g} s)."
    )


class EnvelopeWatch:
    """Warns once when the embedded store holds more users than it serves well: every
    query scans every document in Python there."""

    def __init__(self, store: Store, limit: int) -> None:
        self._store = store
        self._limit = limit
        self.warned = False

    async def check(self) -> None:
        if self.warned:
            return
        users = await self._store.db["users"].estimated_document_count()
        if users > self._limit:
            self.warned = True
            log.warning(
                "the embedded store holds %d users, beyond the %d it serves well (every query "
                "scans in Python; see README, 'The embedded store's envelope'). Use MongoDB: "
                "`docker compose up -d`, or SEG_MONGODB_URL=mongodb://...",
                users,
                self._limit,
            )

    def periodic(self) -> Periodic:
        return Periodic(
            "embedded envelope watch", self.check, interval_seconds=ENVELOPE_CHECK_SECONDS
        )


@contextlib.asynccontextmanager
async def kept(data_dir: DataDir, interval_seconds: float) -> AsyncIterator[DataDir]:
    """Writes the data directory every interval while open, and once more at the end (a
    graceful stop). The schedule is the server's (jobs/periodic.py), not the store's."""
    try:
        writes = Periodic("embedded store write", data_dir.save, interval_seconds=interval_seconds)
        async with writes.running():
            yield data_dir
    finally:
        await data_dir.save()
        log.info("embedded store written to %s", data_dir.file)
