"""Segments as their rules see them: a segment's members depend on every segment its criteria
reference, transitively, so counting or listing members needs all of them at hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

from seg_graphql.domain.models import Segment

GetMany = Callable[[Iterable[int]], Awaitable[Mapping[int, Segment]]]


async def with_references(segments: Mapping[int, Segment], get_many: GetMany) -> dict[int, Segment]:
    """The given segments plus every segment their criteria reference, transitively: one
    `get_many` per level of reference."""
    known = dict(segments)
    missing = _referenced(known.values()) - known.keys()
    while missing:
        found = await get_many(missing)
        known.update(found)
        missing = _referenced(found.values()) - known.keys()
    return known


def _referenced(segments: Iterable[Segment]) -> set[int]:
    return {ref for segment in segments for ref in segment.rules.referenced_segments()}
