"""Membership DataLoaders; the context builds one of each per request."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from seg_graphql.graphql.segments.loaders import SegmentByIdLoader
from seg_graphql.services.membership import MemberPageKey, MembershipService


class MemberPageBySegmentLoader(DataLoader[MemberPageKey, Any]):
    """A page of a segment's members for each key; one read for all the segments asked."""

    def __init__(self, segments: SegmentByIdLoader, membership: MembershipService) -> None:
        super().__init__(load_fn=self.batch_load)
        self._segments = segments
        self._membership = membership

    async def batch_load(self, keys: list[MemberPageKey]) -> list[Any]:
        segments = await self._segments.by_id([k.segment_id for k in keys])
        return await self._membership.member_pages(keys, segments)
