"""Segment DataLoaders; the context builds one of each per request."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from seg_graphql.domain.models import Segment
from seg_graphql.services.segments import SegmentService


class SegmentByIdLoader(DataLoader[int, Segment | None]):
    def __init__(self, segments: SegmentService) -> None:
        super().__init__(load_fn=self.batch_load)
        self._segments = segments

    async def batch_load(self, ids: list[int]) -> list[Segment | None]:
        found = await self._segments.get_many(ids)
        return [found.get(i) for i in ids]

    async def by_id(self, ids: list[int]) -> dict[int, Segment]:
        """The segments of `ids` that exist, keyed by id."""
        loaded = await self.load_many(ids)
        return {s.id: s for s in loaded if s is not None}
