"""The one place a request or a job binds its tenant: who acts, the clock, and the tenant's
stores. Services receive a Scope; none builds its own store objects."""

from __future__ import annotations

from functools import cached_property

from seg_graphql.domain.clock import Clock, utc_now
from seg_graphql.domain.models import Principal, Role
from seg_graphql.store.api_keys import ApiKeyStore, TenantApiKeyStore
from seg_graphql.store.client import Store
from seg_graphql.store.count_cache import CountCache
from seg_graphql.store.counters import Counters
from seg_graphql.store.events import EventStore
from seg_graphql.store.imports import ImportStore
from seg_graphql.store.members import MemberStore
from seg_graphql.store.segments import SegmentStore
from seg_graphql.store.users import UserStore


class Scope:
    def __init__(self, store: Store, principal: Principal, clock: Clock = utc_now) -> None:
        self.store = store
        self.principal = principal
        self.tenant = principal.tenant
        self.now = clock

    @classmethod
    def system(cls, store: Store, tenant: str, clock: Clock = utc_now) -> Scope:
        """A job's scope: it acts for the tenant itself (no key, no user)."""
        return cls(store, Principal(tenant=tenant, role=Role.ADMIN), clock)

    @cached_property
    def users(self) -> UserStore:
        return UserStore(
            self.store.db, self.tenant, max_batch=self.store.capabilities.max_update_batch
        )

    @cached_property
    def members(self) -> MemberStore:
        return MemberStore(
            self.users, facet=self.store.capabilities.facet, embedded=self.store.embedded
        )

    @cached_property
    def segments(self) -> SegmentStore:
        return SegmentStore(self.store.db, self.tenant)

    @cached_property
    def events(self) -> EventStore:
        return EventStore(self.store.db, self.tenant)

    @cached_property
    def counters(self) -> Counters:
        return Counters(self.store.db, self.tenant)

    @cached_property
    def count_cache(self) -> CountCache:
        return CountCache(self.store.db, self.tenant)

    @cached_property
    def imports(self) -> ImportStore:
        return ImportStore(self.store.db, self.tenant)

    @cached_property
    def api_keys(self) -> TenantApiKeyStore:
        return TenantApiKeyStore(self.store.db, self.tenant)

    @cached_property
    def all_api_keys(self) -> ApiKeyStore:
        """Key hashes are unique across tenants: minting checks them all."""
        return ApiKeyStore(self.store.db)
