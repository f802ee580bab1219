"""Count DataLoaders; the context builds one of each per request."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from seg_graphql.graphql.segments.loaders import SegmentByIdLoader
from seg_graphql.services.counts import CountService


class UserCountBySegmentLoader(DataLoader[int, int]):
    """Segment.userCount and members.totalCount: exact, live, one count for all the segments
    asked (computed by CountService.member_counts)."""

    def __init__(self, segments: SegmentByIdLoader, counts: CountService) -> None:
        super().__init__(load_fn=self.batch_load)
        self._segments = segments
        self._counts = counts

    async def batch_load(self, ids: list[int]) -> list[int]:
        segments = await self._segments.by_id(ids)
        return await self._counts.member_counts(segments, ids)
