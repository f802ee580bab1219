"""Count DataLoaders; the context builds one of each per request."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from seg_graphql.graphql.segments.loaders import SegmentByIdLoader
from seg_graphql.services.membership import MembershipService


class UserCountBySegmentLoader(DataLoader[int, int]):
    """Segment.userCount and members.totalCount: exact, live, one count for all the segments
    asked (computed by MembershipService.member_counts)."""

    def __init__(self, segments: SegmentByIdLoader, membership: MembershipService) -> None:
        super().__init__(load_fn=self.batch_load)
        self._segments = segments
        self._membership = membership

    async def batch_load(self, ids: list[int]) -> list[int]:
        segments = await self._segments.by_id(ids)
        return await self._membership.member_counts(segments, ids)
