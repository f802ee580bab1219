"""The operator path to a tenant's first key on the embedded store: `serve --tenant NAME`
(repeatable; default SEG_DEV_TENANT) makes one ADMIN key per tenant at start-up and prints it.

With a data directory the store outlives the process, so each start replaces the keys the
previous start printed (they are revoked): one printed key per tenant works at a time.
Keys made through the API or the CLI are kept. SEG_DEV_API_KEY fixes the first tenant's key
across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from seg_graphql.config import Settings
from seg_graphql.domain.models import Role
from seg_graphql.domain.times import naive_utc
from seg_graphql.services.auth import hash_key, mint_key
from seg_graphql.services.clock import utc_now
from seg_graphql.store.api_keys import ApiKeyStore, TenantApiKeyStore
from seg_graphql.store.client import Store

SERVE = "serve"  # createdBy of the keys serve prints


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
        if existing is not None and existing["tenant"] == tenant:
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
            SERVE, naive_utc(utc_now()), keep_hash=hash_key(key)
        )
        made.append(TenantKey(tenant, key))
    return made


def tenants_to_make(settings: Settings, *extra: str) -> list[str]:
    return list(dict.fromkeys([*(settings.tenants or [settings.dev_tenant]), *extra]))


def banner(settings: Settings, keys: list[TenantKey], storage: str) -> str:
    url = f"http://{settings.host}:{settings.port}/graphql"
    lines = [f"seg-graphql on the embedded store: {storage}", f"  GraphiQL:        {url}"]
    lines += [f"  Development key: {k.key}  (tenant '{k.tenant}', role ADMIN)" for k in keys]
    lines.append(f"  Send it as the header  Authorization: Bearer {keys[0].key}")
    return "\n".join(lines)
