"""Per-request context: who is asking, the services bound to their tenant, and DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from strawberry.types import Info as StrawberryInfo

from seg_graphql.config import Settings
from seg_graphql.domain.models import Principal, Segment
from seg_graphql.graphql.counts.loaders import UserCountBySegmentLoader
from seg_graphql.graphql.membership.loaders import MemberPageBySegmentLoader
from seg_graphql.graphql.segments.loaders import SegmentByIdLoader
from seg_graphql.graphql.users.loaders import UserByIdLoader
from seg_graphql.services.api_keys import ApiKeyService
from seg_graphql.services.counts import CountService
from seg_graphql.services.imports import ImportService
from seg_graphql.services.membership import MembershipService
from seg_graphql.services.scope import Scope
from seg_graphql.services.segments import SegmentService
from seg_graphql.services.users import UserService
from seg_graphql.store.client import Store


@dataclass
class Context:
    store: Store
    principal: Principal
    request_id: str
    settings: Settings | None = None
    wake_imports: Callable[[], None] | None = None  # starts this process's import worker now
    wake_estimates: Callable[[], None] | None = None  # starts the estimate refresh now
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def scope(self) -> Scope:
        """The request's tenant, bound once for every service it uses."""
        return Scope(self.store, self.principal)

    @cached_property
    def segments(self) -> SegmentService:
        return SegmentService(self.scope)

    @cached_property
    def users(self) -> UserService:
        return UserService(self.scope)

    @cached_property
    def membership(self) -> MembershipService:
        return MembershipService(self.scope)

    @cached_property
    def imports(self) -> ImportService:
        max_bytes = self.settings.import_max_bytes if self.settings else 1024**3
        return ImportService(self.scope, max_bytes=max_bytes)

    @cached_property
    def counts(self) -> CountService:
        cache_seconds = self.settings.counts_cache_seconds if self.settings else 300.0
        return CountService(self.scope, cache_seconds=cache_seconds)

    @cached_property
    def api_keys(self) -> ApiKeyService:
        return ApiKeyService(self.scope)

    # DataLoaders live here, one set per request, never at module level.

    @cached_property
    def segment_loader(self) -> SegmentByIdLoader:
        return SegmentByIdLoader(self.segments)

    @cached_property
    def user_loader(self) -> UserByIdLoader:
        return UserByIdLoader(self.users)

    @cached_property
    def member_page_loader(self) -> MemberPageBySegmentLoader:
        return MemberPageBySegmentLoader(self.segment_loader, self.membership)

    @cached_property
    def member_count_loader(self) -> UserCountBySegmentLoader:
        return UserCountBySegmentLoader(self.segment_loader, self.counts)

    async def segments_by_id(self, ids: list[int]) -> dict[int, Segment]:
        return await self.segment_loader.by_id(ids)

    async def all_segments(self) -> dict[int, Segment]:
        """Every segment of the tenant (at most 1,000), read once per request however many
        resolvers ask at the same time: they share one task."""
        task = self.extra.get("all_segments")
        if task is None:
            task = self.extra["all_segments"] = asyncio.ensure_future(self._load_all_segments())
        return await asyncio.shield(task)

    async def _load_all_segments(self) -> dict[int, Segment]:
        segments = await self.segments.all_by_id()
        for segment in segments.values():
            self.segment_loader.prime(segment.id, segment)
        return segments


Info = StrawberryInfo[Context, None]
